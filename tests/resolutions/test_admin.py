"""Organisers and moderators decide on reports, record how far each went, and sign bodies in."""

import pytest
from django.urls import reverse

from resolutions.models import PassedResolution
from signatories.models import Signatory
from tests.factories import CampaignFactory, LetterFactory
from tests.resolutions.conftest import PassedResolutionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:resolutions_passedresolution_changelist"


def change_url(resolution):
    return reverse("admin:resolutions_passedresolution_change", args=[resolution.pk])


def decide_url(resolution, decision):
    return reverse("admin:resolutions_passedresolution_decide", args=[resolution.pk, decision])


def test_the_list_shows_reports_awaiting_approval(moderator_client, campaign):
    PassedResolutionFactory(campaign=campaign, body="Awaiting branch", status="pending")
    PassedResolutionFactory(campaign=campaign, body="Approved branch")
    response = moderator_client.get(reverse(CHANGELIST), {"state": "awaiting"})
    assert response.status_code == 200
    assert "RMT Awaiting branch" in response.text
    assert "RMT Approved branch" not in response.text


def test_moderators_approve_confirmed_reports_in_bulk_but_never_unconfirmed_ones(
    moderator_client, campaign
):
    confirmed = PassedResolutionFactory(campaign=campaign, status="pending")
    unconfirmed = PassedResolutionFactory(campaign=campaign, status="pending", confirmed_at=None)
    response = moderator_client.post(
        reverse(CHANGELIST),
        {"action": "approve", "_selected_action": [confirmed.pk, unconfirmed.pk]},
        follow=True,
    )
    assert "1 report approved." in response.text
    assert "1 not approved: the reporter has not confirmed yet" in response.text
    confirmed.refresh_from_db()
    unconfirmed.refresh_from_db()
    assert confirmed.status == "approved" and confirmed.decided_by == moderator_client.user
    assert unconfirmed.status == "pending"


def test_the_decision_buttons_on_a_report(organiser_client, campaign):
    resolution = PassedResolutionFactory(campaign=campaign, status="pending")
    page = organiser_client.get(change_url(resolution))
    assert "Approve: list on the campaign page" in page.text
    assert organiser_client.get(decide_url(resolution, "approve")).status_code == 405

    organiser_client.post(decide_url(resolution, "approve"))
    resolution.refresh_from_db()
    assert resolution.status == "approved"
    organiser_client.post(decide_url(resolution, "reject"))
    resolution.refresh_from_db()
    assert resolution.status == "rejected"
    assert organiser_client.post(decide_url(resolution, "explode")).status_code == 404


def test_the_database_refuses_an_approved_report_nobody_confirmed(campaign):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        PassedResolutionFactory(campaign=campaign, confirmed_at=None, status="approved")


def test_an_approved_body_is_added_to_the_letter_in_one_step(organiser_client, campaign, client):
    letter = campaign.letters.get()
    resolution = PassedResolutionFactory(
        campaign=campaign, body="Central Line West branch", sign_letter=letter
    )
    page = organiser_client.get(change_url(resolution))
    assert "Add “RMT Central Line West branch” to the letter" in page.text

    response = organiser_client.post(decide_url(resolution, "sign"), follow=True)

    assert "1 body added to the letter." in response.text
    signatory = Signatory.objects.get(letter=letter)
    assert (signatory.name, signatory.kind, signatory.status) == (
        "RMT Central Line West branch",
        "organisation",
        "approved",
    )
    assert signatory.confirmed_at is not None and signatory.email == ""
    resolution.refresh_from_db()
    assert resolution.signatory == signatory
    # Once is enough: a second press adds nothing.
    organiser_client.post(decide_url(resolution, "sign"))
    assert Signatory.objects.filter(letter=letter).count() == 1
    assert "RMT Central Line West branch" in client.get(letter.get_absolute_url()).text


def test_no_body_signs_without_its_consent_or_approval(organiser_client, campaign):
    letter = campaign.letters.get()
    no_consent = PassedResolutionFactory(campaign=campaign)
    not_approved = PassedResolutionFactory(campaign=campaign, status="pending", sign_letter=letter)
    response = organiser_client.post(
        reverse(CHANGELIST),
        {"action": "add_to_letter", "_selected_action": [no_consent.pk, not_approved.pk]},
        follow=True,
    )
    assert "did not say the body may sign" in response.text
    assert "Approve the report first" in response.text
    assert not Signatory.objects.exists()


def test_a_letter_handed_in_takes_no_more_bodies(organiser_client, campaign):
    letter = campaign.letters.get()
    resolution = PassedResolutionFactory(campaign=campaign, sign_letter=letter)
    letter.status = "delivered"
    letter.save(update_fields=["status"])
    response = organiser_client.post(decide_url(resolution, "sign"), follow=True)
    assert "has been handed in" in response.text
    assert not Signatory.objects.exists()


