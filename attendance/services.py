"""Signing up for an event, confirming, cancelling, and forgetting it all after the event."""

import functools
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from attendance import tokens
from attendance.models import SignUp
from attendance.outboxes import CALENDARS, CONFIRMATIONS, NOTICES
from campaign.models import Event
from mailing.services import outbox_schedule
from signatories.names import clean_text, normalise_email

logger = logging.getLogger(__name__)

REMINDER_BEFORE = timedelta(days=1)


class EventNotTakingSignUps(Exception):
    """Sign-ups are off for this event, or it has started."""


class AlreadyDone(Exception):
    def __init__(self, sign_up):
        super().__init__("already done")
        self.sign_up = sign_up


class SignUpGone(tokens.TokenInvalid):
    """A link of ours, but its sign-up is no more: cancelled, or deleted after the event."""


@dataclass(frozen=True)
class SignUpResult:
    sign_up: SignUp
    created: bool


def event_takes_sign_ups(event, *, now=None):
    return event.takes_sign_ups and event.starts_at > (now or timezone.now())


def event_is_over(event, *, now=None):
    return (event.ends_at or event.starts_at) <= (now or timezone.now())


def reminder_due(event, *, now=None):
    """A day before the start; None when that is past (the details mail serves instead)."""
    due = event.starts_at - REMINDER_BEFORE
    return due if due > (now or timezone.now()) else None


def sign_up_take(*, event, email, name="", people=1, language=None, mail=True):
    """Record "I'll be there" and owe the mail that confirms the address.

    The same address twice leaves one row and what it first said: the
    caller gets the same result shape either way, and the page says the same
    thing, so the form cannot tell anyone whether an address signed up. A
    repeat is owed one "already signed up" mail per ATTENDANCE_NOTICE_HOURS
    (none in the hours after the first sign-up's own mail). `mail=False` (a
    form a bot filled in) stores the row and sends nothing.
    """
    if not event_takes_sign_ups(event):
        raise EventNotTakingSignUps
    now = timezone.now()
    sign_up = SignUp(
        event=event,
        name=clean_text(name),
        email=normalise_email(email),
        people=people,
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        created_at=now,
        confirmation_due_at=now if mail else None,  # into the outbox with the row
    )
    # ON CONFLICT DO NOTHING on (event, email hash): concurrent sign-ups with one address
    # leave one row, and no unique violation puts the key into PostgreSQL's log.
    SignUp.objects.bulk_create([sign_up], ignore_conflicts=True)
    stored = SignUp.objects.filter(event=event).with_email(sign_up.email).defer("email").get()
    # bulk_create does not say whether it inserted: ours has our creation time, to the
    # microsecond; an earlier sign-up's row has its own.
    created = stored.created_at == now
    if created and mail:
        transaction.on_commit(functools.partial(outbox_schedule, outbox=CONFIRMATIONS))
        logger.info("New sign-up %s for event %s", stored.pk, event.pk)
    elif not created and mail and _owe_notice(stored.pk, now=now):
        transaction.on_commit(functools.partial(outbox_schedule, outbox=NOTICES))
        logger.info("Repeat sign-up for event %s: sign-up %s", event.pk, stored.pk)
    return SignUpResult(sign_up=stored, created=created)


def _owe_notice(pk, *, now):
    """One conditional UPDATE, so concurrent repeats owe one notice between them."""
    lately = now - timedelta(hours=settings.ATTENDANCE_NOTICE_HOURS)
    return bool(
        SignUp.objects.filter(pk=pk, notice_due_at__isnull=True)
        .exclude(notice_sent_at__gte=lately)
        .exclude(created_at__gte=lately)
        .update(notice_due_at=now, notice_attempts=0)
    )


def sign_up_get_by_token(*, token, purpose):
    pk, fingerprint = tokens.read_token(token, purpose)
    sign_up = SignUp.objects.select_related("event__campaign").filter(pk=pk).first()
    if sign_up is None:
        raise SignUpGone
    if not tokens.matches(sign_up, fingerprint):
        raise tokens.TokenInvalid
    return sign_up


