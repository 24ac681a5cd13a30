"""The admin site as organisers meet it (config/admin.py)."""

import re

import pytest
from django.urls import reverse

from tests.factories import CampaignFactory, EventFactory, LetterFactory

pytestmark = pytest.mark.django_db


# The organisers' sections, in order; the suppression list ("Mail") is theirs too.
WORK = [
    "Open letters",
    "Signatories",
    "Resolutions",
    "Campaigns",
    "Coming to events",
    "Access log",
    "Mail",
]


def sections(html):
    return re.findall(r'<caption>\s*<a href="[^"]+" class="section"[^>]*>([^<]+)</a>', html)


def test_the_index_puts_the_organisers_work_first_and_the_machinery_last(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    found = sections(html)
    assert found[: len(WORK)] == WORK
    assert found[len(WORK) :] and all(name.startswith("System: ") for name in found[len(WORK) :])
    letters = html[html.index(">Open letters<") : html.index(">Signatories<")]
    assert letters.index("Letters") < letters.index("Updates") < letters.index("Deliveries")


def test_organisers_see_their_work_and_no_machinery(organiser_client):
    found = sections(organiser_client.get(reverse("admin:index")).content.decode())
    assert found == WORK


def test_tabular_inline_fields_have_names_a_screen_reader_says(admin_client):
    campaign = CampaignFactory()
    EventFactory(campaign=campaign, title="Demo at the embassy")
    html = admin_client.get(
        reverse("admin:campaign_campaign_change", args=[campaign.pk])
    ).content.decode()
    assert 'aria-label="Title, row 1"' in html
    assert 'aria-label="Delete, row 1"' in html
    assert 'type="hidden" name="events-0-id"' in html
    assert not re.search(r'type="hidden"[^>]*aria-label', html)


def test_our_own_pages_carry_the_admin_breadcrumbs(admin_client):
    letter = LetterFactory()
    html = admin_client.get(reverse("admin:letters_letter_paper", args=[letter.pk])).content
    html = html.decode()
    assert '<ol class="breadcrumbs">' in html
    assert '<li aria-current="page">Type in paper sign-ups</li>' in html


def test_the_index_says_what_waits_for_this_user_and_links_to_it(
    organiser_client, moderator_client, django_user_model, roles
):
    from django.utils import timezone

    from resolutions.models import PassedResolution
    from tests.factories import SignatoryFactory

    letter = LetterFactory()
    SignatoryFactory.create_batch(3, letter=letter, status="pending")
    SignatoryFactory(letter=letter, status="pending", suspicion="rate", confirmed_at=None)
    SignatoryFactory(letter=letter)  # approved: nothing to do
    PassedResolution.objects.create(
        campaign=letter.campaign,
        body="Bakerloo branch",
        level="branch",
        passed_on="2012-11-20",
        email="secretary@example.net",
        confirmed_at=timezone.now(),
    )
    index = reverse("admin:index")

    html = organiser_client.get(index).content.decode()
    assert "Waiting for you" in html
    queue = "/admin/signatories/signatory/?queue="
    assert f'<a href="{queue}awaiting">3 signatures awaiting a decision</a>' in html
    assert (
        '<a href="/admin/signatories/signatory/?queue=suspect">1 signature held as suspect</a>'
        in html
    )
    assert "1 report of a resolution passed, awaiting approval" in html
    assert "1 report" in moderator_client.get(index).content.decode()  # moderators decide too

    # Another team's work is not theirs: an organiser of another campaign sees none of it.
    from teams.models import Role
    from teams.services import team_member_set

    elsewhere = django_user_model.objects.create_user("elsewhere", is_staff=True)
    elsewhere.groups.add(roles["Organisers"])
    team_member_set(campaign=CampaignFactory(), user=elsewhere, role=Role.ORGANISER)
    from django.test import Client

    other = Client()
    other.force_login(elsewhere)
    assert "Waiting for you" not in other.get(index).content.decode()
