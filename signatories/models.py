from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from letters.models import Letter
from signatories.names import derive_sort_name, sort_key


class SignatoryQuerySet(models.QuerySet):
    def with_email(self, email):
        """Case-insensitive match that the expression index behind the unique constraint serves."""
        return self.alias(email_lower=Lower("email")).filter(email_lower=email.strip().lower())

    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def not_withdrawn(self):
        return self.filter(withdrawn_at__isnull=True)

    def published(self):
        """Names shown on the public page, counted, and printed for delivery.

        Confirmed, not withdrawn, and either approved by an organiser or, on a
        post-moderated letter, not rejected.
        """
        return (
            self.confirmed()
            .not_withdrawn()
            .filter(
                Q(status=Signatory.Status.APPROVED)
                | Q(status=Signatory.Status.PENDING, letter__moderation=Letter.Moderation.POST)
            )
        )

    def in_delivery_order(self):
        """Organisations first, then by sort key, as the seed letter prints them."""
        return self.annotate(
            kind_order=Case(When(kind=Signatory.Kind.ORGANISATION, then=Value(0)), default=Value(1))
        ).order_by("kind_order", "sort_key", "pk")

    def for_delivery(self):
        return self.published().in_delivery_order()


class SignatoryKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    ORGANISATION = "organisation", "Organisation"


class SignatorySource(models.TextChoices):
    WEB = "web", "Web form"
    PAPER = "paper", "Paper form"
    ORGANISER = "organiser", "Entered by an organiser"


class SignatoryStatus(models.TextChoices):
    PENDING = "pending", "Awaiting a decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Signatory(models.Model):
    Kind = SignatoryKind
    Source = SignatorySource
    Status = SignatoryStatus
    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="signatories")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    name = models.CharField(max_length=200)
    affiliation = models.CharField(
        "organisation or title",
        max_length=300,
        blank=True,
        help_text='Printed in parentheses, e.g. "member of Unite, personal capacity".',
    )
    email = models.EmailField(
        blank=True,
        help_text="Private: never published. Optional only for signatures entered by organisers.",
    )
    sort_name = models.CharField(
        max_length=200, help_text='How the name sorts, e.g. "la Falce, Maria".'
    )
    sort_key = models.CharField(max_length=240, editable=False)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    consents_to_updates = models.BooleanField("consents to campaign updates", default=False)
    ip_hash = models.CharField(
        max_length=64, blank=True, editable=False, help_text="Keyed hash; the raw IP is never kept."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SignatoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "signatories"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "letter",
                condition=~Q(email=""),
                name="one_signature_per_email_per_letter",
            ),
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(source=SignatorySource.WEB),
                name="web_signature_has_email",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="signatory_name_not_blank"),
            models.CheckConstraint(
                condition=Q(kind__in=SignatoryKind.values), name="signatory_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=SignatorySource.values), name="signatory_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SignatoryStatus.values), name="signatory_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["letter", "kind", "sort_key"], name="signatory_delivery_order_idx"
            ),
            models.Index(
                fields=["letter", "status", "-created_at"], name="signatory_moderation_idx"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.affiliation})" if self.affiliation else self.name

    @property
    def is_organisation(self):
        return self.kind == self.Kind.ORGANISATION

    def set_sort_name(self, sort_name=None):
        """Set the sort name (derived from the name when not given) and its key."""
        if not sort_name:
            sort_name = derive_sort_name(self.name, is_organisation=self.is_organisation)
        self.sort_name = sort_name[:200]
        self.sort_key = sort_key(self.sort_name)
