"""What the mailing mechanism keeps: the addresses no mail may go to."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone


class SuppressionReason(models.TextChoices):
    BOUNCED = "bounced", "Bounced (the address does not exist)"
    COMPLAINED = "complained", "Complained (marked a mail as spam)"
    MANUAL = "manual", "Added by hand"


class Suppression(models.Model):
    """An address no mail of ours may go to, held as its keyed hash only.

    A provider's hard bounce or complaint (mailing/webhooks.py) or an
    organiser (the admin) puts one here; mailing/suppression.py is_suppressed
    is asked before every mail. The address itself is never stored, nor its
    ciphertext: a leaked table names nobody, and without EMAIL_INDEX_KEY a hash
    cannot be tested against guessed addresses. The provider's event is kept by
    its id only (its payload holds the address).
    """

    email_hash = models.CharField(
        "address hash",
        max_length=64,
        help_text="The address's keyed hash (the same one signatures are found by).",
    )
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    created_at = models.DateTimeField("since", default=timezone.now)
    provider = models.CharField(
        max_length=32, blank=True, help_text="The mail provider that reported it, if any."
    )
    event_id = models.CharField(
        "provider event",
        max_length=128,
        blank=True,
        help_text="The provider's id of the bounce or complaint, to find it in their logs.",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who added it by hand.",
    )

    class Meta:
        verbose_name = "suppressed address"
        verbose_name_plural = "suppressed addresses"
        ordering = ["-created_at", "-id"]
        constraints = [
            # One row per address: a replayed webhook, or a complaint after a bounce,
            # finds the row there and changes nothing.
            models.UniqueConstraint(fields=["email_hash"], name="suppression_one_per_address"),
            # An HMAC-SHA256 in hex, never an address: whatever writes here, the
            # database refuses anything that is not 64 characters long.
            models.CheckConstraint(
                condition=Exact(Length("email_hash"), 64), name="suppression_hash_only"
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=SuppressionReason.values),
                name="suppression_reason_valid",
            ),
        ]

    def __str__(self):
        return f"{self.email_hash[:12]}… ({self.get_reason_display().lower()})"
