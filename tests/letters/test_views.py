import pytest
from django.urls import reverse

from signatories.models import Signatory
from tests.factories import EventFactory, LetterFactory, SignatoryFactory
from tests.helpers import sign_data, sign_url

pytestmark = pytest.mark.django_db


def test_letter_page_shows_the_text_the_count_and_the_form(client, letter):
    SignatoryFactory(letter=letter, name="Owen Jones", affiliation="columnist")
    SignatoryFactory(letter=letter, name="Hidden Pending", status="pending")

    response = client.get(letter.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert letter.salutation in html
    assert "1. To act;" in html and "2. To act again." in html
    assert response.context["count"] == 1
    assert "Owen Jones" in html and "(<bdi>columnist</bdi>)" in html
    assert "Hidden Pending" not in html
    assert 'name="email"' in html and "csrfmiddlewaretoken" in html


def test_organisations_come_first_then_individuals_by_surname(client, letter):
    SignatoryFactory(letter=letter, name="Zoe Adams")
    SignatoryFactory(letter=letter, name="Amy Zephyr")
    SignatoryFactory(letter=letter, name="Zebra Union Branch", kind="organisation")

    response = client.get(letter.get_absolute_url())

    names = [s.name for s in response.context["page"]]
    assert names == ["Zebra Union Branch", "Zoe Adams", "Amy Zephyr"]


def test_the_list_is_paginated(client, letter, settings):
    settings.SIGNATORIES_PER_PAGE = 2
    for surname in ["Able", "Baker", "Carter", "Dunn", "Ellis"]:
        SignatoryFactory(letter=letter, name=f"Sam {surname}")

    page3 = client.get(letter.get_absolute_url(), {"page": 3})
    nonsense = client.get(letter.get_absolute_url(), {"page": "abc"})

    assert [s.name for s in page3.context["page"]] == ["Sam Ellis"]
    assert page3.context["count"] == 5
    assert 'start="5"' in page3.content.decode()
    assert nonsense.status_code == 200
    assert [s.name for s in nonsense.context["page"]] == ["Sam Able", "Sam Baker"]


def test_query_count_is_the_same_for_10_and_100000_signatories(
    client, letter, django_assert_num_queries, django_assert_max_num_queries
):
    """Measured on a render (the page cache emptied): the names are one page off an index."""
    from django.core.cache import caches

    def fill(start, stop):
        rows = []
        for i in range(start, stop):
            row = Signatory(
                letter=letter,
                name=f"Person{i} Zernova",
                affiliation="member of Unite",
                email=f"p{i}@example.net",
                status=Signatory.Status.APPROVED,
                confirmed_at=letter.created_at,
            )
            row.set_sort_name()
            rows.append(row)
        Signatory.objects.bulk_create(rows, batch_size=5000)

    fill(0, 10)
    with django_assert_max_num_queries(7) as small:
        client.get(letter.get_absolute_url())
    fill(10, 100_000)
    caches["process"].clear()
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(letter.get_absolute_url())
    assert response.context["count"] == 100_000
    assert response.context["page"].paginator.num_pages == 1000


def test_draft_letters_are_not_public(client):
    letter = LetterFactory(status="draft")
    assert client.get(letter.get_absolute_url()).status_code == 404
    assert client.post(sign_url(letter), sign_data()).status_code == 404


@pytest.mark.parametrize("status", ["closed", "delivered"])
def test_closed_letter_page_explains_and_refuses_signatures(client, status):
    letter = LetterFactory(status=status)

    page = client.get(letter.get_absolute_url())
    post = client.post(sign_url(letter), sign_data())

    assert page.status_code == 200
    assert 'name="email"' not in page.content.decode()
    assert post.status_code == 409
    assert f"This letter is {letter.get_status_display().lower()}" in post.content.decode()
    assert not Signatory.objects.exists()


def test_sign_redirects_to_the_thank_you_page(client, letter, mailoutbox, on_commit):
    with on_commit():
        response = client.post(sign_url(letter), sign_data(consents_to_updates="on"))

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:thanks", kwargs={"slug": letter.slug})
    signatory = Signatory.objects.get()
    assert signatory.consents_to_updates is True
    assert len(mailoutbox) == 1
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "check your e-mail" in thanks.content.decode().lower()


def test_invalid_form_is_a_400_with_messages_next_to_the_fields(client, letter):
    response = client.post(sign_url(letter), sign_data(name="", email="nope"))

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"name", "email"}
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert 'value="nope"' in html
    assert not Signatory.objects.exists()


def test_get_on_the_sign_url_goes_back_to_the_letter(client, letter):
    response = client.get(sign_url(letter))
    assert response.status_code == 302
    assert response["Location"] == letter.get_absolute_url()


def test_hand_in_details_are_shown(client):
    event = EventFactory(place="Foreign Office")
    letter = LetterFactory(campaign=event.campaign, hand_in_event=event, hand_in_date="2013-12-16")
    html = client.get(letter.get_absolute_url()).content.decode()
    assert "16 December 2013" in html and "Foreign Office" in html


def test_unknown_letter_is_a_404(client, db):
    assert client.get("/letters/no-such-letter/").status_code == 404
