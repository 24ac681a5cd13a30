"""The signatory's own mails, each an outbox on the signatory row (mailing/outbox.py)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from mailing.outbox import Outbox, register
from signatories.mail import send_to_signatory
from signatories.models import Signatory


class SignatoryOutbox(Outbox):
    model = Signatory
    template: str

    def rows(self, ids):
        return Signatory.objects.filter(pk__in=ids).select_related("letter__campaign")

    def send(self, row):
        send_to_signatory(row, f"signatories/email/{self.template}")


class Confirmations(SignatoryOutbox):
    """The link that confirms a web signature, owed from the INSERT that takes it."""

    name = "confirmations"
    template = "confirm"
    due_field = "confirmation_due_at"
    attempts_field = "confirmation_attempts"

    def still_owed(self, row):
        """Not erased, not confirmed already, not mailed since it was owed."""
        return bool(row.email) and not row.confirmed_at and not row.confirmation_sent_at

    def sent_fields(self, now):
        return {"confirmation_sent_at": now}


class AlreadySignedNotices(SignatoryOutbox):
    """ "You have already signed": owed when an address that signed signs again."""

    name = "already-signed"
    template = "already_signed"
    due_field = "already_signed_due_at"
    attempts_field = "already_signed_attempts"

    def still_owed(self, row):
        return bool(row.email)

    def sent_fields(self, now):
        return {"already_signed_sent_at": now}

    def owe(self, pk):
        """Owe one notice to this signature, unless one is owed or went out lately.

        However often an address is sent to the form, its inbox gets one
        notice per ALREADY_SIGNED_NOTICE_HOURS. One conditional UPDATE, so
        concurrent repeats owe one between them. Returns whether it is owed.
        """
        now = timezone.now()
        lately = now - timedelta(hours=settings.ALREADY_SIGNED_NOTICE_HOURS)
        return bool(
            Signatory.objects.filter(pk=pk, already_signed_due_at__isnull=True)
            .exclude(already_signed_sent_at__gte=lately)
            .update(already_signed_due_at=now, already_signed_attempts=0)
        )


class Reminders(SignatoryOutbox):
    """One reminder to confirm, UNCONFIRMED_REMINDER_HOURS after a web signature, with a
    fresh link; owed from the INSERT, never again (signatories/services/signing.py)."""

    name = "reminders"
    template = "reminder"
    due_field = "reminder_due_at"
    attempts_field = "reminder_attempts"

    def still_owed(self, row):
        """Still unconfirmed, still standing, an address to write to, a letter that takes
        confirmations, and not reminded already."""
        return (
            bool(row.email)
            and not row.confirmed_at
            and not row.withdrawn_at
            and not row.reminder_sent_at
            and row.letter.is_open
        )

    def sent_fields(self, now):
        return {"reminder_sent_at": now}


CONFIRMATIONS = register(Confirmations())
REMINDERS = register(Reminders())
ALREADY_SIGNED = register(AlreadySignedNotices())
