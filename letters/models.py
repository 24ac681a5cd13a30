import struct

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def split_paragraphs(text):
    """Paragraphs separated by blank lines, each paragraph's own line breaks kept."""
    text = text.replace("\r\n", "\n").strip()
    return [p.strip("\n") for p in text.split("\n\n") if p.strip()]


class LetterQuerySet(models.QuerySet):
    def public(self):
        """Letters anyone may read: everything but drafts."""
        return self.exclude(status=Letter.Status.DRAFT)

    def with_state(self):
        """With what `templates/letters/_state.html` says: the delivery and the hand-in event."""
        return self.select_related("delivery", "hand_in_event")


class LetterStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for signatures")
    CLOSED = "closed", _("Closed")
    DELIVERED = "delivered", _("Delivered")


class LetterModeration(models.TextChoices):
    PRE = "pre", "Pre-moderated: names appear after an organiser approves them"
    POST = "post", "Post-moderated: names appear once confirmed by e-mail"


class Letter(models.Model):
    Status = LetterStatus
    Moderation = LetterModeration
    campaign = models.ForeignKey(
        "campaign.Campaign", on_delete=models.PROTECT, related_name="letters"
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    addressee = models.CharField(max_length=200, help_text='E.g. "The Foreign Secretary".')
    salutation = models.CharField(max_length=200, help_text='E.g. "Dear Mr Hague,".')
    body = models.TextField(
        help_text="The letter as it will be handed in. Blank lines separate paragraphs; "
        "numbered demands are kept exactly as written."
    )
    closing = models.CharField(max_length=200, default="Yours sincerely,")
    hand_in_date = models.DateField(null=True, blank=True)
    hand_in_event = models.ForeignKey(
        "campaign.Event",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="letters",
        help_text="Where the letter will be handed in.",
    )
    language = models.CharField(
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text="The language the letter is written in; the page marks its text so.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    moderation = models.CharField(max_length=10, choices=Moderation.choices, default=Moderation.PRE)
    target_count = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LetterQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LetterStatus.values), name="letter_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(moderation__in=LetterModeration.values),
                name="letter_moderation_valid",
            ),
            models.CheckConstraint(
                condition=Q(target_count__isnull=True) | Q(target_count__gt=0),
                name="letter_target_count_positive",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("letters:detail", kwargs={"slug": self.slug})

    def title_in(self, language):
        """The title in `language` where a ready translation has one, else as written.

        What a Kazakh signer reads on their confirmation page and in their
        mail; the letter itself is handed in as written.
        """
        return self.version_in(language).title

    def version_in(self, language):
        """The ready translation in `language`, else the letter itself (same text fields).

        Kept per instance: a page or a mail asks several times for the same one.
        """
        if language == self.language:
            return self
        memo = self.__dict__.setdefault("_versions", {})
        if language not in memo:
            if "translations" in getattr(self, "_prefetched_objects_cache", {}):  # a list page
                ready = [
                    t for t in self.translations.all() if t.is_ready and t.language == language
                ]
            else:
                ready = list(self.translations.filter(language=language, is_ready=True)[:1])
            memo[language] = ready[0] if ready else self
        return memo[language]

    @property
    def is_open(self):
        return self.status == self.Status.OPEN

    def progress_percent(self, count):
        """How far toward the target, in whole percent (capped at 100), or None without one."""
        if not self.target_count:
            return None
        return min(100, count * 100 // self.target_count)

    @property
    def days_until_hand_in(self):
        """Whole days from today (in the site's zone) to the hand-in date; negative once past."""
        if self.hand_in_date is None:
            return None
        return (self.hand_in_date - timezone.localdate()).days

    @property
    def paragraphs(self):
        return split_paragraphs(self.body)


class LetterStatusChange(models.Model):
    """An audit record of every lifecycle step, written by the lifecycle service."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Letter.Status.choices)
    to_status = models.CharField(max_length=20, choices=Letter.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self):
        return f"{self.letter}: {self.from_status} → {self.to_status}"


class PaperSheet(models.Model):
    """A numbered paper sign-up sheet; its code is what the paper-entry page records."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="paper_sheets")
    number = models.PositiveIntegerField()
    printed_at = models.DateTimeField(default=timezone.now)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["letter", "number"]
        constraints = [
            models.UniqueConstraint("letter", "number", name="one_sheet_number_per_letter"),
        ]

    def __str__(self):
        return self.code

    @property
    def code(self):
        return f"L{self.letter_id}-{self.number:04d}"


class SignedPdfState(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    MAKING = "making", "Being made"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class SignedPdf(models.Model):
    """The signed letter as prepared at one moment: the file, its numbers, each name's page.

    Made by a task (letters/services/signed_pdf.py), a million names taking
    a minute: the admin asks for one and shows its progress, then its
    download. The file and its page map (which page each printed name is on,
    for the receipts) are kept in parts (SignedPdfPart), so neither is ever
    whole in memory. The one an organiser looked at and froze at hand-in is
    the delivery's.
    """

    State = SignedPdfState

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="signed_pdfs")
    with_translations = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=SignedPdfState.choices, default="queued")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    signature_count = models.PositiveIntegerField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "signed PDF"
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["letter", "-requested_at"], name="signed_pdf_letter_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=SignedPdfState.values), name="signed_pdf_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=SignedPdfState.READY) | Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="signed_pdf_ready_has_its_hash",
            ),
        ]

    def __str__(self):
        return f"{self.letter}: PDF of {self.requested_at:%d %b %Y %H:%M}"

    @property
    def is_ready(self):
        return self.state == SignedPdfState.READY

    @property
    def progress_key(self):
        """Where the worker making it says how far it has come (in the shared cache)."""
        return f"signed-pdf-progress:{self.pk}"


class SignedPdfPart(models.Model):
    """A piece of a signed PDF's file, or of its page map, in order."""

    class Kind(models.TextChoices):
        FILE = "file", "The PDF file"
        PAGES = "pages", "Which page each printed name is on"

    SIZE = 1024 * 1024  # bytes of a part (the last may be shorter)
    PAGE_ENTRY = struct.Struct("!QI")  # one printed name in the page map: signatory id, page

    signed_pdf = models.ForeignKey(SignedPdf, on_delete=models.CASCADE, related_name="parts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "signed_pdf", "kind", "number", name="one_signed_pdf_part_per_place"
            ),
            models.CheckConstraint(condition=Q(kind__in=["file", "pages"]), name="part_kind_valid"),
        ]

    def __str__(self):
        return f"{self.signed_pdf} {self.kind} part {self.number}"


class ContactsExport(models.Model):
    """A contacts CSV too long for a web request, written by a worker and kept for a while.

    Past CONTACTS_CSV_DIRECT_ROWS rows (a million take a minute or so) the
    admin asks for one (letters/services/contacts_export.py), shows its
    progress, then offers its download, which goes in the access log. The
    file holds addresses, so its parts are encrypted (signatories/crypto.py
    `seal`) and it is removed EXPORT_KEPT_MINUTES after it was made, when a
    newer one of the same letter is ready, and when a signatory of the letter
    is erased or the letter anonymised.
    """

    State = SignedPdfState

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="contacts_exports")
    everything = models.BooleanField(
        default=False, help_text="Every signature in any state, not only the live list."
    )
    state = models.CharField(max_length=10, choices=SignedPdfState.choices, default="queued")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    address_count = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["letter", "-requested_at"], name="contacts_export_letter_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=SignedPdfState.values), name="contacts_export_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=SignedPdfState.READY)
                | Q(row_count__isnull=False, address_count__isnull=False, size__isnull=False),
                name="contacts_export_ready_has_its_numbers",
            ),
        ]

    def __str__(self):
        return f"{self.letter}: contacts CSV of {self.requested_at:%d %b %Y %H:%M}"

    @property
    def is_ready(self):
        return self.state == SignedPdfState.READY

    @property
    def progress_key(self):
        """Where the worker writing it says how far it has come (in the shared cache)."""
        return f"contacts-export-progress:{self.pk}"


class ContactsExportPart(models.Model):
    """A piece of a contacts export's file, encrypted, in order."""

    SIZE = 1024 * 1024  # bytes of CSV a part holds before it is sealed (the last may be shorter)

    export = models.ForeignKey(ContactsExport, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint("export", "number", name="one_contacts_export_part_per_place")
        ]

    def __str__(self):
        return f"{self.export} part {self.number}"


class Delivery(models.Model):
    """What was handed in, frozen: the PDF as printed, its hash, the count.

    Two moments: when and where the letter was really handed in, and by whom,
    as the organiser entered them; and when the record was made, by which
    staff user.
    """

    letter = models.OneToOneField(Letter, on_delete=models.PROTECT, related_name="delivery")
    handed_in_at = models.DateTimeField("handed in at", default=timezone.now)
    place = models.CharField(max_length=500, blank=True)
    handed_in_by = models.CharField(
        "handed in by",
        max_length=200,
        blank=True,
        help_text="Who carried it in, e.g. “A delegation of the RMT London region”.",
    )
    note = models.TextField(blank=True, help_text="Anything worth keeping about the hand-in.")
    recorded_at = models.DateTimeField("recorded at", default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="recorded by",
    )
    signature_count = models.PositiveIntegerField()
    # The PDF the organiser looked at and froze: in the database, in parts, so
    # every app host can serve it, and its page map for the receipts.
    signed_pdf = models.OneToOneField(
        SignedPdf, on_delete=models.PROTECT, related_name="delivery", editable=False
    )
    sha256 = models.CharField("SHA-256", max_length=64, editable=False)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="delivery_sha256_hex"
            ),
        ]

    def __str__(self):
        return f"{self.letter}: handed in {self.handed_in_at:%d %b %Y} with {self.signature_count}"

    @property
    def sha256_grouped(self):
        """The hash in eight groups of eight, as a person compares it by eye."""
        return " ".join(self.sha256[i : i + 8] for i in range(0, len(self.sha256), 8))


class LetterTranslation(models.Model):
    """The letter in another language, for readers; the original is what is handed in."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(max_length=200)
    salutation = models.CharField(max_length=200)
    body = models.TextField(help_text="Blank lines separate paragraphs, as in the original.")
    closing = models.CharField(max_length=200)
    is_ready = models.BooleanField(
        "ready to publish", default=False, help_text="Never shown until ticked."
    )

    class Meta:
        ordering = ["letter", "language"]
        constraints = [
            models.UniqueConstraint("letter", "language", name="one_translation_per_language"),
        ]

    def __str__(self):
        return f"{self.letter} ({self.get_language_display()})"

    @property
    def paragraphs(self):
        return split_paragraphs(self.body)


class Reply(models.Model):
    """The addressee's answer, on the record under the delivery."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="replies")
    received_on = models.DateField()
    sender = models.CharField(max_length=200, help_text='E.g. "Foreign and Commonwealth Office".')
    text = models.TextField(help_text="The reply as received, or a summary if it is long.")
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_name = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["received_on", "pk"]
        verbose_name_plural = "replies"

    def __str__(self):
        return f"Reply from {self.sender} ({self.received_on:%d %b %Y})"


class UpdateKind(models.TextChoices):
    NEWS = "news", "News for signatories"
    RECEIPT = "receipt", "Delivery receipt"


class Update(models.Model):
    """News for signatories who asked for it; also the receipt sent at delivery."""

    Kind = UpdateKind

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=20, choices=UpdateKind.choices, default=UpdateKind.NEWS)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text. Blank lines separate paragraphs.")
    is_public = models.BooleanField(
        "also on the letter page", default=True, help_text="Shown under the letter as news."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    send_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=UpdateKind.values), name="update_kind_valid"
            ),
            models.UniqueConstraint(
                "letter",
                condition=Q(kind=UpdateKind.RECEIPT),
                name="one_delivery_receipt_per_letter",
            ),
        ]

    def __str__(self):
        return self.subject

    @property
    def paragraphs(self):
        return split_paragraphs(self.body)


class RecipientStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (tried again later, up to MAIL_MAX_ATTEMPTS times)"
    CANCELLED = "cancelled", "Not sent (unsubscribed, withdrawn or erased meanwhile)"


class UpdateRecipient(models.Model):
    """One signatory's copy of one update: the row that makes sending exactly-once.

    An outbox row (letters/outboxes.py): `due_at` says when its mail is owed,
    NULL once sent, cancelled or given up.
    """

    Status = RecipientStatus

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="recipients")
    signatory = models.ForeignKey(
        "signatories.Signatory", on_delete=models.CASCADE, related_name="update_copies"
    )
    status = models.CharField(
        max_length=20, choices=RecipientStatus.choices, default=RecipientStatus.QUEUED
    )
    page = models.PositiveIntegerField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("update", "signatory", name="one_copy_per_signatory"),
            models.CheckConstraint(
                condition=Q(status__in=RecipientStatus.values), name="recipient_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["update", "status"], name="recipient_status_idx"),
            models.Index(
                fields=["due_at"], condition=Q(due_at__isnull=False), name="recipient_due_idx"
            ),
        ]

    def __str__(self):
        return f"{self.update} → signatory {self.signatory_id}: {self.status}"


class Milestone(models.Model):
    """When a letter's count first reached 100, 1,000, 10,000... (letters/services/milestones.py).

    Recorded by the worker's sweep from the signatures themselves (the N-th
    counted one by when it was confirmed), once per milestone: the letter
    page's timeline reads these rows and never counts. A count that falls
    back (withdrawals) leaves a milestone reached as it was.
    """

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="milestones")
    count = models.PositiveIntegerField()
    reached_at = models.DateTimeField()

    class Meta:
        ordering = ["letter", "count"]
        constraints = [
            models.UniqueConstraint("letter", "count", name="one_milestone_per_count"),
            models.CheckConstraint(condition=Q(count__gt=0), name="milestone_count_positive"),
        ]

    def __str__(self):
        return f"{self.letter}: {self.count:,} on {self.reached_at:%d %b %Y}"
