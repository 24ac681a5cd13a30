"""Campaigns and their events in the admin."""

import datetime

import pytest
from django.urls import reverse

from campaign.models import Event
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_an_event_is_entered_and_shown_in_its_own_time_zone(admin_client, client):
    campaign = CampaignFactory()
    response = admin_client.post(
        reverse("admin:campaign_event_add"),
        {
            "campaign": campaign.pk,
            "title": "Vigil in Almaty",
            "starts_at_0": "16/12/2026",
            "starts_at_1": "19:00",
            "ends_at_0": "16/12/2026",
            "ends_at_1": "20:30",
            "time_zone": "Asia/Almaty",
            "place": "Republic Square",
            "address": "",
            "description": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get()
    assert event.starts_at == datetime.datetime(2026, 12, 16, 14, 0, tzinfo=datetime.UTC)
    assert event.ends_at == datetime.datetime(2026, 12, 16, 15, 30, tzinfo=datetime.UTC)

    form = admin_client.get(reverse("admin:campaign_event_change", args=[event.pk]))
    html = form.content.decode()
    assert 'name="starts_at_1" value="19:00:00"' in html or 'value="19:00"' in html
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert (
        "16 December 2026, 19:00</time>–20:30" in page
        and '(<span title="Asia/Almaty">Almaty time</span>)' in page
    )
    ics = client.get(event.get_ics_url()).content.decode()
    assert "DTSTART:20261216T140000Z" in ics and "DTEND:20261216T153000Z" in ics


def test_an_event_that_ends_before_it_starts_is_refused(admin_client):
    campaign = CampaignFactory()
    response = admin_client.post(
        reverse("admin:campaign_event_add"),
        {
            "campaign": campaign.pk,
            "title": "Backwards",
            "starts_at_0": "16/12/2026",
            "starts_at_1": "19:00",
            "ends_at_0": "16/12/2026",
            "ends_at_1": "18:00",
            "time_zone": "Europe/London",
            "place": "Somewhere",
        },
    )
    assert response.status_code == 200
    assert "An event ends after it starts." in response.content.decode()
    assert not Event.objects.exists()
