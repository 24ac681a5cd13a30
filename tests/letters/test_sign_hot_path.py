"""The sign request under load: one query, and the database has the last word on closing."""

import pytest
from django.core.cache import caches

from letters.services.lifecycle import letter_transition
from signatories.models import Signatory
from tests.helpers import sign_data, sign_url


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: no savepoints
def test_a_sign_request_is_one_insert_once_the_letter_is_cached(
    client, letter, database_tasks, shared_cache, django_assert_num_queries
):
    """The letter comes from the cache and the first signature of a burst queued the drain."""
    assert client.post(sign_url(letter), sign_data(email="first@example.net")).status_code == 302
    with django_assert_num_queries(1) as queries:
        response = client.post(sign_url(letter), sign_data(email="second@example.net"))
    assert response.status_code == 302
    assert queries.captured_queries[0]["sql"].startswith("INSERT")
    assert Signatory.objects.count() == 2


def test_a_letter_closed_after_it_was_cached_takes_no_more_names(client, letter):
    assert client.post(sign_url(letter), sign_data(email="first@example.net")).status_code == 302
    cached = caches["process"].get(f"letter-lean:{letter.slug}")
    assert cached.is_open  # what the next request will use

    letter_transition(letter=letter, to_status=letter.Status.CLOSED)
    response = client.post(sign_url(letter), sign_data(email="late@example.net"))

    assert response.status_code == 409
    assert "closed" in response.content.decode().lower()
    assert list(Signatory.objects.values_list("email", flat=True)) == ["first@example.net"]


def test_a_reopened_letter_takes_names_at_once(client, letter):
    letter_transition(letter=letter, to_status=letter.Status.CLOSED)
    assert client.post(sign_url(letter), sign_data(email="a@example.net")).status_code == 409

    letter_transition(letter=letter, to_status=letter.Status.OPEN)
    assert client.post(sign_url(letter), sign_data(email="a@example.net")).status_code == 302
    assert Signatory.objects.count() == 1


def test_a_repeat_reads_the_row_back_and_changes_nothing(client, letter):
    client.post(sign_url(letter), sign_data(email="ada@example.net", name="Ada Lovelace"))
    client.post(sign_url(letter), sign_data(email="ADA@example.net", name="Someone Else"))
    assert list(Signatory.objects.values_list("name", flat=True)) == ["Ada Lovelace"]
