import itertools
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string

from letters.models import (
    Letter,
    LetterTranslation,
    RecipientStatus,
    Reply,
    SignedPdf,
    SignedPdfPart,
    Update,
    UpdateKind,
)
from signatories.mail import absolute
from signatories.models import Signatory
from signatories.selectors import signatory_counts


def letter_get_public(*, slug):
    """A letter anyone may read, with its campaign, hand-in event and delivery record."""
    return get_object_or_404(
        Letter.objects.public().select_related("campaign", "hand_in_event", "delivery"),
        slug=slug,
    )


def letter_get_cached(*, slug):
    """pk, slug, title and status of a public letter, from this process's memory for seconds.

    What the hot paths need (a sign request, the count for other websites,
    the embed); the page itself loads the whole letter.
    """
    return caches["process"].get_or_set(
        f"letter-lean:{slug}",
        lambda: _letter_lean(slug),
        timeout=settings.SIGNING_LETTER_CACHE_SECONDS,
    )


def letter_get_for_signing(*, slug):
    """The cached letter, read again if it says closed, so reopening takes effect at once.

    A stale entry cannot let a name onto a closed letter: the INSERT itself
    checks that the letter is open (signatories.services).
    """
    letter = letter_get_cached(slug=slug)
    if not letter.is_open:
        letter = _letter_lean(slug)
        caches["process"].set(
            f"letter-lean:{slug}", letter, timeout=settings.SIGNING_LETTER_CACHE_SECONDS
        )
    return letter


def _letter_lean(slug):
    fields = ["pk", "slug", "title", "status", "moderation", "hand_in_date", "hand_in_event"]
    state = ["delivery__handed_in_at", "delivery__place", "hand_in_event__place"]
    lean = Letter.objects.public().select_related("delivery", "hand_in_event")
    return get_object_or_404(lean.only(*fields, *state), slug=slug)


def letter_load_page_parts(*, letter):
    """What only the letter page shows: ready translations, replies, sent public updates.

    Loaded here rather than with the letter, so a sign request, the thank-you
    page and the PDF downloads do not pay three queries they never use.
    """
    prefetch_related_objects(
        [letter],
        Prefetch(
            "translations",
            queryset=LetterTranslation.objects.filter(is_ready=True),
            to_attr="ready_translations",
        ),
        Prefetch("replies", queryset=Reply.objects.defer("pdf"), to_attr="reply_list"),
        Prefetch(
            "updates",
            queryset=Update.objects.filter(is_public=True, kind=UpdateKind.NEWS)
            .exclude(send_requested_at=None)
            .order_by("-created_at"),
            to_attr="public_updates",
        ),
    )
    return letter


@dataclass(frozen=True)
class Version:
    """One language's text of a letter, as the page shows it."""

    language: str
    title: str
    salutation: str
    paragraphs: list
    closing: str
    is_original: bool


def letter_versions(*, letter):
    """The original first, then the translations marked ready (never the others)."""
    versions = [
        Version(
            letter.language,
            letter.title,
            letter.salutation,
            letter.paragraphs,
            letter.closing,
            True,
        )
    ]
    versions += [
        Version(t.language, t.title, t.salutation, t.paragraphs, t.closing, False)
        for t in letter.ready_translations
        if t.language != letter.language
    ]
    return versions


def letter_version_for(*, versions, requested, language):
    """The version asked for by ?version=, else the visitor's language, else the original."""
    by_language = {v.language: v for v in versions}
    return by_language.get(requested) or by_language.get(language) or versions[0]


def letter_notables(*, letter):
    """Notable signatories for the top of the page, as they agreed to be shown."""
    return list(
        Signatory.objects.listed_on(letter)
        .filter(is_notable=True)
        .in_delivery_order()
        .only("pk", "kind", "name", "affiliation", "display", "sort_key")
    )


def letter_signature_counts(*, letter):
    """(published, of which unnamed): the public count and the "N others", from the journal."""
    counts = signatory_counts(letter=letter)
    return counts["published"], counts["hidden"]


def letter_page_counts(*, letter):
    """The counts as the letter page shows them: shared by every host for a few seconds.

    Read from the count journal (a sum over a few rows, never a COUNT of the
    names) and kept in the shared cache for LETTER_SHELL_CACHE_SECONDS: the
    page's shell, which shows them, is that old at most anyway.
    """
    return cache.get_or_set(
        f"letter-page-counts:{letter.pk}",
        lambda: letter_signature_counts(letter=letter),
        timeout=settings.LETTER_SHELL_CACHE_SECONDS,
    )