def test_moderators_may_not_add_names(moderator_client, campaign):
    resolution = PassedResolutionFactory(campaign=campaign, sign_letter=campaign.letters.get())
    page = moderator_client.get(change_url(resolution))
    assert "to the letter</button>" not in page.text
    response = moderator_client.post(decide_url(resolution, "sign"), follow=True)
    assert "only an organiser of the campaign may add names" in response.text
    assert not Signatory.objects.exists()


def test_the_reporters_address_is_for_organisers_only(organiser_client, moderator_client, campaign):
    resolution = PassedResolutionFactory(campaign=campaign, email="reporter@example.net")
    assert "reporter@example.net" in organiser_client.get(change_url(resolution)).text
    assert "reporter@example.net" not in moderator_client.get(change_url(resolution)).text


def test_a_step_up_is_recorded_on_the_report(organiser_client, campaign):
    resolution = PassedResolutionFactory(campaign=campaign, status="pending")
    page = organiser_client.get(change_url(resolution))
    form = {
        "body": resolution.body,
        "organisation": resolution.organisation,
        "level": resolution.level,
        "passed_on": "2012-11-01",
        "url": "",
        "text": "",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        "steps-0-kind": "forwarded",
        "steps-0-to_body": "the RMT London region",
        "steps-0-level": "region",
        "steps-0-on": "2012-11-20",
    }
    assert page.status_code == 200
    response = organiser_client.post(change_url(resolution), form)
    assert response.status_code == 302, response.text
    [step] = resolution.steps.all()
    assert (step.kind, step.to_body, str(step.on)) == (
        "forwarded",
        "the RMT London region",
        "2012-11-20",
    )


def test_an_organiser_types_in_a_report_which_is_approved_at_once(organiser_client, campaign):
    response = organiser_client.post(
        reverse("admin:resolutions_passedresolution_add"),
        {
            "campaign": campaign.pk,
            "body": "Sheffield Trades Council",
            "organisation": "",
            "level": "trades_council",
            "passed_on": "2013-01-10",
            "url": "",
            "text": "",
            "email": "",
            "sign_letter": "",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.text
    stored = PassedResolution.objects.get()
    assert (stored.source, stored.status) == ("organiser", "approved")
    assert stored.confirmed_at is not None and stored.decided_by == organiser_client.user


def test_a_letter_of_another_campaign_cannot_be_chosen(organiser_client, campaign):
    other = LetterFactory(campaign=CampaignFactory())
    response = organiser_client.post(
        reverse("admin:resolutions_passedresolution_add"),
        {
            "campaign": campaign.pk,
            "body": "A branch",
            "organisation": "",
            "level": "branch",
            "passed_on": "2013-01-10",
            "sign_letter": other.pk,
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Choose a letter of the same campaign." in response.text
    assert not PassedResolution.objects.exists()


def test_another_teams_report_is_a_404(client, django_user_model, roles, campaign):
    from teams.models import Role
    from teams.services import team_member_set

    resolution = PassedResolutionFactory(campaign=campaign)
    user = django_user_model.objects.create_user("elsewhere", is_staff=True)
    user.groups.add(roles["Organisers"])
    team_member_set(campaign=CampaignFactory(), user=user, role=Role.ORGANISER)
    client.force_login(user)
    assert client.get(change_url(resolution)).status_code == 404
    assert client.post(decide_url(resolution, "approve")).status_code == 404
    assert "RMT" not in client.get(reverse(CHANGELIST)).text.split("</thead>")[-1]


def test_a_report_rejected_after_its_body_signed_keeps_the_signature_and_says_so(
    organiser_client, campaign
):
    resolution = PassedResolutionFactory(campaign=campaign, sign_letter=campaign.letters.get())
    organiser_client.post(decide_url(resolution, "sign"))
    response = organiser_client.post(decide_url(resolution, "reject"), follow=True)
    assert response.status_code == 200
    assert "had signed the letter and still stand on it" in response.text
    resolution.refresh_from_db()
    assert resolution.status == "rejected" and resolution.signatory is not None
    assert Signatory.objects.get().status == "approved"


def test_a_look_at_the_reporters_address_is_in_the_access_log(
    organiser_client, moderator_client, campaign
):
    from teams.models import ContactView

    resolution = PassedResolutionFactory(campaign=campaign, email="reporter@example.net")
    moderator_client.get(change_url(resolution))
    assert not ContactView.objects.exists()  # nothing shown, nothing logged
    organiser_client.get(change_url(resolution))
    [look] = ContactView.objects.all()
    assert (look.username, look.campaign_id, look.letter_title) == (
        organiser_client.user.username,
        campaign.pk,
        "Report: RMT " + resolution.body,
    )
