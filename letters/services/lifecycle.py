"""A letter's lifecycle: draft → open → closed → delivered, each step audited.

Delivery freezes what was handed in and schedules what follows it: a receipt
to each printed signatory, and the erasure of addresses some days later.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from letters.models import Delivery, Letter, LetterStatusChange, SignedPdf
from letters.services.pdf_making import signed_pdf_make
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


class PdfNotCurrent(ValidationError):
    """The PDF offered for freezing is not the letter's current one to hand in."""


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


def letter_deliver(*, letter, hand_in, recorded_by, signed_pdf=None):
    """Mark a closed letter delivered and freeze the PDF that was handed in.

    `signed_pdf` is the ready PDF the organiser looked at (None: one is made
    now, in this process, for the letter as it stands). The PDF is frozen as
    it was made, whatever changed since: it is what was printed. One that
    is not this letter's, not ready, or older than another ready one (an
    organiser made a newer one meanwhile) is refused (PdfNotCurrent) and
    nothing is frozen. `hand_in` is what the organiser entered (None: as
    planned). After the commit the receipts go out and the addresses'
    erasure is scheduled.
    """
    if signed_pdf is None:
        signed_pdf = signed_pdf_make(signed=SignedPdf.objects.create(letter=letter))
    refusal = pdf_refusal(letter, signed_pdf)
    if refusal:
        raise PdfNotCurrent(refusal, code="pdf_not_current")
    with transaction.atomic():
        locked, now = _move(letter, Status.DELIVERED, recorded_by)
        hand_in = hand_in or hand_in_planned(locked)
        Delivery.objects.create(
            letter=locked,
            handed_in_at=hand_in.at,
            place=hand_in.place,
            handed_in_by=hand_in.by,
            note=hand_in.note,
            recorded_at=now,
            recorded_by=recorded_by,
            signature_count=signed_pdf.signature_count,
            signed_pdf=signed_pdf,
            sha256=signed_pdf.sha256,
        )
        transaction.on_commit(lambda: _schedule_anonymisation(locked, now))
        transaction.on_commit(lambda: _send_receipts(locked))
    return _refresh(letter, locked)


def pdf_refusal(letter, signed_pdf):
    """Why this PDF cannot be frozen as the letter handed in, or "" if it can."""
    if signed_pdf.letter_id != letter.pk or signed_pdf.with_translations:
        return "That is not a PDF of this letter to hand in."
    if signed_pdf.state == SignedPdf.State.FAILED:
        return signed_pdf.error or "That PDF could not be made."
    if not signed_pdf.is_ready:
        return "That PDF is still being made: wait for it, and look at it first."
    newer = SignedPdf.objects.filter(
        letter=letter,
        with_translations=False,
        state=SignedPdf.State.READY,
        requested_at__gt=signed_pdf.requested_at,
    )
    if newer.exists():
        return (
            "A newer PDF of this letter was made since you looked: look at that one, "
            "and freeze it if it is the one you hand in."
        )
    return ""


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
