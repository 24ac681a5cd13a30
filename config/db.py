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


def SET_NULL_READ_FIRST(collector, field, sub_objs, using):
    """SET_NULL for a link to a table that is deleted from in bulk: the few linking rows
    are read and set to NULL by id.

    Django's SET_NULL keeps the rows to change as a filter on the ids of every row
    being deleted, and joins those filters into one UPDATE: deleting 70,000
    signatures made a statement with 70,000 parameters, past PostgreSQL's 65,535
    (SQLite's limit is lower). Read here, batch by batch as Django collects, only the
    linking rows' ids go into the UPDATE, in chunks.
    """
    collector.add_field_update(field, None, list(sub_objs))
