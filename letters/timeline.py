"""The public record of a letter: what happened to it, in order, from what is already recorded.

Opened, closed, reopened (the lifecycle's audit rows), the count's milestones
(letters/services/milestones.py), the updates sent, handed in (the delivery
record), the reply. Two queries (the status changes and the milestones);
replies, updates and the delivery come with the page (letter_load_page_parts,
letter_get_public). Shown in the letter page's shell, so drawn once a while
per letter and language, not per reader.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from letters.models import Letter


@dataclass(frozen=True)
class Event:
    kind: str  # opened, closed, reopened, milestone, update, delivered, reply
    at: datetime.datetime
    date_only: bool = False
    count: int = 0
    text: str = ""  # a sender, an update's subject, a place
    anchor: str = ""  # where on the page it is told in full

    @property
    def when(self):
        return self.at.date() if self.date_only else self.at


def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def letter_timeline(*, letter):
    """The letter's events, oldest first. Needs letter_load_page_parts(letter) first."""
    events = []
    opened_before = False
    changes = letter.status_changes.order_by("changed_at", "pk").only(
        "from_status", "to_status", "changed_at"
    )
    for change in changes:
        if change.to_status == Letter.Status.OPEN:
            kind = "reopened" if opened_before else "opened"
            opened_before = True
            events.append(Event(kind, change.changed_at))
        elif change.to_status == Letter.Status.CLOSED:
            events.append(Event("closed", change.changed_at))
    # Ordered here: the model's ordering starts with the letter, a join for nothing.
    for milestone in letter.milestones.order_by("count").only("count", "reached_at"):
        events.append(Event("milestone", milestone.reached_at, count=milestone.count))
    for update in getattr(letter, "public_updates", []):
        sent = update.send_requested_at or update.created_at
        events.append(Event("update", sent, text=update.subject, anchor=f"update-{update.pk}"))
    delivery = (
        getattr(letter, "delivery", None) if letter.status == Letter.Status.DELIVERED else None
    )
    if delivery is not None:
        events.append(
            Event(
                "delivered",
                delivery.handed_in_at,
                count=delivery.signature_count,
                text=delivery.place,
                anchor="delivered-heading",
            )
        )
    for reply in getattr(letter, "reply_list", []):
        events.append(
            Event(
                "reply",
                _start_of(reply.received_on),
                date_only=True,
                text=reply.sender,
                anchor=f"reply-{reply.pk}",
            )
        )
    events.sort(key=lambda event: event.at)
    return events
