"""Signing up, confirming, cancelling and the purge, through the services."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from attendance import tokens
from attendance.models import SignUp
from attendance.selectors import event_people_coming
from attendance.services import (
    AlreadyDone,
    EventNotTakingSignUps,
    SignUpGone,
    sign_up_cancel,
    sign_up_confirm,
    sign_up_take,
    sign_ups_purge,
)
from tests.attendance.conftest import add_sign_up, token
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def take(on_commit, event, email="ada@example.net", **extra):
    with on_commit():
        return sign_up_take(event=event, email=email, **extra)


def test_a_sign_up_is_stored_encrypted_and_owes_its_confirmation(event, on_commit, mailoutbox):
    result = take(on_commit, event, "Ada@Example.NET", name="Ada", people=3, language="kk")
    assert result.created
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, email_hash FROM attendance_signup")
        stored, stored_hash = cursor.fetchone()
    assert "example" not in stored.lower() and stored_hash
    sign_up = SignUp.objects.get()
    assert (sign_up.email, sign_up.people, sign_up.language) == ("ada@example.net", 3, "kk")
    assert sign_up.confirmation_sent_at is not None and sign_up.confirmation_due_at is None
    assert [m.to for m in mailoutbox] == [["ada@example.net"]]
    assert event_people_coming(event) == 0  # not counted until confirmed


def test_the_same_address_twice_is_one_row_and_no_second_mail_within_hours(
    event, on_commit, mailoutbox, settings
):
    first = take(on_commit, event, "ada@example.net", people=2)
    again = take(on_commit, event, "ADA@example.net", people=40, name="Someone else")
    assert (first.created, again.created) == (True, False)
    assert SignUp.objects.count() == 1
    assert SignUp.objects.get().people == 2  # a stranger typing the address changes nothing
    assert len(mailoutbox) == 1  # the confirmation alone: no second mail within hours

    # Hours later, a repeat is told once (with a fresh confirm link), then not again.
    SignUp.objects.update(created_at=timezone.now() - datetime.timedelta(hours=13))
    take(on_commit, event, "ada@example.net")
    take(on_commit, event, "ada@example.net")
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject.startswith("You have already signed up")
    assert "/attend/confirm/" in mailoutbox[1].body


def test_confirming_counts_the_people_and_owes_the_calendar_and_the_reminder(
    event, on_commit, mailoutbox
):
    take(on_commit, event, people=4)
    with on_commit():
        sign_up = sign_up_confirm(token=token(mailoutbox[0], "confirm"))
    assert sign_up.confirmed_at is not None
    assert sign_up.reminder_due_at == event.starts_at - datetime.timedelta(days=1)
    assert event_people_coming(event) == 4
    assert mailoutbox[1].subject.startswith("You are signed up")
    with pytest.raises(AlreadyDone):
        sign_up_confirm(token=token(mailoutbox[0], "confirm"))
    assert event_people_coming(event) == 4 and len(mailoutbox) == 2


def test_cancelling_deletes_the_sign_up_and_the_count_goes_down(event, on_commit, mailoutbox):
    add_sign_up(event, "other@example.net", people=2)
    take(on_commit, event, people=3)
    with on_commit():
        sign_up_confirm(token=token(mailoutbox[0], "confirm"))
    assert event_people_coming(event) == 5
    assert sign_up_cancel(token=token(mailoutbox[1], "cancel")) == event
    assert event_people_coming(event) == 2
    assert not SignUp.objects.with_email("ada@example.net").exists()
    with pytest.raises(SignUpGone):  # the link again: nothing left to cancel
        sign_up_cancel(token=token(mailoutbox[1], "cancel"))


def test_a_link_for_one_purpose_or_address_does_not_work_for_another(event):
    sign_up = add_sign_up(event)
    with pytest.raises(tokens.TokenInvalid):
        sign_up_cancel(token=tokens.make_token(sign_up, tokens.CONFIRM))
    link = tokens.make_token(sign_up, tokens.CANCEL)
    SignUp.objects.filter(pk=sign_up.pk).update(
        email_hash="0" * 64, email=SignUp(email="new@example.net").email
    )
    with pytest.raises(tokens.TokenInvalid):
        sign_up_cancel(token=link)


def test_no_sign_ups_once_the_event_has_started_or_when_turned_off(on_commit):
    started = EventFactory(starts_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(EventNotTakingSignUps):
        take(on_commit, started)
    off = EventFactory(takes_sign_ups=False)
    with pytest.raises(EventNotTakingSignUps):
        take(on_commit, off)
    assert not SignUp.objects.exists()


def test_a_bot_s_sign_up_is_kept_and_mailed_nothing(event, on_commit, mailoutbox):
    take(on_commit, event, mail=False)
    assert SignUp.objects.get().confirmation_due_at is None
    assert mailoutbox == []


def test_purge_after_the_event_keeps_only_the_number(settings):
    settings.ATTENDANCE_KEPT_DAYS = 7
    now = timezone.now()
    old = EventFactory(
        starts_at=now - datetime.timedelta(days=9),
        ends_at=now - datetime.timedelta(days=8),
    )
    recent = EventFactory(starts_at=now - datetime.timedelta(days=6))
    add_sign_up(old, "a@example.net", people=3)
    add_sign_up(old, "b@example.net", people=2)
    add_sign_up(old, "c@example.net", people=9, confirmed_at=None)  # never counted
    add_sign_up(recent, "a@example.net", people=1)

    assert sign_ups_purge() == 3
    old.refresh_from_db()
    assert old.people_coming_kept == 5 and event_people_coming(old) == 5
    assert list(SignUp.objects.values_list("event", flat=True)) == [recent.pk]
    assert sign_ups_purge() == 0  # again: nothing left, the number stays
    old.refresh_from_db()
    assert old.people_coming_kept == 5

    # A day later the recent event's week is up too.
    assert sign_ups_purge(now=now + datetime.timedelta(days=2)) == 1
    assert not SignUp.objects.exists()


def test_purge_deletes_sign_ups_never_confirmed_once_their_link_expired(event, settings):
    stale = timezone.now() - datetime.timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS + 2)
    add_sign_up(event, "stale@example.net", confirmed_at=None, created_at=stale)
    add_sign_up(event, "fresh@example.net", confirmed_at=None)
    add_sign_up(event, "counted@example.net", created_at=stale)
    assert sign_ups_purge() == 1
    assert not SignUp.objects.with_email("stale@example.net").exists()
    assert SignUp.objects.count() == 2


def test_the_purge_is_one_of_the_worker_s_sweeps():
    from attendance.services import sign_ups_purge as purge
    from mailing.sweeps import all_sweeps

    assert purge in all_sweeps()


def test_moving_the_event_moves_the_reminders_not_yet_sent(event):
    waiting = add_sign_up(event, "a@example.net", reminder_due_at=event.starts_at)
    sent = add_sign_up(
        event,
        "b@example.net",
        reminder_due_at=None,
        reminder_sent_at=timezone.now(),
    )
    event.starts_at += datetime.timedelta(days=3)
    event.save()
    waiting.refresh_from_db()
    sent.refresh_from_db()
    assert waiting.reminder_due_at == event.starts_at - datetime.timedelta(days=1)
    assert sent.reminder_due_at is None
