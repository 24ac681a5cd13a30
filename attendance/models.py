"""Who said "I'll be there" to a campaign's event: kept encrypted, counted, never shown.

Attending a protest at an embassy can put someone at risk, so a sign-up holds
as little as it can (an optional name, an address kept encrypted, how many
people) and lives only until a few days after the event
(attendance/services.py `sign_ups_purge`). Public pages show a number, never
a row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from campaign.models import Event
from signatories.fields import BlindIndexField, EncryptedEmailField

# One sign-up may bring friends; more than this is a coach party, which organisers arrange.
MAX_PEOPLE = 50


class SignUpQuerySet(models.QuerySet):
    def with_email(self, email):
        """Found by the address's keyed hash: the column itself is encrypted."""
        from signatories.crypto import blind_index

        return self.filter(email_hash=blind_index(email))

    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)


class SignUp(models.Model):
    """One person (and whoever comes with them) coming to one event.

    Cancelling deletes the row: nothing of a cancelled sign-up is kept. Each
    of its four mails is an outbox on the row (attendance/outboxes.py): a
    due time (NULL: nothing owed), a count of tries and when it went.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sign_ups")
    name = models.CharField(max_length=200, blank=True, help_text="Optional; never published.")
    email = EncryptedEmailField("e-mail", max_length=254)
    email_hash = BlindIndexField(source="email")
    people = models.PositiveSmallIntegerField(
        "people coming", default=1, help_text=f"Including the person signing up, 1 to {MAX_PEOPLE}."
    )
    language = models.CharField(max_length=8, default=settings.LANGUAGE_CODE, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The link that confirms the address, owed from the INSERT.
    confirmation_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmation_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # "You are already signed up": the same address sent to the form again, at most one
    # per ATTENDANCE_NOTICE_HOURS, so the form cannot be used to flood an inbox.
    notice_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    notice_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    notice_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # After confirming: the event's details, the .ics attached and the cancel link.
    calendar_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    calendar_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    calendar_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The day before: the place and a map link. Owed on confirming, due a day before the start.
    reminder_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SignUpQuerySet.as_manager()

    class Meta:
        verbose_name = "sign-up"
        ordering = ["event", "-created_at"]
        constraints = [
            # One sign-up per address per event, however it is spelled (the hash is of the
            # normalised address); a repeat finds the row instead of adding one.
            models.UniqueConstraint(
                fields=["event", "email_hash"], name="one_sign_up_per_email_per_event"
            ),
            models.CheckConstraint(
                condition=Q(people__gte=1) & Q(people__lte=MAX_PEOPLE),
                name="sign_up_people_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(email="") & ~Q(email_hash=""), name="sign_up_has_email_and_hash"
            ),
            # The day-before mail is for people who confirmed, and only for them.
            models.CheckConstraint(
                condition=Q(reminder_sent_at__isnull=True) | Q(confirmed_at__isnull=False),
                name="sign_up_reminded_only_if_confirmed",
            ),
        ]
        indexes = [
            # Each outbox's claim reads its due rows in order (mailing/outbox.py).
            models.Index(
                fields=["confirmation_due_at"],
                condition=Q(confirmation_due_at__isnull=False),
                name="sign_up_confirmation_due_idx",
            ),
            models.Index(
                fields=["notice_due_at"],
                condition=Q(notice_due_at__isnull=False),
                name="sign_up_notice_due_idx",
            ),
            models.Index(
                fields=["calendar_due_at"],
                condition=Q(calendar_due_at__isnull=False),
                name="sign_up_calendar_due_idx",
            ),
            models.Index(
                fields=["reminder_due_at"],
                condition=Q(reminder_due_at__isnull=False),
                name="sign_up_reminder_due_idx",
            ),
        ]

    def __str__(self):
        # No name and no address: this string turns up in admin messages and logs.
        return f"Sign-up {self.pk} for {self.event.title}"


class EventAttendance(Event):
    """An event seen for its numbers: how many are coming, not who (the admin's counts page).

    Moderators see these counts and nothing else; organisers also see the sign-ups.
    """

    class Meta:
        proxy = True
        verbose_name = "event attendance"
        verbose_name_plural = "event attendance"
