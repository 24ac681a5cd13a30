"""Under real concurrency the database, not the form, keeps one signature per address."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from mailing.worker import outboxes_sweep
from signatories.models import Signatory
from tests.factories import LetterFactory
from tests.helpers import sign_data, sign_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent transactions"
    ),
]


class PooledConnections:
    """Route new connections through a psycopg pool, as DATABASE_POOL_MAX_SIZE does.

    A hundred threads with a connection each would exhaust PostgreSQL's
    default of 100; production puts a pool in front for the same reason.
    """

    def __init__(self, size):
        self.settings = connections.settings["default"]
        self.saved = (self.settings["CONN_MAX_AGE"], dict(self.settings["OPTIONS"]))
        self.settings["CONN_MAX_AGE"] = 0
        self.settings["OPTIONS"]["pool"] = {"min_size": 1, "max_size": size, "timeout": 60}

    def close(self):
        if connections["default"].pool:
            connections["default"].close_pool()
        self.settings["CONN_MAX_AGE"], self.settings["OPTIONS"] = self.saved


def sign_all_at_once(letter, emails, *, addresses=None):
    """POST the sign form from one thread per e-mail, released together; returns statuses."""
    barrier = threading.Barrier(len(emails))
    statuses, errors = [], []

    def sign(i):
        try:
            client = Client(REMOTE_ADDR=addresses[i]) if addresses else Client()
            barrier.wait(timeout=20)
            statuses.append(client.post(sign_url(letter), sign_data(email=emails[i])).status_code)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign, args=(i,)) for i in range(len(emails))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    # A drain that ran while a repeat request held the row's lock skipped it (SKIP
    # LOCKED) and found nothing else due: in production the worker's sweep sends it
    # within a minute (mailing/worker.py). Here, the sweep once, as the worker would.
    outboxes_sweep()
    return statuses


def subjects(mailoutbox):
    return [m.subject.split(":")[0] for m in mailoutbox]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_with_one_email_leave_one_row(mailoutbox):
    letter = LetterFactory()
    emails = ["Ada@Example.net" if i % 2 else "ada@example.NET" for i in range(20)]

    statuses = sign_all_at_once(letter, emails)

    assert statuses == [302] * 20
    assert Signatory.objects.filter(letter=letter).count() == 1
    assert subjects(mailoutbox).count("Please confirm your signature") == 1
    # One notice however many repeats: the form cannot flood an inbox.
    assert subjects(mailoutbox).count("You have already signed") == 1


@pytest.mark.django_db(transaction=True)
def test_a_hundred_threads_fifty_addresses_each_twice(mailoutbox):
    """50 distinct e-mails plus 50 repeats at once: 50 rows, 50 confirmations, 50 repeats."""
    letter = LetterFactory()
    emails = [f"signer{i}@example.net" for i in range(50)]
    emails += [email.upper() for email in emails]
    # Each signer behind their own address, as on the real internet.
    addresses = [f"198.51.{i // 250}.{i % 250 + 1}" for i in range(100)]

    pooled = PooledConnections(size=20)
    try:
        statuses = sign_all_at_once(letter, emails, addresses=addresses)
    finally:
        pooled.close()

    assert sorted(statuses) == [302] * 100
    assert Signatory.objects.filter(letter=letter).count() == 50
    assert subjects(mailoutbox).count("Please confirm your signature") == 50
    assert subjects(mailoutbox).count("You have already signed") == 50
    confirmed_to = sorted(m.to[0].lower() for m in mailoutbox if m.subject.startswith("Please"))
    assert confirmed_to == sorted(f"signer{i}@example.net" for i in range(50))
