from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from letters.models import Letter
from signatories.crypto import blind_index
from signatories.fields import BlindIndexField, EncryptedEmailField
from signatories.names import (
    EMAIL_IN_TEXT,
    KEY_LENGTH,
    derive_sort_name,
    has_letter_or_digit,
    sort_key,
)


class SignatoryKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    ORGANISATION = "organisation", _("Organisation")


class SignatorySource(models.TextChoices):
    WEB = "web", "Web form"
    PAPER = "paper", "Paper form"
    ORGANISER = "organiser", "Entered by an organiser"


class SignatoryDisplay(models.TextChoices):
    FULL = "full", _("Publish my name with my organisation or title")
    NAME = "name", _("Publish my name only")
    HIDDEN = "hidden", _("Count my signature, but do not publish my name")


class SignatorySuspicion(models.TextChoices):
    NONE = "", "Not suspect"
    # Not held: people behind one address who each confirm from their own inbox.
    SHARED = "shared", "Shares an address with other signers (a meeting, an office)"
    RATE = "rate", "More signatures from one address than a meeting makes"
    HONEYPOT = "honeypot", "Filled in the hidden field bots fill in"
    TOO_FAST = "too_fast", "Sent faster than a person can type"
    NO_FORM = "no_form", "Sent without the signing form"
    # Held by a moderator with a whole cluster of a bot wave (signatories/waves.py).
    WAVE = "wave", "Held with a bot wave by a moderator"


class SignatoryStatus(models.TextChoices):
    PENDING = "pending", "Awaiting a decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class States:
    """The states a signature can be in, as conditions: one definition for every filter and count.

    QuerySet methods below filter by them; counts aggregate over them in one
    query (signatories/selectors.py).
    """

    CONFIRMED = Q(confirmed_at__isnull=False)
    NOT_WITHDRAWN = Q(withdrawn_at__isnull=True)
    WITHDRAWN = Q(withdrawn_at__isnull=False)
    UNCONFIRMED = Q(confirmed_at__isnull=True) & NOT_WITHDRAWN
    STANDING = CONFIRMED & NOT_WITHDRAWN
    # Confirmed, not withdrawn, not rejected: the people who stand behind the letter.
    LIVE = STANDING & ~Q(status=SignatoryStatus.REJECTED)
    # The moderators' work: confirmed, still standing, nobody has decided yet.
    AWAITING_DECISION = STANDING & Q(status=SignatoryStatus.PENDING)
    APPROVED = STANDING & Q(status=SignatoryStatus.APPROVED)
    REJECTED = STANDING & Q(status=SignatoryStatus.REJECTED)
    # Flagged by the abuse checks and not decided yet, confirmed or not.
    # Marked but not held: a shared address is a meeting or an office, not a bot.
    NOT_HELD = Q(suspicion__in=[SignatorySuspicion.NONE, SignatorySuspicion.SHARED])
    HELD_AS_SUSPECT = NOT_WITHDRAWN & Q(status=SignatoryStatus.PENDING) & ~NOT_HELD
    # Shown on the public page, counted, and printed for delivery: confirmed, not
    # withdrawn, and either approved by an organiser or, on a post-moderated
    # letter, neither rejected nor held as suspect.
    PUBLISHED = STANDING & (
        Q(status=SignatoryStatus.APPROVED)
        | Q(status=SignatoryStatus.PENDING, letter__moderation=Letter.Moderation.POST) & NOT_HELD
    )
    HIDDEN = Q(display=SignatoryDisplay.HIDDEN)

    @classmethod
    def published_under(cls, moderation):
        """PUBLISHED for a letter of this moderation, with the letter's part settled."""
        if moderation == Letter.Moderation.POST:
            return cls.STANDING & (
                Q(status=SignatoryStatus.APPROVED)
                | Q(status=SignatoryStatus.PENDING) & cls.NOT_HELD
            )
        return cls.APPROVED


