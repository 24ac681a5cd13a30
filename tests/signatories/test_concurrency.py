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