def letter_counts_forget(*, letter_id):
    """After a signer's own change (confirmed, withdrawn, restored, erased): counts afresh.

    The person who just acted follows a link that skips the page cache
    (`?updated=1`); without this they would still read the old count, shared
    by every host for LETTER_SHELL_CACHE_SECONDS. Other readers may lag as before.
    """
    cache.delete_many([f"letter-page-counts:{letter_id}", f"letter-count:{letter_id}"])


def letter_public_count(*, letter):
    """The published count, cached for a few seconds: embeds and shares can be hammered."""
    return cache.get_or_set(
        f"letter-count:{letter.pk}",
        lambda: letter_signature_counts(letter=letter)[0],
        timeout=settings.PUBLIC_COUNT_CACHE_SECONDS,
    )


# Updates: who gets them, how far sending has come, and what a copy says.


def update_audience(*, update):
    """Who may get this update: confirmed, consenting, not withdrawn, not erased or anonymised.

    A receipt goes only to those of them printed in the delivered letter
    (letters/services/updates.py follows its page map).
    """
    return Signatory.objects.filter(letter=update.letter).update_audience()


def update_audience_count(*, update):
    """How many copies sending would make (a receipt: printed names only)."""
    audience = update_audience(update=update)
    if update.kind != UpdateKind.RECEIPT:
        return audience.count()
    signed = update.letter.delivery.signed_pdf
    return sum(
        audience.filter(pk__in=[pk for pk, _ in batch]).count()
        for batch in itertools.batched(signed_pdf_pages(signed), 5000)
    )


def update_counts(*, update):
    """How many copies are queued, sent, failed and cancelled."""
    counts = dict.fromkeys(RecipientStatus.values, 0)
    for row in update.recipients.values("status").order_by().annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


def update_preview(*, update):
    """(subject, body) as a signatory receives it, for a stand-in signatory."""
    stand_in = Signatory(letter=update.letter, name="Ada Example")
    receipt = update.kind == UpdateKind.RECEIPT
    context = {
        "signatory": stand_in,
        "letter": update.letter,
        "update": update,
        "unsubscribe_url": "(each signatory's own one-click link)",
        "letter_url": absolute(update.letter.get_absolute_url()),
        "page": "(their page)" if receipt else None,
        "delivery": getattr(update.letter, "delivery", None) if receipt else None,
        "delivered_pdf_url": "(the delivered PDF)",
    }
    template = "letters/email/receipt" if receipt else "letters/email/update"
    subject = render_to_string(f"{template}_subject.txt", context)
    body = render_to_string(f"{template}_body.txt", context)
    return " ".join(subject.split()), body


# Signed PDFs: where one stands, and its file and page map read back a part at a time.


def signed_pdf_latest(*, letter, with_translations=False):
    """The PDF of the letter asked for most recently (in any state), or None."""
    return SignedPdf.objects.filter(letter=letter, with_translations=with_translations).first()


def signed_pdf_progress(signed):
    """(names laid out, names in all) as the worker last said, or None."""
    return cache.get(signed.progress_key)


def parts_in_order(parts):
    """The data of a file kept in numbered parts, in order, one part in memory at a time."""
    parts = parts.only("number", "data")
    last = -1
    while (part := parts.filter(number__gt=last).order_by("number").first()) is not None:
        last = part.number
        yield bytes(part.data)


def signed_pdf_bytes(signed, kind=SignedPdfPart.Kind.FILE):
    """The file (or its page map) a part at a time, in order: for a response or a copy."""
    return parts_in_order(SignedPdfPart.objects.filter(signed_pdf=signed, kind=kind))


def signed_pdf_pages(signed):
    """(signatory id, page) for every name printed, in print order, a part at a time."""
    entry, tail = SignedPdfPart.PAGE_ENTRY, b""
    for data in signed_pdf_bytes(signed, SignedPdfPart.Kind.PAGES):
        data = tail + data
        whole = len(data) - len(data) % entry.size
        yield from entry.iter_unpack(data[:whole])
        tail = data[whole:]
