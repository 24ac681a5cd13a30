"""Under real concurrency the database, not the form, keeps one signature per address."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from signatories.models import Signatory
from tests.factories import LetterFactory
from tests.helpers import sign_data, sign_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent transactions"
    ),
]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_with_one_email_leave_one_row(mailoutbox):
    letter = LetterFactory()
    threads_count = 20
    barrier = threading.Barrier(threads_count)
    statuses, errors = [], []

    def sign(i):
        try:
            client = Client()
            email = "Ada@Example.net" if i % 2 else "ada@example.NET"
            barrier.wait(timeout=10)
            response = client.post(sign_url(letter), sign_data(email=email))
            statuses.append(response.status_code)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert statuses == [302] * threads_count
    assert Signatory.objects.filter(letter=letter).count() == 1
    subjects = sorted(m.subject.split(":")[0] for m in mailoutbox)
    assert subjects.count("Please confirm your signature") == 1
    assert subjects.count("You have already signed") == threads_count - 1


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


@pytest.mark.django_db(transaction=True)
def test_a_hundred_threads_fifty_addresses_each_twice(mailoutbox):
    """50 distinct e-mails plus 50 repeats at once: 50 rows, 50 confirmations, 50 repeats."""
    letter = LetterFactory()
    threads_count = 100
    pooled = PooledConnections(size=20)
    barrier = threading.Barrier(threads_count)
    statuses, errors = [], []

    def sign(i):
        try:
            # Each signer behind their own address, as on the real internet.
            client = Client(REMOTE_ADDR=f"198.51.{i // 250}.{i % 250 + 1}")
            email = f"signer{i % 50}@example.net"
            if i >= 50:
                email = email.upper()
            barrier.wait(timeout=20)
            response = client.post(sign_url(letter), sign_data(email=email))
            statuses.append(response.status_code)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign, args=(i,)) for i in range(threads_count)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        pooled.close()

    assert errors == []
    assert sorted(statuses) == [302] * threads_count
    assert Signatory.objects.filter(letter=letter).count() == 50
    subjects = [m.subject.split(":")[0] for m in mailoutbox]
    assert subjects.count("Please confirm your signature") == 50
    assert subjects.count("You have already signed") == 50
    confirmed_to = sorted(m.to[0].lower() for m in mailoutbox if m.subject.startswith("Please"))
    assert confirmed_to == sorted(f"signer{i}@example.net" for i in range(50))
