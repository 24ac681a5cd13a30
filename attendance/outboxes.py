"""A sign-up's four mails, each an outbox on the sign-up row (mailing/outbox.py).

Each is owed by the same statement that makes it owed (the INSERT, the
confirming UPDATE), so a dead worker or a mail server that is down delays a
mail and never loses it; each is checked again just before it goes.
"""

from django.utils import timezone

from attendance.mail import send_to_sign_up
from attendance.models import SignUp
from mailing.outbox import Outbox, register


def _upcoming(row):
    return row.event.takes_sign_ups and row.event.starts_at > timezone.now()


def _not_over(row):
    return (row.event.ends_at or row.event.starts_at) > timezone.now()


class SignUpOutbox(Outbox):
    model = SignUp
    template: str
    calendar = False

    def rows(self, ids):
        return SignUp.objects.filter(pk__in=ids).select_related("event__campaign")

    def send(self, row):
        send_to_sign_up(row, self.template, calendar=self.calendar)


class Confirmations(SignUpOutbox):
    """The link that confirms the address, owed from the INSERT."""

    name = "attendance-confirmations"
    template = "confirm"
    due_field = "confirmation_due_at"
    attempts_field = "confirmation_attempts"

    def still_owed(self, row):
        return not row.confirmed_at and not row.confirmation_sent_at and _upcoming(row)

    def sent_fields(self, now):
        return {"confirmation_sent_at": now}


class Notices(SignUpOutbox):
    """ "You are already signed up": the address sent to the form again (services.py)."""

    name = "attendance-notices"
    template = "notice"
    due_field = "notice_due_at"
    attempts_field = "notice_attempts"

    def still_owed(self, row):
        return _upcoming(row)

    def sent_fields(self, now):
        return {"notice_sent_at": now}


class Calendars(SignUpOutbox):
    """After confirming: where and when, the .ics attached, and the link to cancel."""

    name = "attendance-calendars"
    template = "calendar"
    calendar = True
    due_field = "calendar_due_at"
    attempts_field = "calendar_attempts"

    def still_owed(self, row):
        return bool(row.confirmed_at) and not row.calendar_sent_at and _not_over(row)

    def sent_fields(self, now):
        return {"calendar_sent_at": now}


class Reminders(SignUpOutbox):
    """The day before: the place, a map link and the cancel link. Owed on confirming, due a
    day before the start; a cancelled sign-up is deleted, so it is never reminded."""

    name = "attendance-reminders"
    template = "reminder"
    calendar = True
    due_field = "reminder_due_at"
    attempts_field = "reminder_attempts"

    def still_owed(self, row):
        # Never twice, never before confirming, never once it has started (even if
        # sign-ups were turned off since: those who said they would come still are).
        return (
            bool(row.confirmed_at)
            and not row.reminder_sent_at
            and row.event.starts_at > timezone.now()
        )

    def sent_fields(self, now):
        return {"reminder_sent_at": now}


CONFIRMATIONS = register(Confirmations())
NOTICES = register(Notices())
CALENDARS = register(Calendars())
REMINDERS = register(Reminders())
