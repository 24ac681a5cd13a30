"""Database helpers every app may use."""

import contextlib

from django.db import connection, transaction


@contextlib.contextmanager
def one_snapshot():
    """On PostgreSQL, one REPEATABLE READ, read-only transaction: every query inside reads
    the database as of one moment, however long a million rows take (the signed PDF's
    count and its names, an export's rows). Inside it, Django's .iterator() streams from
    a server-side cursor instead of a copy PostgreSQL would make of the whole result.

    Inside a transaction already, or on SQLite (development), the queries run as they
    are.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield
