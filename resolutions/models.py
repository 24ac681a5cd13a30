"""Bodies that passed a campaign's model resolution, and how far up each one went.

The seed's branch resolution ends "please ... consider putting something
similar to your union organisation", and was forwarded from the branch to
the union's London region. A report says "our body passed it"; it is shown
on the campaign page once its reporter confirmed their address and an
organiser approved it. The reporter's address is private, kept as the
signatures' are (encrypted, with a keyed hash beside it).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaign.models import Campaign
from config.db import SET_NULL_READ_FIRST
from letters.models import Letter
from signatories.fields import BlindIndexField, EncryptedEmailField
from signatories.models import Signatory


class Level(models.TextChoices):
    """Which kind of body passed it, in the order the campaign page lists them."""

    NATIONAL = "national", _("National: executive or conference")
    REGION = "region", _("Region or district")
    BRANCH = "branch", _("Branch")
    TRADES_COUNCIL = "trades_council", _("Trades council")
    STUDENT_UNION = "student_union", _("Student union")
    OTHER = "other", _("Other body")


# Headings of the campaign page's groups, in Level's order.
LEVEL_HEADINGS = {
    Level.NATIONAL: pgettext_lazy("bodies", "National bodies"),
    Level.REGION: pgettext_lazy("bodies", "Regions and districts"),
    Level.BRANCH: pgettext_lazy("bodies", "Branches"),
    Level.TRADES_COUNCIL: pgettext_lazy("bodies", "Trades councils"),
    Level.STUDENT_UNION: pgettext_lazy("bodies", "Student unions"),
    Level.OTHER: pgettext_lazy("bodies", "Other bodies"),
}


class Status(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    APPROVED = "approved", "Approved: on the campaign page"
    REJECTED = "rejected", "Rejected"


class Source(models.TextChoices):
    WEB = "web", "Reported on the website"
    ORGANISER = "organiser", "Entered by an organiser"


class PassedResolutionQuerySet(models.QuerySet):
    def public(self):
        """Shown on the campaign page: confirmed by its reporter and approved."""
        return self.filter(status=Status.APPROVED, confirmed_at__isnull=False)

    def awaiting_approval(self):
        return self.filter(status=Status.PENDING, confirmed_at__isnull=False)


class PassedResolution(models.Model):
    Level = Level
    Status = Status
    Source = Source

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="passed_resolutions"
    )
    body = models.CharField(
        max_length=200, help_text="The body that passed it, e.g. “Central Line West branch”."
    )
    organisation = models.CharField(
        "union or organisation",
        max_length=200,
        blank=True,
        help_text="E.g. “RMT”. Blank for a body of its own, such as a trades council.",
    )
    level = models.CharField(max_length=20, choices=Level.choices)
    passed_on = models.DateField("passed on")
    url = models.URLField("link", max_length=500, blank=True)
    text = models.TextField("the resolution as passed", blank=True)
    # The reporter's, for the organisers only: encrypted, never shown on a public page.
    email = EncryptedEmailField(
        "reporter's e-mail",
        blank=True,
        help_text="Private: for the organisers to contact the reporter. Never published.",
    )
    email_hash = BlindIndexField(source="email")
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    confirmed_at = models.DateTimeField(
        "reporter confirmed at",
        null=True,
        blank=True,
        help_text="When the reporter opened the link in our mail and confirmed.",
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # The body's consent to be added to this letter as an organisation signatory.
    sign_letter = models.ForeignKey(
        Letter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="may be added to the letter",
        help_text="The reporter said the body may sign this letter.",
    )
    signatory = models.OneToOneField(
        Signatory,
        on_delete=SET_NULL_READ_FIRST,  # signatures are deleted by the 100,000 (config/db.py)
        null=True,
        blank=True,
        editable=False,
        related_name="passed_resolution",
        help_text="The organisation signature added from this report.",
    )
    # An outbox (mailing/outbox.py): the confirmation link is owed from the INSERT.
    confirmation_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmation_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PassedResolutionQuerySet.as_manager()

    class Meta:
        verbose_name = "resolution passed"
        verbose_name_plural = "resolutions passed"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["confirmation_due_at"],
                condition=Q(confirmation_due_at__isnull=False),
                name="resolution_confirm_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=Level.values), name="resolution_level"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="resolution_status"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="resolution_source"),
            # Nothing goes on the campaign page that its reporter did not confirm.
            models.CheckConstraint(
                condition=~Q(status=Status.APPROVED) | Q(confirmed_at__isnull=False),
                name="resolution_approved_is_confirmed",
            ),
            models.CheckConstraint(
                condition=Q(email="", email_hash="") | (~Q(email="") & ~Q(email_hash="")),
                name="resolution_email_has_its_hash",
            ),
            models.CheckConstraint(
                condition=~Q(source=Source.WEB) | ~Q(email_hash=""),
                name="resolution_from_web_has_email",
            ),
            # A body is signed in only with its consent (approval is the service's check:
            # a report rejected later keeps its signature, whose removal is its own act).
            models.CheckConstraint(
                condition=Q(signatory__isnull=True) | Q(sign_letter__isnull=False),
                name="resolution_signs_with_consent",
            ),
            # Sent again (a double tap, a second try), a report is the same report.
            models.UniqueConstraint(
                "campaign",
                "email_hash",
                Lower("body"),
                Lower("organisation"),
                condition=~Q(email_hash=""),
                name="one_report_per_body_per_address",
            ),
        ]

    def __str__(self):
        return self.full_name

    def clean(self):
        chosen = self.sign_letter_id and self.campaign_id
        if chosen and self.sign_letter.campaign_id != self.campaign_id:
            raise ValidationError({"sign_letter": "Choose a letter of the same campaign."})

    @property
    def full_name(self):
        """ "RMT Central Line West branch": the union's name first, unless the body's has it."""
        if self.organisation and self.organisation.casefold() not in self.body.casefold():
            return f"{self.organisation} {self.body}"
        return self.body

    @property
    def state(self):
        if self.confirmed_at is None:
            return "Awaiting the reporter's confirmation"
        return self.get_status_display()


class StepKind(models.TextChoices):
    FORWARDED = "forwarded", _("Forwarded to")
    ADOPTED = "adopted", _("Adopted by")


class ResolutionStep(models.Model):
    """How far up a body's resolution went: "forwarded to the London region", "adopted as
    national policy". Entered by organisers; shown under the body on the campaign page."""

    Kind = StepKind

    resolution = models.ForeignKey(PassedResolution, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    to_body = models.CharField(
        "body", max_length=200, help_text="E.g. “the RMT London region”, “the RMT AGM”."
    )
    level = models.CharField(max_length=20, choices=Level.choices)
    on = models.DateField()

    class Meta:
        verbose_name = "forwarding or adoption"
        verbose_name_plural = "how far it went: forwarded, adopted higher up"
        ordering = ["on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=StepKind.values), name="step_kind"),
            models.CheckConstraint(condition=Q(level__in=Level.values), name="step_level"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.to_body} ({self.on:%d %b %Y})"
