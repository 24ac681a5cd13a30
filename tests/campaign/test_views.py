import datetime
import zoneinfo

import pytest

from tests.factories import (
    CampaignFactory,
    DemandFactory,
    EventFactory,
    LetterFactory,
    ResourceFactory,
)

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_home_lists_public_letters_only(client):
    LetterFactory(title="The open one")
    LetterFactory(title="A secret draft", status="draft")
    html = client.get("/").content.decode()
    assert "The open one" in html
    assert "A secret draft" not in html


def test_campaign_page_shows_background_demands_events_letters_and_resolution(client):
    campaign = CampaignFactory(background="First paragraph.\n\nSecond paragraph.")
    DemandFactory(campaign=campaign, position=2, text="An independent inquiry")
    DemandFactory(campaign=campaign, position=1, text="Release the jailed oil workers")
    EventFactory(
        campaign=campaign,
        title="Hand-in",
        starts_at=datetime.datetime(2013, 12, 16, 10, 0, tzinfo=LONDON),
        place="Foreign Office",
    )
    ResourceFactory(campaign=campaign, title="Model resolution", body="This union notes:")
    LetterFactory(campaign=campaign, title="Letter to the Foreign Secretary")
    LetterFactory(campaign=campaign, title="Unfinished draft", status="draft")

    response = client.get(campaign.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "<p>First paragraph.</p>" in html
    assert html.index("Release the jailed") < html.index("An independent inquiry")
    assert "Monday 16 December 2013, 10:00" in html
    assert "Foreign Office" in html
    assert "This union notes:" in html
    assert "Letter to the Foreign Secretary" in html
    assert "Unfinished draft" not in html


def test_event_times_are_shown_in_the_event_zone(client, settings):
    settings.TIME_ZONE = "UTC"
    event = EventFactory(
        starts_at=datetime.datetime(2026, 6, 1, 12, 0, tzinfo=LONDON),  # 11:00 UTC in summer
        time_zone="Asia/Almaty",
    )
    html = client.get(event.campaign.get_absolute_url()).content.decode()
    assert "Monday 1 June 2026, 16:00" in html
    assert '<span title="Asia/Almaty">Almaty time</span>' in html


def test_event_ics(client):
    event = EventFactory(
        title="Demonstration; at the embassy, with banners",
        starts_at=datetime.datetime(2013, 12, 16, 12, 0, tzinfo=LONDON),
        ends_at=datetime.datetime(2013, 12, 16, 14, 0, tzinfo=LONDON),
        place="Kazakh Embassy",
        address="125 Pall Mall, London SW1",
        description="Line one\nline two " + "long " * 30,
    )

    response = client.get(event.get_ics_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert "DTSTART:20131216T120000Z\r\n" in body
    assert "DTEND:20131216T140000Z\r\n" in body
    assert "SUMMARY:Demonstration\\; at the embassy\\, with banners\r\n" in body
    assert "LOCATION:Kazakh Embassy\\, 125 Pall Mall\\, London SW1\r\n" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "")
    assert "DESCRIPTION:Line one\\nline two long" in unfolded


def test_unknown_campaign_and_event_are_404(client):
    event = EventFactory()
    other = CampaignFactory()
    assert client.get("/campaigns/nope/").status_code == 404
    assert client.get(f"/campaigns/{other.slug}/events/{event.pk}.ics").status_code == 404


def test_ics_times_are_utc_in_summer_too(client):
    london = zoneinfo.ZoneInfo("Europe/London")
    event = EventFactory(starts_at=datetime.datetime(2026, 6, 1, 12, 0, tzinfo=london))
    assert "DTSTART:20260601T110000Z" in client.get(event.get_ics_url()).content.decode()


def test_a_letters_card_gives_its_title_in_the_readers_language(
    client, django_assert_max_num_queries
):
    from letters.models import LetterTranslation
    from tests.factories import LetterFactory

    letters = [LetterFactory(title=f"Letter {n}") for n in range(3)]
    for letter in letters:
        LetterTranslation.objects.create(
            letter=letter,
            language="kk",
            title=f"Хат {letter.title[-1]}",
            salutation="С",
            body="Б",
            closing="К",
            is_ready=letter is not letters[2],
        )
    with django_assert_max_num_queries(4):  # the translations come in one query for all cards
        html = client.get("/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert '<a href="/letters/' in html
    assert 'lang="kk">Хат 0</a>' in html and 'lang="kk">Хат 1</a>' in html
    assert 'lang="en">Letter 2</a>' in html  # its translation is not ready
    campaign = client.get(letters[0].campaign.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="kk")
    assert 'lang="kk">Хат 0</a>' in campaign.content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en">Letter 0</a>' in english