def sign_up_confirm(*, token):
    """The address is the signer's: counted from now on, with the details and a reminder owed.

    One conditional UPDATE: a double click confirms once and owes one of each mail.
    """
    sign_up = sign_up_get_by_token(token=token, purpose=tokens.CONFIRM)
    event, now = sign_up.event, timezone.now()
    if not event_takes_sign_ups(event, now=now):
        raise EventNotTakingSignUps
    done = SignUp.objects.filter(pk=sign_up.pk, confirmed_at__isnull=True).update(
        confirmed_at=now,
        confirmation_due_at=None,  # a confirmation still queued is owed no more
        calendar_due_at=now,
        calendar_attempts=0,
        reminder_due_at=reminder_due(event, now=now),
        reminder_attempts=0,
    )
    if not done:
        raise AlreadyDone(sign_up)
    transaction.on_commit(functools.partial(outbox_schedule, outbox=CALENDARS))
    sign_up.refresh_from_db()
    logger.info("Sign-up %s confirmed for event %s", sign_up.pk, event.pk)
    return sign_up


def sign_up_cancel(*, token):
    """Not coming after all: the row goes, address and all, and the count with it."""
    sign_up = sign_up_get_by_token(token=token, purpose=tokens.CANCEL)
    event = sign_up.event
    SignUp.objects.filter(pk=sign_up.pk).delete()
    logger.info("Sign-up %s cancelled for event %s", sign_up.pk, event.pk)
    return event


def sign_up_add_confirmed(*, event, email, name="", people=1):
    """A sign-up taken at a stall or by phone (the demo): confirmed, no mail owed."""
    now = timezone.now()
    sign_up = SignUp(
        event=event,
        name=clean_text(name),
        email=normalise_email(email),
        people=people,
        created_at=now,
        confirmed_at=now,
    )
    SignUp.objects.bulk_create([sign_up], ignore_conflicts=True)
    return SignUp.objects.filter(event=event).with_email(sign_up.email).get()


def event_reminders_follow(*, event):
    """The event moved: reminders not sent yet come due a day before its new start.

    Rows due within a lease's length are left alone: one may be in a worker's
    hands right now (its due time is then the lease's end), and moving it
    would let a second worker send it too.
    """
    now = timezone.now()
    held = now + timedelta(seconds=settings.MAIL_CLAIM_LEASE_SECONDS)
    due = max(event.starts_at - REMINDER_BEFORE, now)
    return SignUp.objects.filter(
        event=event, reminder_sent_at__isnull=True, reminder_due_at__gt=held
    ).update(reminder_due_at=due)


def sign_ups_purge(*, now=None):
    """Delete every sign-up of events over ATTENDANCE_KEPT_DAYS ago, and unconfirmed ones
    whose link has expired; returns how many rows went.

    Each event keeps only the number of people its confirmed sign-ups counted
    (`Event.people_coming_kept`), so its page can still say how many were
    coming. A sweep of the worker (mailing/sweeps.py) and `manage.py
    purge_attendance` both run this; safe to run on several workers at once:
    each event's count and delete happen under a lock on the event's row.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ATTENDANCE_KEPT_DAYS)
    over = Q(event__ends_at__lt=cutoff) | Q(
        event__ends_at__isnull=True, event__starts_at__lt=cutoff
    )
    deleted = 0
    for event_id in (
        SignUp.objects.filter(over).order_by().values_list("event_id", flat=True).distinct()
    ):
        with transaction.atomic():
            event = Event.objects.select_for_update().filter(pk=event_id).first()
            if event is None:
                continue
            rows = SignUp.objects.filter(event=event)
            counted = rows.confirmed().aggregate(n=Coalesce(Sum("people"), 0))["n"]
            Event.objects.filter(pk=event.pk).update(
                people_coming_kept=(event.people_coming_kept or 0) + counted
            )
            count, _ = rows.delete()
        deleted += count
        logger.info("Deleted %s sign-ups of event %s after the event", count, event_id)
    expired = now - timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS + 1)
    count, _ = SignUp.objects.filter(confirmed_at__isnull=True, created_at__lt=expired).delete()
    if count:
        logger.info("Deleted %s sign-ups never confirmed", count)
    return deleted + count
