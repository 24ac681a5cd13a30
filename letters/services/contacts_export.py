"""The contacts CSV of a long list: written by a worker, kept encrypted for a while.

Up to CONTACTS_CSV_DIRECT_ROWS rows the admin streams the CSV in the
request (letters/csv_export.py). Past that (a million rows take a minute or
so, longer than a web request may) it asks for one
(letters/services/export_requests.py), a worker writes it here
(letters/tasks.py) to a temporary file and copies it into the database in
sealed parts, and the admin shows its progress, then its download. The file
holds addresses, so it lives briefly: EXPORT_KEPT_MINUTES after it was
made (the worker's sweep removes it), until a newer one of the same letter
is ready, or until addresses of the letter are erased (a signature erased or
deleted, the letter anonymised: signatories/signals.py).
"""

import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from letters.csv_export import csv_lines, export_queryset
from letters.models import ContactsExport, ContactsExportPart
from letters.selectors import parts_in_order
from signatories import crypto

logger = logging.getLogger(__name__)

State = ContactsExport.State


def contacts_export_make(*, export):
    """Write the CSV and keep it sealed; a failure is recorded, not raised.

    Safe to run again (a task runs at least once): one already ready, or
    removed meanwhile, is left alone. Older ready exports of the same letter
    and kind are removed once this one is ready.
    """
    claimed = ContactsExport.objects.filter(pk=export.pk, state__in=[State.QUEUED, State.MAKING])
    if not claimed.update(state=State.MAKING, error=""):
        return export
    try:
        _make(export)
    except Exception:
        logger.exception("Contacts export %s of letter %s failed", export.pk, export.letter_id)
        ContactsExport.objects.filter(pk=export.pk).update(
            state=State.FAILED,
            finished_at=timezone.now(),
            error="Writing the CSV failed; the server's log says why. Ask for it again.",
        )
    cache.delete(export.progress_key)
    return ContactsExport.objects.filter(pk=export.pk).first()


def _make(export):
    stats = {}

    def progress(done, total):  # after each batch of 5,000 rows: some 20 times a second
        cache.set(export.progress_key, (done, total), timeout=3600)

    total = _total(export)
    with tempfile.TemporaryFile() as stream:
        for text in csv_lines(
            export.letter, everything=export.everything, progress=progress, total=total,
            stats=stats,
        ):  # fmt: skip
            stream.write(text.encode())
        size = stream.tell()
        with transaction.atomic():
            # Locked, so an erasure of the letter's addresses meanwhile either removed
            # this row already (nothing is kept) or waits and removes it after.
            if not ContactsExport.objects.select_for_update().filter(pk=export.pk).exists():
                logger.info("Contacts export %s was discarded while being written", export.pk)
                return
            _store(export, stream)
            ContactsExport.objects.filter(pk=export.pk).update(
                state=State.READY,
                finished_at=timezone.now(),
                row_count=stats["rows"],
                address_count=stats["addresses"],
                size=size,
            )
            ContactsExport.objects.filter(
                letter_id=export.letter_id,
                everything=export.everything,
                state=State.READY,
                requested_at__lt=export.requested_at,
            ).delete()
    logger.info("Contacts export %s of letter %s: %s rows", export.pk, export.letter_id,
                stats["rows"])  # fmt: skip


def _total(export):
    """The rows to write, for the progress bar: a COUNT, which a worker can afford."""
    return export_queryset(export.letter, everything=export.everything).count()


def _store(export, stream):
    stream.seek(0)
    number = 0
    while data := stream.read(ContactsExportPart.SIZE):
        ContactsExportPart.objects.create(export=export, number=number, data=crypto.seal(data))
        number += 1


def contacts_export_bytes(export):
    """The CSV's bytes, a part at a time, opened as they are read."""
    for data in parts_in_order(export.parts.all()):
        yield crypto.unseal(data)


def contacts_export_latest(*, letter, everything=False):
    return ContactsExport.objects.filter(letter=letter, everything=everything).first()


def contacts_export_progress(export):
    """(done, total) as the worker last said, or None."""
    return cache.get(export.progress_key)


def contacts_exports_expire():
    """The worker's sweep: exports made (or failed) more than EXPORT_KEPT_MINUTES ago go."""
    limit = timezone.now() - timedelta(minutes=settings.EXPORT_KEPT_MINUTES)
    removed, _ = ContactsExport.objects.filter(finished_at__lt=limit).delete()
    if removed:
        logger.info("Contacts exports kept past their time removed: %s rows", removed)


def contacts_exports_discard(*, letter_id, **kwargs):
    """Addresses of the letter were erased: no copy of them is kept here either."""
    ContactsExport.objects.filter(letter_id=letter_id).delete()
