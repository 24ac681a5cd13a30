from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from letters.models import Letter, LetterStatusChange

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
    letter.status = locked.status
    letter.status_changed_at = locked.status_changed_at
    return letter
