"""A letter's lifecycle: draft → open → closed → delivered, each step audited.

Delivery freezes what was handed in and schedules what follows it: a receipt
to each printed signatory, and the erasure of addresses some days later.
"""

import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def refusal_reason(from_status, to_status):
    """Why a letter cannot take this step, in words an organiser can act on."""
    from_status, to_status = Status(from_status), Status(to_status)
    return REFUSAL_REASONS.get(
        (from_status, to_status),
        f"A letter that is {from_status.label.lower()} cannot become {to_status.label.lower()}.",
    )


@dataclass(frozen=True)
class HandIn:
    """When and where the letter was handed in, and by whom, as the organiser says."""

    at: datetime
    place: str = ""
    by: str = ""
    note: str = ""


class ListChanged(ValidationError):
    """Names were added or removed after the organiser looked at what would be frozen."""


def hand_in_planned(letter):
    """The hand-in as planned: the hand-in event's time and place, else now and nowhere."""
    event = letter.hand_in_event
    if event is None:
        return HandIn(at=timezone.now())
    place = ", ".join(part for part in (event.place, event.address) if part)
    return HandIn(at=event.starts_at, place=place)


def letter_transition(*, letter, to_status, changed_by=None):
    """Move a letter through draft → open → closed, with an audit record.

    Delivery goes through `letter_deliver`, which needs to know about the
    hand-in; asked for here, it records the hand-in as planned.
    """
    if Status(to_status) == Status.DELIVERED:
        return letter_deliver(letter=letter, hand_in=None, recorded_by=changed_by)
    with transaction.atomic():
        locked, _ = _move(letter, to_status, changed_by)
    return _refresh(letter, locked)


def letter_deliver(*, letter, hand_in, recorded_by, expected_count=None):
    """Mark a closed letter delivered and freeze what was handed in.

    `hand_in` is what the organiser entered (None: as planned). With
    `expected_count`, the count the organiser was shown, a list that changed
    since is refused (ListChanged) and nothing is frozen. After the commit
    the receipts go out and the addresses' erasure is scheduled.
    """
    with transaction.atomic():
        locked, now = _move(letter, Status.DELIVERED, recorded_by)
        delivery = _delivery_record(
            letter=locked,
            hand_in=hand_in or hand_in_planned(locked),
            recorded_by=recorded_by,
            recorded_at=now,
        )
        if expected_count is not None and delivery.signature_count != expected_count:
            raise ListChanged(
                f"The list changed while you were looking: it now has "
                f"{delivery.signature_count:,} signatures, not {expected_count:,}. "
                "Check the PDF again before you freeze it.",
                code="list_changed",
            )
        transaction.on_commit(lambda: _schedule_anonymisation(locked, now))
        transaction.on_commit(lambda: _send_receipts(locked))
    return _refresh(letter, locked)


def _move(letter, to_status, changed_by):
    """Lock the letter, check the step is allowed, take it, audit it; (letter, now)."""
    to_status = Status(to_status)
    locked = Letter.objects.select_related("hand_in_event").select_for_update(of=("self",))
    locked = locked.get(pk=letter.pk)
    from_status = Status(locked.status)
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise TransitionNotAllowed(
            refusal_reason(from_status, to_status), code="transition_not_allowed"
        )
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
    return locked, now


def _refresh(letter, locked):
    letter.status = locked.status
    letter.status_changed_at = locked.status_changed_at
    return letter


def _delivery_record(*, letter, hand_in, recorded_by, recorded_at):
    """Freeze what was handed in: later changes to signatures do not touch it."""
    buffer = io.BytesIO()
    pages = {}
    count = render_letter_pdf(letter, buffer, pages=pages)
    pdf = buffer.getvalue()
    return Delivery.objects.create(
        letter=letter,
        handed_in_at=hand_in.at,
        place=hand_in.place,
        handed_in_by=hand_in.by,
        note=hand_in.note,
        recorded_at=recorded_at,
        recorded_by=recorded_by,
        signature_count=count,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pages=pages,
    )


def _schedule_anonymisation(letter, recorded_at):
    task = anonymise_letter_task
    if task.get_backend().supports_defer:
        run_after = recorded_at + timedelta(days=settings.ANONYMISE_AFTER_DELIVERY_DAYS)
        task.using(run_after=run_after).enqueue(letter.pk)
    else:
        # The immediate backend cannot wait days; development and tests only.
        logger.info("Letter %s: anonymisation not scheduled (no deferring task backend)", letter.pk)


def _send_receipts(letter):
    send_receipts_task.enqueue(letter.pk)