class SearchText(models.Func):
    """A signature's name and affiliation as one text, for the admin's search:
    `(name || chr(10)) || affiliation`.

    One trigram index serves it on PostgreSQL (signatory_search_trgm_idx, on
    exactly this expression upper-cased, as `icontains` compares): a search of
    two words is two conditions on one index, where it was a bitmap of two
    indexes per word, ANDed. The newline cannot be in a searched word (words
    are split on spaces), so a word matches this text exactly when it matches
    the name or the affiliation.
    """

    output_field = models.TextField()

    def __init__(self):
        super().__init__(models.F("name"), models.F("affiliation"))

    def as_sql(self, compiler, connection, **extra_context):
        (name, name_params), (affiliation, affiliation_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        newline = "chr(10)" if connection.vendor == "postgresql" else "char(10)"
        return f"(({name} || {newline}) || {affiliation})", [*name_params, *affiliation_params]


class SignatoryQuerySet(models.QuerySet):
    def matching_words(self, words):
        """Signatures whose name or affiliation holds every word, in any case."""
        queryset = self.alias(search_text=SearchText())
        for word in words:
            queryset = queryset.filter(search_text__icontains=word)
        return queryset

    def with_email(self, email):
        """The row of this address, in any case: by its keyed hash, on the unique index.

        The empty-hash condition is the unique index's own (it is partial):
        without it the planner cannot use that index and reads every row of
        the letter, on each signature.
        """
        return self.filter(email_hash=blind_index(email)).exclude(email_hash="")

    def confirmed(self):
        return self.filter(States.CONFIRMED)

    def unconfirmed(self):
        """Not confirmed by e-mail yet, and not withdrawn either."""
        return self.filter(States.UNCONFIRMED)

    def not_withdrawn(self):
        return self.filter(States.NOT_WITHDRAWN)

    def withdrawn(self):
        return self.filter(States.WITHDRAWN)

    def live(self):
        """Confirmed, not withdrawn, not rejected: the people who stand behind the letter."""
        return self.filter(States.LIVE)

    def awaiting_decision(self):
        """The moderators' work: confirmed, still standing, nobody has decided yet."""
        return self.filter(States.AWAITING_DECISION)

    def held_as_suspect(self):
        """Flagged by the abuse checks and not decided yet, confirmed or not."""
        return self.filter(States.HELD_AS_SUSPECT)

    def approved(self):
        """Confirmed, not withdrawn and approved."""
        return self.filter(States.APPROVED)

    def rejected(self):
        """Confirmed, not withdrawn and rejected."""
        return self.filter(States.REJECTED)

    def mailable(self):
        """Rows with an address to write to (not erased, anonymised or typed in without one)."""
        return self.exclude(email_hash="")

    def update_audience(self):
        """Who may get news: confirmed, consenting, not withdrawn, with an address."""
        return self.filter(consents_to_updates=True).confirmed().not_withdrawn().mailable()

    def published(self):
        """Names shown on the public page, counted, and printed for delivery (States.PUBLISHED)."""
        return self.filter(States.PUBLISHED)

    def listed(self):
        """Published names the signatories agreed to show; the rest are only counted."""
        return self.published().exclude(States.HIDDEN)

    def published_on(self, letter):
        """published() on one letter whose moderation is known: no join to the letter.

        The same rows as `filter(letter=letter).published()`; with the
        letter's moderation settled here, the database filters each row on
        its own columns, along the letter's indexes.
        """
        return self.filter(letter=letter).filter(States.published_under(letter.moderation))

    def listed_on(self, letter):
        """listed() on one letter, without the join (see published_on)."""
        return self.published_on(letter).exclude(States.HIDDEN)

    def in_delivery_order(self):
        """Organisations first, then by sort key, as the seed letter prints them.

        "organisation" sorts after "individual", so kind descending puts
        organisations first, in an order signatory_delivery_order_idx holds:
        a page of names is read off the index, never sorted from all rows.
        """
        return self.order_by("-kind", "sort_key", "pk")

    def for_delivery(self):
        return self.listed().in_delivery_order()


class Signatory(models.Model):
    Kind = SignatoryKind
    Source = SignatorySource
    Status = SignatoryStatus
    Display = SignatoryDisplay
    Suspicion = SignatorySuspicion
    # No index of its own: the composite indexes below all begin with the letter.
    letter = models.ForeignKey(
        Letter, on_delete=models.CASCADE, related_name="signatories", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    name = models.CharField(max_length=200)
    affiliation = models.CharField(
        "organisation or title",
        max_length=300,
        blank=True,
        help_text='Printed in parentheses, e.g. "member of Unite, personal capacity".',
    )
    # Encrypted at rest; the hash beside it is what the database compares.
    email = EncryptedEmailField(
        blank=True,
        help_text="Private: never published. Optional only for signatures entered by organisers.",
    )
    email_hash = BlindIndexField(
        source="email",
        help_text="Keyed hash of the normalised address: one signature per address per letter.",
    )
    sort_name = models.CharField(
        max_length=200,
        blank=True,
        help_text='How the name sorts, e.g. "la Falce, Maria". Blank: derived from the name.',
    )
    sort_key = models.CharField(max_length=KEY_LENGTH, editable=False)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    display = models.CharField(
        "on the public list",
        max_length=10,
        choices=SignatoryDisplay.choices,
        default=SignatoryDisplay.FULL,
        help_text="What the signatory chose to publish; honoured on the page and in the PDF.",
    )
    suspicion = models.CharField(
        max_length=20,
        choices=SignatorySuspicion.choices,
        default=SignatorySuspicion.NONE,
        blank=True,
        help_text=(
            "Set by the abuse checks. A shared address is only marked (a meeting, an office); "
            "the others hold the signature for a moderator, even on a post-moderated letter."
        ),
    )
    language = models.CharField(
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text="The interface language the signer used; their e-mails are written in it.",
    )
    confirmation_sent_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the last confirmation mail went out."
    )
    # Two outboxes on this row (signatories/outboxes.py, mailing/outbox.py).
    # The confirmation is owed from the INSERT that takes a web signature;
    # the due time is cleared once its mail has gone.
    confirmation_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmation_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    # "You have already signed": owed when the address signs again, at most one
    # per ALREADY_SIGNED_NOTICE_HOURS (the form must not flood an inbox).
    already_signed_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    already_signed_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    already_signed_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # One reminder to confirm, UNCONFIRMED_REMINDER_HOURS after a web signature,
    # owed from its INSERT; cleared when it is confirmed or withdrawn first, so
    # the index below holds only the recent unconfirmed. Never owed again.
    reminder_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # db_default too: rows written by raw SQL (the benches' COPY) need not name it.
    reminder_attempts = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    reminder_sent_at = models.DateTimeField(
        "reminded at",
        null=True,
        blank=True,
        editable=False,
        help_text="When the one reminder to confirm went out.",
    )
    anonymised_at = models.DateTimeField(
        null=True, blank=True, help_text="When the e-mail address and IP hash were erased."
    )
    is_notable = models.BooleanField(
        "notable",
        default=False,
        help_text="Listed at the top of the letter page (an MP, a general secretary).",
    )
    consents_to_updates = models.BooleanField("consents to campaign updates", default=False)
    paper_sheet = models.CharField(
        max_length=40,
        blank=True,
        help_text="The ID printed on the paper sign-up sheet this name came from.",
    )
    ip_hash = models.CharField(
        "IP hash",
        max_length=64,
        blank=True,
        editable=False,
        help_text="Keyed hash; the raw IP is never kept.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SignatoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "signatories"
        ordering = ["-created_at"]
        permissions = [
            ("view_contact_details", "Can see and export signatories' e-mail addresses"),
        ]
        constraints = [
            # The hash first: the admin's search by address uses the same index.
            models.UniqueConstraint(
                fields=["email_hash", "letter"],
                condition=~Q(email_hash=""),
                name="one_signature_per_email_per_letter",
                violation_error_message="This e-mail address has already signed this letter.",
            ),
            # An address always has its hash (update() and bulk_update() skip the save hook).
            models.CheckConstraint(
                condition=Q(email="", email_hash="") | (~Q(email="") & ~Q(email_hash="")),
                name="signatory_email_has_its_hash",
                violation_error_message="An e-mail address needs its keyed hash.",
            ),
            models.CheckConstraint(
                condition=~Q(email="")
                | ~Q(source=SignatorySource.WEB)
                | Q(anonymised_at__isnull=False),
                name="web_signature_has_email",
                violation_error_message="A signature from the web form needs an e-mail address.",
            ),
            # Names and affiliations are published: never an address in them.
            models.CheckConstraint(
                condition=~Q(name__regex=EMAIL_IN_TEXT) & ~Q(affiliation__regex=EMAIL_IN_TEXT),
                name="signatory_publishes_no_email",
                violation_error_message="A name or affiliation must not hold an e-mail address.",
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="signatory_name_not_blank",
                violation_error_message="A signature needs a name.",
            ),
            models.CheckConstraint(
                condition=~Q(sort_key=""),
                name="signatory_sorts_somewhere",
                violation_error_message="A name needs at least one letter or digit.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SignatoryKind.values), name="signatory_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=SignatorySource.values), name="signatory_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SignatoryStatus.values), name="signatory_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(display__in=SignatoryDisplay.values), name="signatory_display_valid"
            ),
            models.CheckConstraint(
                condition=Q(suspicion__in=SignatorySuspicion.values),
                name="signatory_suspicion_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["letter", "-kind", "sort_key", "id"], name="signatory_delivery_order_idx"
            ),
            models.Index(
                fields=["letter", "status", "-created_at"], name="signatory_moderation_idx"
            ),
            # The admin changelist's order (newest first, then -pk for a total order).
            models.Index(fields=["-created_at", "-id"], name="signatory_newest_first_idx"),
            # The moderation queue's views, each read newest first off an index of
            # its own rows, whatever the size of the table: by status (awaiting,
            # approved, rejected), and the few held, unconfirmed or withdrawn.
            models.Index(fields=["status", "-created_at", "-id"], name="signatory_queue_idx"),
            models.Index(
                fields=["-created_at", "-id"],
                condition=States.HELD_AS_SUSPECT,
                name="signatory_suspect_idx",
            ),
            models.Index(
                fields=["-created_at", "-id"],
                condition=States.UNCONFIRMED,
                name="signatory_unconfirmed_idx",
            ),
            models.Index(
                fields=["-created_at", "-id"],
                condition=States.WITHDRAWN,
                name="signatory_withdrawn_idx",
            ),
            # The few notable names for the top of the letter page, in delivery order.
            models.Index(
                fields=["letter", "-kind", "sort_key", "id"],
                condition=Q(is_notable=True),
                name="signatory_notables_idx",
            ),
            # Only the few rows still owed a mail are in these.
            models.Index(
                fields=["confirmation_due_at"],
                condition=Q(confirmation_due_at__isnull=False),
                name="signatory_confirmation_due_idx",
            ),
            models.Index(
                fields=["already_signed_due_at"],
                condition=Q(already_signed_due_at__isnull=False),
                name="signatory_already_signed_idx",
            ),
            models.Index(
                fields=["reminder_due_at"],
                condition=Q(reminder_due_at__isnull=False),
                name="signatory_reminder_due_idx",
            ),
            # The letter's count of reminders sent, for its admin page.
            models.Index(
                fields=["letter"],
                condition=Q(reminder_sent_at__isnull=False),
                name="signatory_reminded_idx",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.affiliation})" if self.affiliation else self.name

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is not None and "email" in update_fields:
            update_fields = {*update_fields, "email_hash"}  # the hash follows its address
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def public_affiliation(self):
        """The affiliation as it may be published: not when the signatory asked for name only."""
        return self.affiliation if self.display == self.Display.FULL else ""

    @property
    def is_organisation(self):
        return self.kind == self.Kind.ORGANISATION

    def clean(self):
        # The same rules as the database constraints, as messages instead of errors:
        # a violated constraint would make PostgreSQL log the whole row, address included.
        if not has_letter_or_digit(self.name):
            raise ValidationError({"name": "A name needs at least one letter or digit."})
        if self.source == self.Source.WEB and not self.email and not self.anonymised_at:
            raise ValidationError(
                {"email": "A signature from the web form needs an e-mail address."}
            )

    def validate_constraints(self, exclude=None):
        """The address's constraints are on its hash, which no form has: computed here first."""
        if exclude is None or "email" not in exclude:
            self.email_hash = blind_index(self.email)
            exclude = None if exclude is None else set(exclude) - {"email_hash"}
        super().validate_constraints(exclude=exclude)

    def set_sort_name(self, sort_name=None):
        """Set the sort name (derived from the name when not given) and its key.

        A sort name that sorts nowhere (only punctuation) falls back to the
        derived one, so every signature has a place in the list.
        """
        if not sort_name or not sort_key(sort_name):
            sort_name = derive_sort_name(self.name, is_organisation=self.is_organisation)
        self.sort_name = sort_name[:200]
        self.sort_key = sort_key(self.sort_name)


class ModerationAction(models.Model):
    """One decision by one moderator on one or many signatures: the audit trail."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"
        RESTORE = "restore", "Restored to the queue"
        # A bot wave's cluster held for a moderator (awaiting, flagged), and a decision undone.
        HOLD = "hold", "Held as a bot wave"
        UNDO = "undo", "Undone"

    decision = models.CharField(max_length=20, choices=Decision.choices)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="moderation_actions"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    count = models.PositiveIntegerField(default=0)
    # A decision on a bot wave's cluster is about one letter and says which cluster;
    # the queue's own decisions leave both empty.
    letter = models.ForeignKey(
        Letter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The letter of a bot wave's decision.",
    )
    note = models.CharField(
        max_length=300, blank=True, help_text="What was decided on, in words (never an address)."
    )
    # The undo of a decision points at it: one undo per decision, held by the unique index.
    undoes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="undone_by",
        help_text="The decision this one undid.",
    )

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            # Only an undo undoes, and it always says which decision.
            models.CheckConstraint(
                condition=Q(decision="undo", undoes__isnull=False)
                | (~Q(decision="undo") & Q(undoes__isnull=True)),
                name="moderation_undo_names_its_decision",
                violation_error_message="An undo names the decision it undoes.",
            ),
        ]

    def __str__(self):
        when = f"{self.decided_at:%Y-%m-%d %H:%M}"
        return f"{self.get_decision_display()}: {self.count} by {self.moderator} at {when}"


class ModerationEntry(models.Model):
    """Which signature a decision touched and what its status was before."""

    action = models.ForeignKey(ModerationAction, on_delete=models.CASCADE, related_name="entries")
    signatory = models.ForeignKey(
        Signatory, on_delete=models.CASCADE, related_name="moderation_entries"
    )
    from_status = models.CharField(max_length=20, choices=SignatoryStatus.choices)
    # Only decisions that change the suspicion as well (holding a wave, its undo) record
    # what it was; null: the decision left it as it was ("" is a suspicion: "not suspect").
    from_suspicion = models.CharField(  # noqa: DJ001
        max_length=20, choices=SignatorySuspicion.choices, null=True, blank=True
    )

    class Meta:
        verbose_name_plural = "moderation entries"
        constraints = [
            models.UniqueConstraint(
                "action", "signatory", name="one_entry_per_signatory_per_action"
            ),
        ]

    def __str__(self):
        return f"{self.action.get_decision_display()} #{self.signatory_id}"


class Tally(models.Model):
    """A change to a letter's counts, written by the database itself, never by the app.

    Triggers on the signatory table (and on a letter's moderation) add a row
    for every statement that moves signatures between states: +3 published
    for an approval of three, -1 awaiting and +1 withdrawn for a withdrawal.
    A letter's counts are the sums of its rows, so reading them costs no
    COUNT over its signatures, and no code path can forget to count: a bulk
    UPDATE in a shell is counted as the sign form's INSERT is. The worker's
    sweep folds each letter's rows into one now and then
    (`signatories.services.tally.tallies_compact`). The triggers and the
    states they compute are in migration 0018; `tests/signatories/test_tally.py`
    holds them to `States` on random histories.
    """

    COUNTS = (
        "published",
        "hidden",
        "awaiting",
        "approved",
        "rejected",
        "unconfirmed",
        "withdrawn",
        "suspect",
    )

    id = models.BigAutoField(primary_key=True)
    # No foreign key constraint: rows are written by triggers, also while a
    # letter is being deleted; a deleted letter's rows are dropped by the sweep.
    letter = models.ForeignKey(
        Letter, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    published = models.IntegerField(db_default=0)
    hidden = models.IntegerField(db_default=0)
    awaiting = models.IntegerField(db_default=0)
    approved = models.IntegerField(db_default=0)
    rejected = models.IntegerField(db_default=0)
    unconfirmed = models.IntegerField(db_default=0)
    withdrawn = models.IntegerField(db_default=0)
    suspect = models.IntegerField(db_default=0)

    class Meta:
        verbose_name_plural = "tallies"

    def __str__(self):
        return f"Letter {self.letter_id}: {self.published:+} published"


class SigningPause(models.Model):
    """Each time signing was paused on every letter, or the pause lifted: who, when, why.

    The newest row is the site's state (signatories/pause.py reads it through
    the cache); the older ones are its record, never changed.
    """

    paused = models.BooleanField(help_text="True: signing paused from here on; False: lifted.")
    message = models.TextField(
        blank=True,
        max_length=1000,
        help_text="Shown on every letter page in place of the sign form while signing is paused.",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = "pause of signing"
        verbose_name_plural = "pauses of signing"
        permissions = [("pause_signing", "Can pause and resume signing on every letter")]
        constraints = [
            # A pause tells signers why; lifting one needs no words.
            models.CheckConstraint(
                condition=Q(paused=False) | ~Q(message=""),
                name="signing_pause_has_a_message",
                violation_error_message="A pause needs a message for the letter pages.",
            ),
        ]

    def __str__(self):
        what = "Paused" if self.paused else "Resumed"
        return f"{what} by {self.changed_by} at {self.changed_at:%Y-%m-%d %H:%M}"
