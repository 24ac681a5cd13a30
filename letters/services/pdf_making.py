"""Making a signed PDF in the background and keeping it in parts.

A million names take about a minute to lay out, more than a web request
may: the admin asks for a PDF (letters/services/pdf_requests.py), a worker
makes it here (letters/tasks.py), and the admin shows its progress, then
its download. The file and its page map go into the database in parts of
a megabyte (SignedPdfPart), so every app host can serve them and none holds
a whole one: the PDF is written to a temporary file as it is laid out
(letters/pdf.py), the page map too, then both are copied in.
"""

import hashlib
import logging
import tempfile

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from letters.fonts import FontMissing
from letters.models import SignedPdf, SignedPdfPart
from letters.pdf import render_letter_pdf

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 5000
State = SignedPdf.State


def signed_pdf_make(*, signed):
    """Lay the PDF out and keep it, with its page map; a failure is recorded, not raised.

    Safe to run again on the same row (a task runs at least once): one that
    is ready already is left as it is. Earlier PDFs of the same letter that
    were never handed in are removed once this one is ready.
    """
    claimed = SignedPdf.objects.filter(pk=signed.pk).exclude(state=State.READY)
    if not claimed.update(state=State.MAKING, error=""):
        return signed
    try:
        _make(signed)
    except FontMissing as missing:
        _failed(signed, str(missing))
    except Exception:
        logger.exception("Signed PDF %s of letter %s failed", signed.pk, signed.letter_id)
        _failed(signed, "Making the PDF failed; the server's log says why. Ask for it again.")
    cache.delete(signed.progress_key)
    signed.refresh_from_db()
    return signed


def _make(signed):
    entry = SignedPdfPart.PAGE_ENTRY
    with tempfile.TemporaryFile() as pdf, tempfile.TemporaryFile() as pages:
        stats = {}

        def record(pk, page):
            pages.write(entry.pack(pk, page))

        def progress(done, total):
            if done % PROGRESS_EVERY == 0 or done == total:
                cache.set(signed.progress_key, (done, total), timeout=3600)

        count = render_letter_pdf(
            signed.letter,
            pdf,
            pages=record,
            progress=progress,
            stats=stats,
            with_translations=signed.with_translations,
        )
        with transaction.atomic():
            digest, size = _store(signed, SignedPdfPart.Kind.FILE, pdf)
            _store(signed, SignedPdfPart.Kind.PAGES, pages)
            SignedPdf.objects.filter(pk=signed.pk).update(
                state=State.READY,
                finished_at=timezone.now(),
                signature_count=count,
                page_count=stats["pages"],
                size=size,
                sha256=digest,
            )
            _forget_older(signed)
    logger.info("Signed PDF %s of letter %s: %s names", signed.pk, signed.letter_id, count)


def _store(signed, kind, stream):
    """Copy a temporary file into parts; (its SHA-256, its size)."""
    digest, size, number = hashlib.sha256(), 0, 0
    stream.seek(0)
    SignedPdfPart.objects.filter(signed_pdf=signed, kind=kind).delete()  # a task run again
    while data := stream.read(SignedPdfPart.SIZE):
        SignedPdfPart.objects.create(signed_pdf=signed, kind=kind, number=number, data=data)
        digest.update(data)
        size += len(data)
        number += 1
    return digest.hexdigest(), size


def _forget_older(signed):
    """Earlier PDFs of the same letter and kind, never handed in: superseded, removed."""
    SignedPdf.objects.filter(
        letter_id=signed.letter_id,
        with_translations=signed.with_translations,
        delivery__isnull=True,
        requested_at__lt=signed.requested_at,
    ).exclude(state=State.MAKING).delete()


def _failed(signed, message):
    SignedPdf.objects.filter(pk=signed.pk).update(
        state=State.FAILED, finished_at=timezone.now(), error=message
    )
