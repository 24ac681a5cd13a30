"""A letter's lifecycle: draft → open → closed → delivered, each step audited.

Delivery freezes what was handed in and schedules what follows it: a receipt
to each printed signatory, and the erasure of addresses some days later.
"""

import hashlib
import io
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from letters.models import Delivery, Letter, LetterStatusChange
from letters.pdf import render_letter_pdf
from letters.tasks import anonymise_letter_task, send_receipts_task

logger = logging.getLogger(__name__)
Status = Letter.Status

# A letter can be reopened after closing (a late surge of names), but once
# handed in it is history.
ALLOWED_TRANSITIONS = {
    Status.DRAFT: {Status.OPEN},
    Status.OPEN: {Status.CLOSED},
    Status.CLOSED: {Status.OPEN, Status.DELIVERED},
    Status.DELIVERED: set(),
}

REFUSAL_REASONS = {
    (
        Status.OPEN,
        Status.DELIVERED,
    ): "Close the letter to new signatures before marking it delivered.",
    (Status.DRAFT, Status.CLOSED): "A draft has never been open; open it first.",
    (Status.DRAFT, Status.DELIVERED): "A draft cannot be delivered; open and close it first.",
}


class TransitionNotAllowed(ValidationError):
    pass


def letter_transition(*, letter, to_status, changed_by=None):
    """Move a letter through draft → open → closed → delivered, with an audit record."""
    to_status = Status(to_status)
    with transaction.atomic():
        locked = Letter.objects.select_for_update().get(pk=letter.pk)
        from_status = Status(locked.status)
        if to_status not in ALLOWED_TRANSITIONS[from_status]:
            reason = REFUSAL_REASONS.get(
                (from_status, to_status),
                f"A letter that is {from_status.label.lower()} cannot become "
                f"{to_status.label.lower()}.",
            )
            raise TransitionNotAllowed(reason, code="transition_not_allowed")
        now = timezone.now()
        locked.status = to_status
        locked.status_changed_at = now
        locked.save(update_fields=["status", "status_changed_at"])
        LetterStatusChange.objects.create(
            letter=locked,
            from_status=from_status,
            to_status=to_status,
            changed_by=changed_by,
            changed_at=now,
        )
        if to_status == Status.DELIVERED:
            _delivery_record(letter=locked, delivered_by=changed_by, delivered_at=now)
            transaction.on_commit(lambda: _schedule_anonymisation(locked, now))
            transaction.on_commit(lambda: _send_receipts(locked))
    letter.status = locked.status
    letter.status_changed_at = locked.status_changed_at
    return letter


def _delivery_record(*, letter, delivered_by, delivered_at):
    """Freeze what was handed in: later changes to signatures do not touch it."""
    buffer = io.BytesIO()
    pages = {}
    count = render_letter_pdf(letter, buffer, pages=pages)
    pdf = buffer.getvalue()
    event = letter.hand_in_event
    place = ", ".join(part for part in (event.place, event.address) if part) if event else ""
    return Delivery.objects.create(
        letter=letter,
        delivered_at=delivered_at,
        delivered_by=delivered_by,
        place=place,
        signature_count=count,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pages=pages,
    )


def _schedule_anonymisation(letter, delivered_at):
    task = anonymise_letter_task
    if task.get_backend().supports_defer:
        run_after = delivered_at + timedelta(days=settings.ANONYMISE_AFTER_DELIVERY_DAYS)
        task.using(run_after=run_after).enqueue(letter.pk)
    else:
        # The immediate backend cannot wait days; development and tests only.
        logger.info("Letter %s: anonymisation not scheduled (no deferring task backend)", letter.pk)


def _send_receipts(letter):
    send_receipts_task.enqueue(letter.pk)
