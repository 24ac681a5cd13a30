"""The reporter's side: the form, the mail, the link; and what the campaign page shows."""

import datetime
import email
import email.policy
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from resolutions.models import PassedResolution
from tests.factories import CampaignFactory
from tests.resolutions.conftest import PassedResolutionFactory, ResolutionStepFactory

pytestmark = pytest.mark.django_db


def report_url(campaign):
    return reverse("resolutions:report", kwargs={"slug": campaign.slug})


def report_data(**overrides):
    data = {
        "body": "Central Line West branch",
        "organisation": "RMT",
        "level": "branch",
        "passed_on": "2012-11-01",
        "url": "",
        "text": "",
        "email": "secretary@example.net",
        "website": "",
    }
    data.update(overrides)
    return data


def confirm_path(mail):
    return re.search(r"https?://[^/\s]+(/resolutions/confirm/\S+/)", mail.body).group(1)


def report(client, campaign, on_commit, **overrides):
    with on_commit():
        return client.post(report_url(campaign), report_data(**overrides))


def test_a_report_is_stored_unconfirmed_and_its_link_mailed(
    client, campaign, on_commit, mailoutbox
):
    response = report(client, campaign, on_commit)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("resolutions:sent", args=[campaign.slug]))
    stored = PassedResolution.objects.get()
    assert (stored.body, stored.organisation, stored.level) == (
        "Central Line West branch",
        "RMT",
        "branch",
    )
    assert stored.passed_on == datetime.date(2012, 11, 1)
    assert stored.confirmed_at is None and stored.status == "pending"
    assert stored.source == "web" and stored.confirmation_sent_at is not None
    [mail] = mailoutbox
    assert mail.to == ["secretary@example.net"]
    assert "RMT Central Line West branch" in mail.subject
    # The raw bytes parse under the strict policy, and the subject is one line.
    parsed = email.message_from_bytes(mail.message().as_bytes(), policy=email.policy.strict)
    assert "\n" not in str(parsed["Subject"])
    assert confirm_path(mail)
    page = client.get(response["Location"])
    assert "Now check your e-mail" in page.text


def test_the_address_is_stored_encrypted_and_found_by_its_hash(campaign, on_commit, client):
    from django.db import connection

    report(client, campaign, on_commit)
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, email_hash FROM resolutions_passedresolution")
        [(stored, hashed)] = cursor.fetchall()
    assert "secretary" not in stored and "secretary" not in hashed


def test_the_link_asks_first_then_confirms_once(client, campaign, on_commit, mailoutbox):
    report(client, campaign, on_commit)
    path = confirm_path(mailoutbox[0])

    asked = client.get(path)
    assert asked.status_code == 200
    assert "Confirm the report" in asked.text
    assert PassedResolution.objects.get().confirmed_at is None  # a mail scanner changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "Your report is confirmed" in done.text
    assert PassedResolution.objects.get().confirmed_at is not None

    again = client.post(path)
    assert again.status_code == 409
    assert "Already confirmed" in again.text


def test_a_forged_link_is_refused_and_changes_nothing(client, campaign, on_commit, mailoutbox):
    report(client, campaign, on_commit)
    path = confirm_path(mailoutbox[0])
    response = client.post(path[:-5] + "xxxx/")
    assert response.status_code == 400
    assert "This link is not valid" in response.text
    assert PassedResolution.objects.get().confirmed_at is None


def test_an_expired_link_says_so(client, campaign, on_commit, mailoutbox, settings):
    report(client, campaign, on_commit)
    path = confirm_path(mailoutbox[0])
    settings.CONFIRMATION_MAX_AGE_DAYS = -1
    response = client.get(path)
    assert response.status_code == 410
    assert "expired" in response.text


def test_the_same_report_again_adds_nothing_and_mails_at_most_once_an_hour(
    client, campaign, on_commit, mailoutbox
):
    report(client, campaign, on_commit)
    # The same body, typed differently, from the same address (a double tap, a retry).
    again = report(
        client, campaign, on_commit, body="central line west BRANCH", email="Secretary@Example.net"
    )

    assert again.status_code == 302
    assert PassedResolution.objects.count() == 1
    assert len(mailoutbox) == 1
    PassedResolution.objects.update(
        confirmation_sent_at=timezone.now() - datetime.timedelta(hours=2)
    )
    report(client, campaign, on_commit)
    assert len(mailoutbox) == 2
    assert PassedResolution.objects.count() == 1


