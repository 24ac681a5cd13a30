"""The letter page's timeline: what happened to the letter, from what is recorded."""

import datetime

import pytest
from django.utils import timezone

from letters.models import Delivery, LetterStatusChange, Milestone, Reply, SignedPdf, Update
from tests.factories import LetterFactory

pytestmark = pytest.mark.django_db


def at(day, hour=12):
    return timezone.make_aware(datetime.datetime(2013, 11, day, hour))


@pytest.fixture
def history():
    letter = LetterFactory(status="delivered")
    changes = [
        ("draft", "open", 1),
        ("open", "closed", 5),
        ("closed", "open", 6),
        ("open", "closed", 10),
    ]
    for before, after, day in changes:
        LetterStatusChange.objects.create(
            letter=letter, from_status=before, to_status=after, changed_at=at(day)
        )
    LetterStatusChange.objects.create(
        letter=letter, from_status="closed", to_status="delivered", changed_at=at(16)
    )
    Milestone.objects.create(letter=letter, count=100, reached_at=at(3))
    Milestone.objects.create(letter=letter, count=1000, reached_at=at(8))
    Update.objects.create(
        letter=letter,
        subject="We hand it in on Monday",
        body="Come along.",
        is_public=True,
        created_at=at(12),
        send_requested_at=at(12, 14),
    )
    Update.objects.create(letter=letter, subject="A draft update", body="Not sent.", is_public=True)
    signed = SignedPdf.objects.create(letter=letter)
    Delivery.objects.create(
        letter=letter,
        handed_in_at=at(16, 11),
        place="the Foreign Office",
        signature_count=1043,
        signed_pdf=signed,
        sha256="0" * 64,
        recorded_at=at(16, 15),
    )
    Reply.objects.create(
        letter=letter, received_on=datetime.date(2014, 1, 20), sender="the FCO", text="Thank you."
    )
    return letter


def test_the_page_tells_what_happened_in_order(client, history):
    page = client.get(history.get_absolute_url()).text
    section = page[
        page.index('id="timeline"') : page.index("</section>", page.index('id="timeline"'))
    ]
    expected = [
        "1 November 2013",
        "The letter was opened for signatures.",
        "3 November 2013",
        "100 signatures reached.",
        "5 November 2013",
        "The letter was closed to new signatures.",
        "6 November 2013",
        "The letter was opened again for signatures.",
        "8 November 2013",
        "1,000 signatures reached.",
        "10 November 2013",
        "The letter was closed to new signatures.",
        "12 November 2013",
        "We hand it in on Monday",
        "16 November 2013",
        "Handed in at the Foreign Office with 1,043 signatures.",
        "20 January 2014",
        "A reply came from the FCO.",
    ]
    position = 0
    for text in expected:
        position = section.index(text, position) + len(text)
    assert "A draft update" not in section  # never sent: not public
    assert f'href="/letters/{history.slug}/delivered.pdf"' in section or "as delivered" in section
    assert 'datetime="2014-01-20"' in section


def test_a_letter_just_opened_has_one_event(client):
    letter = LetterFactory()
    LetterStatusChange.objects.create(
        letter=letter, from_status="draft", to_status="open", changed_at=at(1)
    )
    page = client.get(letter.get_absolute_url()).text
    assert "What has happened so far" in page
    assert "The letter was opened for signatures." in page


def test_no_record_no_timeline(client):
    letter = LetterFactory()
    assert 'id="timeline"' not in client.get(letter.get_absolute_url()).text


def test_the_timeline_costs_two_queries_whatever_its_length(
    client, history, django_assert_num_queries
):
    from letters.page import shell_context
    from letters.selectors import letter_get_public, letter_load_page_parts
    from letters.timeline import letter_timeline

    letter = letter_get_public(slug=history.slug)
    letter_load_page_parts(letter=letter)
    with django_assert_num_queries(2):
        events = letter_timeline(letter=letter)
    assert len(events) == 9
    assert shell_context  # the page builds it in the shell (letters/page.py)
