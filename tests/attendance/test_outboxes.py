"""The sign-ups' mails through their outboxes: the reminder the day before, once, and the
mails' bytes as they go out."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from attendance.models import SignUp
from attendance.outboxes import CALENDARS, CONFIRMATIONS, REMINDERS
from attendance.services import sign_up_confirm, sign_up_take
from mailing.drain import outbox_drain
from mailing.outbox import all_outboxes
from tests.attendance.conftest import add_sign_up, calendar_of, strict, token

pytestmark = pytest.mark.django_db


def at(moment):
    """Run as if it were `moment` (the drain reads timezone.now)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def signed_up_and_confirmed(event, on_commit, mailoutbox, **extra):
    with on_commit():
        sign_up_take(event=event, email="ada@example.net", **extra)
    with on_commit():
        return sign_up_confirm(token=token(mailoutbox[-1], "confirm"))


def test_the_four_outboxes_are_registered():
    names = {outbox.name for outbox in all_outboxes()}
    assert {
        "attendance-confirmations",
        "attendance-notices",
        "attendance-calendars",
        "attendance-reminders",
    } <= names


def test_the_reminder_goes_once_the_day_before_with_the_place_a_map_and_an_ics(
    event, on_commit, mailoutbox
):
    signed_up_and_confirmed(event, on_commit, mailoutbox, people=2)
    assert len(mailoutbox) == 2  # the confirmation and the calendar mail

    assert outbox_drain(outbox=REMINDERS) == 0  # nine days before: nothing yet
    day_before = event.starts_at - datetime.timedelta(days=1)
    with at(day_before - datetime.timedelta(minutes=1)):
        assert outbox_drain(outbox=REMINDERS) == 0
    with at(day_before + datetime.timedelta(minutes=1)):
        assert outbox_drain(outbox=REMINDERS) == 1
        assert outbox_drain(outbox=REMINDERS) == 0  # never twice
    with at(day_before + datetime.timedelta(hours=5)):
        assert outbox_drain(outbox=REMINDERS) == 0

    reminder = mailoutbox[-1]
    assert len(mailoutbox) == 3
    assert reminder.subject == f"Reminder: {event.title}"
    assert "Kazakh Embassy, 125 Pall Mall, London SW1" in reminder.body
    assert (
        "https://www.openstreetmap.org/search?query=Kazakh+Embassy%2C+125+Pall+Mall%2C+London+SW1"
        in reminder.body
    )
    assert "/attend/cancel/" in reminder.body
    [vevent] = calendar_of(reminder).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == event.title
    assert vevent.decoded("DTSTART") == event.starts_at.replace(microsecond=0)
    assert "125 Pall Mall" in str(vevent["LOCATION"])
    assert SignUp.objects.get().reminder_sent_at is not None


def test_no_reminder_for_the_unconfirmed_or_the_cancelled(event, on_commit, mailoutbox):
    with on_commit():
        sign_up_take(event=event, email="unconfirmed@example.net")
    cancelled = signed_up_and_confirmed(event, on_commit, mailoutbox)
    SignUp.objects.filter(pk=cancelled.pk).delete()  # what cancelling does
    # Even if an unconfirmed row were owed one by mistake, it is checked again before it goes.
    SignUp.objects.update(reminder_due_at=timezone.now())
    sent = len(mailoutbox)
    with at(event.starts_at - datetime.timedelta(hours=20)):
        assert outbox_drain(outbox=REMINDERS) == 0
    assert len(mailoutbox) == sent
    assert SignUp.objects.get().reminder_sent_at is None


def test_no_reminder_once_the_event_has_started(event, on_commit, mailoutbox):
    signed_up_and_confirmed(event, on_commit, mailoutbox)
    with at(event.starts_at + datetime.timedelta(minutes=5)):
        assert outbox_drain(outbox=REMINDERS) == 0


def test_the_reminder_survives_a_mail_server_that_is_down(event, on_commit, mailoutbox):
    signed_up_and_confirmed(event, on_commit, mailoutbox)
    day_before = event.starts_at - datetime.timedelta(hours=23)
    with (
        at(day_before),
        mock.patch(
            "django.core.mail.message.EmailMessage.send", side_effect=ConnectionRefusedError
        ),
    ):
        assert outbox_drain(outbox=REMINDERS) == 0
    sign_up = SignUp.objects.get()
    assert sign_up.reminder_sent_at is None and sign_up.reminder_due_at > day_before
    with at(day_before + datetime.timedelta(minutes=5)):
        assert outbox_drain(outbox=REMINDERS) == 1


def test_confirming_within_a_day_of_the_event_owes_no_separate_reminder(on_commit, mailoutbox):
    from tests.factories import EventFactory

    soon = EventFactory(starts_at=timezone.now() + datetime.timedelta(hours=5))
    sign_up = signed_up_and_confirmed(soon, on_commit, mailoutbox)
    assert sign_up.reminder_due_at is None  # the calendar mail, just sent, says it all
    assert "openstreetmap.org" in mailoutbox[-1].body


def test_every_mail_parses_under_the_strict_policy_with_the_site_s_headers(
    event, on_commit, mailoutbox
):
    event.campaign.contact_email = "organisers@example.org"
    event.campaign.save()
    event.title = "Demonstration at the Kazakh Embassy — " + "long title " * 10
    event.save()
    signed_up_and_confirmed(event, on_commit, mailoutbox, language="kk")
    with at(event.starts_at - datetime.timedelta(hours=23)):
        outbox_drain(outbox=REMINDERS)
    assert len(mailoutbox) == 3
    for mail in mailoutbox:
        message = strict(mail)
        assert message["Reply-To"] == "organisers@example.org"
        assert message["Message-ID"].endswith(">")
        assert message["To"] == "ada@example.net"
        assert "\n" not in mail.subject
    # The calendar mail carries an .ics a calendar reads.
    [vevent] = calendar_of(mailoutbox[1]).walk("VEVENT")
    assert vevent.decoded("DTSTART") == event.starts_at.replace(microsecond=0)


def test_mails_come_in_the_language_of_the_sign_up(event, on_commit, mailoutbox):
    with on_commit():
        sign_up_take(event=event, email="ulzhan@example.net", language="kk")
    assert "?lang=kk" in mailoutbox[0].body
    assert mailoutbox[0].subject != ""


def test_a_confirmation_owed_survives_until_a_worker_sends_it(event, mailoutbox):
    """No task ran (a dead worker): the row still owes its mail, and a drain sends it."""
    sign_up_take(event=event, email="ada@example.net")  # on_commit callbacks never run
    assert mailoutbox == []
    assert CONFIRMATIONS.has_due()
    assert outbox_drain(outbox=CONFIRMATIONS) == 1
    assert outbox_drain(outbox=CALENDARS) == 0
    assert len(mailoutbox) == 1


def test_a_suppressed_address_gets_no_mail(event, mailoutbox):
    from mailing.suppression import SuppressionReason, suppress

    suppress("ada@example.net", reason=SuppressionReason.BOUNCED)
    add_sign_up(event, confirmed_at=None, confirmation_due_at=timezone.now())
    assert outbox_drain(outbox=CONFIRMATIONS) == 0
    assert mailoutbox == []
    assert SignUp.objects.get().confirmation_due_at is None  # settled, not retried