def test_another_body_from_the_same_address_is_another_report(client, campaign, on_commit):
    report(client, campaign, on_commit)
    report(client, campaign, on_commit, body="Bakerloo branch")
    assert PassedResolution.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("body", "", "This field is required"),
        ("body", "Branch\x00 name", "control characters"),
        ("body", "B" * 10_000, "at most 200 characters"),
        ("email", "not-an-address", "valid email"),
        ("email", "a@b\x00.net", "valid email"),
        ("passed_on", "2999-01-01", "still to come"),
        ("passed_on", "1 November", "valid date"),
        ("url", "javascript:alert(1)", "valid URL"),
        ("text", "Passed unanimously; write to sec@example.net", "holds an e-mail address"),
        ("level", "galaxy", "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_with_a_message(client, campaign, field, value, message):
    response = client.post(report_url(campaign), report_data(**{field: value}))
    assert response.status_code == 400
    assert message in response.text
    assert 'id="form-errors"' in response.text
    assert not PassedResolution.objects.exists()


def test_right_to_left_and_kazakh_text_is_kept(client, campaign, on_commit):
    report(client, campaign, on_commit, body="Жаңаөзен филиалы", organisation="\u202eنقابة")
    stored = PassedResolution.objects.get()
    assert stored.body == "Жаңаөзен филиалы"
    assert stored.organisation == "نقابة"  # the bidi override is dropped, the text kept


def test_the_resolution_text_keeps_its_paragraphs(client, campaign, on_commit):
    report(
        client, campaign, on_commit, text="This branch notes:\r\n\r\n\r\n\r\n— That 17 were jailed;"
    )
    assert PassedResolution.objects.get().text == "This branch notes:\n\n— That 17 were jailed;"


def test_the_hidden_field_filled_stores_nothing(client, campaign, on_commit, mailoutbox):
    response = report(client, campaign, on_commit, website="http://spam.example")
    assert response.status_code == 302
    assert not PassedResolution.objects.exists()
    assert mailoutbox == []


def test_too_many_reports_from_one_address_get_a_429(client, campaign, on_commit, settings):
    settings.REPORTS_PER_HOUR_PER_IP = 2
    for number in range(2):
        assert report(client, campaign, on_commit, body=f"Branch {number}").status_code == 302
    response = report(client, campaign, on_commit, body="One too many")
    assert response.status_code == 429
    assert PassedResolution.objects.count() == 2


def test_a_campaign_without_a_model_resolution_takes_no_reports(client, db):
    campaign = CampaignFactory()
    assert client.get(report_url(campaign)).status_code == 404
    assert client.post(report_url(campaign), report_data()).status_code == 404
    page = client.get(campaign.get_absolute_url())
    assert "Bodies that passed the resolution" not in page.text


def test_the_body_may_sign_the_open_letter_with_its_consent(client, campaign, on_commit):
    letter = campaign.letters.get()
    form = client.get(report_url(campaign))
    assert "The body also signs the open letter" in form.text
    assert letter.title in form.text
    report(client, campaign, on_commit, sign_letter="on")
    report(client, campaign, on_commit, body="No consent branch")
    consented, not_consented = PassedResolution.objects.order_by("pk")
    assert consented.sign_letter == letter
    assert not_consented.sign_letter is None


def test_no_open_letter_no_question(client, campaign):
    campaign.letters.update(status="closed")
    form = client.get(report_url(campaign))
    assert form.status_code == 200
    assert "The body also signs" not in form.text


# The campaign page.


def test_only_confirmed_and_approved_reports_are_shown(client, campaign):
    PassedResolutionFactory(campaign=campaign, body="Approved branch")
    PassedResolutionFactory(
        campaign=campaign, body="Unconfirmed branch", confirmed_at=None, status="pending"
    )
    PassedResolutionFactory(campaign=campaign, body="Awaiting branch", status="pending")
    PassedResolutionFactory(campaign=campaign, body="Rejected branch", status="rejected")
    PassedResolutionFactory(body="Another campaign's branch")

    page = client.get(campaign.get_absolute_url()).text

    assert "Approved branch" in page
    for hidden in ["Unconfirmed", "Awaiting", "Rejected", "Another campaign"]:
        assert hidden not in page
    assert "1 body has passed it so far." in page


def test_bodies_are_grouped_by_level_then_union_with_the_count(client, campaign):
    PassedResolutionFactory(campaign=campaign, body="Central Line West branch", organisation="RMT")
    PassedResolutionFactory(campaign=campaign, body="Bakerloo branch", organisation="RMT")
    PassedResolutionFactory(campaign=campaign, body="Sheffield branch", organisation="UCU")
    PassedResolutionFactory(
        campaign=campaign, body="RMT Council of Executives", organisation="RMT", level="national"
    )
    PassedResolutionFactory(
        campaign=campaign, body="Sheffield Trades Council", organisation="", level="trades_council"
    )

    page = client.get(campaign.get_absolute_url()).text

    assert "5 bodies have passed it so far." in page
    section = page[page.index('id="resolution-bodies"') :]
    # Each in turn, after the one before it.
    expected = [
        "National bodies",
        "RMT",
        "RMT Council of Executives",
        "Branches",
        "RMT",
        "Bakerloo branch",
        "Central Line West branch",
        "UCU",
        "Sheffield branch",
        "Trades councils",
        "Sheffield Trades Council",
    ]
    position = 0
    for text in expected:
        position = section.index(text, position) + len(text)


def test_a_resolution_that_moved_up_shows_where_it_went(client, campaign):
    resolution = PassedResolutionFactory(campaign=campaign, body="Central Line West branch")
    ResolutionStepFactory(
        resolution=resolution, to_body="the RMT London region", on=datetime.date(2012, 11, 20)
    )
    ResolutionStepFactory(
        resolution=resolution,
        kind="adopted",
        to_body="the RMT AGM",
        level="national",
        on=datetime.date(2013, 6, 30),
    )
    page = client.get(campaign.get_absolute_url()).text
    assert 'Forwarded to <bdi>the RMT London region</bdi>, <time datetime="2012-11-20">' in page
    assert "Adopted by <bdi>the RMT AGM</bdi>" in page
    assert page.index("London region") < page.index("RMT AGM")


def test_the_reporters_address_is_never_on_a_public_page(client, campaign, on_commit, mailoutbox):
    report(client, campaign, on_commit, email="hidden.reporter@example.net", text="As passed")
    client.post(confirm_path(mailoutbox[0]))
    PassedResolution.objects.update(status="approved")
    pages = [
        campaign.get_absolute_url(),
        report_url(campaign),
        reverse("resolutions:sent", args=[campaign.slug]),
        confirm_path(mailoutbox[0]),
        "/",
    ]
    for path in pages:
        response = client.get(path)
        assert "hidden.reporter" not in response.text, path
        assert "Central Line West branch" in client.get(campaign.get_absolute_url()).text


def test_the_campaign_page_reads_the_bodies_in_a_fixed_number_of_queries(
    client, campaign, django_assert_max_num_queries
):
    for number in range(30):
        resolution = PassedResolutionFactory(campaign=campaign, organisation=f"Union {number % 4}")
        ResolutionStepFactory(resolution=resolution)
    with django_assert_max_num_queries(20) as captured:
        client.get(campaign.get_absolute_url())
    steps = [q for q in captured.captured_queries if "resolutions_resolutionstep" in q["sql"]]
    assert len(steps) == 1


def test_no_mail_goes_to_an_address_that_bounced(client, campaign, on_commit, mailoutbox):
    from mailing.models import SuppressionReason
    from mailing.suppression import suppress

    suppress("secretary@example.net", reason=SuppressionReason.BOUNCED)
    report(client, campaign, on_commit)
    assert mailoutbox == []
    stored = PassedResolution.objects.get()
    assert stored.confirmation_due_at is None  # settled: not retried forever


def test_a_failed_mail_is_tried_again(client, campaign, on_commit, mailoutbox, smtp):
    from mailing.drain import outbox_drain
    from resolutions.outboxes import RESOLUTION_CONFIRMATIONS

    report(client, campaign, on_commit)  # the SMTP server is not started: the mail fails
    stored = PassedResolution.objects.get()
    assert stored.confirmation_sent_at is None and stored.confirmation_due_at is not None
    smtp.start()
    PassedResolution.objects.update(confirmation_due_at=timezone.now())
    outbox_drain(outbox=RESOLUTION_CONFIRMATIONS)
    [delivery] = smtp.deliveries
    assert "/resolutions/confirm/" in delivery.body
    stored.refresh_from_db()
    assert stored.confirmation_sent_at is not None and stored.confirmation_due_at is None


def test_reports_typed_with_someone_elses_address_reach_it_a_few_an_hour(
    client, campaign, on_commit, mailoutbox, settings
):
    settings.REPORT_MAILS_PER_ADDRESS_PER_HOUR = 2
    for number in range(5):
        report(client, campaign, on_commit, body=f"Branch {number}", email="target@example.net")
    assert PassedResolution.objects.count() == 5  # every report kept
    assert len(mailoutbox) == 2  # the first two links now, the rest an hour apart
    later = PassedResolution.objects.exclude(confirmation_due_at=None).order_by(
        "confirmation_due_at"
    )
    hours = [round((r.confirmation_due_at - timezone.now()).total_seconds() / 3600) for r in later]
    assert hours == [1, 1, 2]
