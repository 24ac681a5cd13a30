"""Decisions on a bot wave's cluster (reject or hold) and their undo, each one audited action.

A rejection goes through the queue's own machinery (`signatories_decide`):
the same batches, locks and audit entries, with the letter and a note on
the action. Holding changes the suspicion as well as the status, so it has
batches of its own that record both. An undo is one more action, pointing
at the decision it undoes (at most one: a unique index), and puts back each
row's status, and suspicion, as its entry recorded them; a row decided on
since by anyone (a later entry, or a status that is no longer what the
decision made it) is left alone and counted as such.
"""

import itertools
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from signatories.models import ModerationAction, ModerationEntry, Signatory, States
from signatories.services.moderation import DECISION_BATCH, signatories_decide

logger = logging.getLogger(__name__)

Decision = ModerationAction.Decision
Status = Signatory.Status
Suspicion = Signatory.Suspicion

# The decisions the bot-wave page takes, and what each leaves a row as: (status, suspicion);
# None where the decision does not set it.
WAVE_DECISIONS = {
    Decision.REJECT: (Status.REJECTED, None),
    Decision.HOLD: (Status.PENDING, Suspicion.WAVE),
}


class NotUndoable(Exception):
    """Not a decision of the bot-wave page, or undone already."""


def wave_decide(*, letter, pks, decision, moderator, note):
    """Reject or hold these signatures of the letter, as one audited action."""
    decision = Decision(decision)
    if decision not in WAVE_DECISIONS:
        raise ValueError(f"Not a decision on a wave: {decision}")
    rows = Signatory.objects.filter(letter=letter, pk__in=sorted(pks))
    if decision == Decision.REJECT:
        action = signatories_decide(
            queryset=rows, decision=decision, moderator=moderator, letter=letter, note=note
        )
    else:
        action = _hold(rows, moderator=moderator, letter=letter, note=note)
    logger.info(
        "Wave on letter %s: %s %s by user %s", letter.pk, decision, action.count, moderator.pk
    )
    return action


def _hold(rows, *, moderator, letter, note):
    """Awaiting a decision and flagged, batch by batch; rows already held stay as they are."""
    action = ModerationAction.objects.create(
        decision=Decision.HOLD, moderator=moderator, letter=letter, note=note
    )
    holdable = rows.filter(status__in=[Status.PENDING, Status.APPROVED]).exclude(
        States.HELD_AS_SUSPECT
    )
    ids = list(holdable.order_by("pk").values_list("pk", flat=True))
    for chunk in itertools.batched(ids, DECISION_BATCH):
        with transaction.atomic():
            before = list(
                holdable.filter(pk__in=chunk)
                .select_for_update()
                .values_list("pk", "status", "suspicion")
            )
            if not before:
                continue
            ModerationEntry.objects.bulk_create(
                ModerationEntry(
                    action=action, signatory_id=pk, from_status=status, from_suspicion=suspicion
                )
                for pk, status, suspicion in before
            )
            Signatory.objects.filter(pk__in=[pk for pk, _, _ in before]).update(
                status=Status.PENDING, suspicion=Suspicion.WAVE
            )
            action.count += len(before)
            action.save(update_fields=["count"])
    return action


def is_undoable(action):
    """A decision of the bot-wave page that nobody has undone yet."""
    return (
        action.letter_id is not None
        and action.decision in WAVE_DECISIONS
        # An undo cut short (its note is written last) may be pressed again to finish it.
        and not ModerationAction.objects.filter(undoes=action)
        .exclude(note="", decided_at__lt=timezone.now() - UNDO_CUT_SHORT)
        .exists()
    )


@dataclass
class UndoPlan:
    """What an undo does (or did): rows back to each status, and rows left alone."""

    back_to: dict = field(default_factory=dict)  # from_status -> count
    left_alone: int = 0
    left_alone_samples: list = field(default_factory=list)  # (pk, name)

    @property
    def restored(self):
        return sum(self.back_to.values())


LEFT_ALONE_SAMPLES = 8
# An undo still without its note this long after it began was cut short: it can be finished.
UNDO_CUT_SHORT = timedelta(minutes=10)


def _entry_chunks(action):
    """The decision's entries, DECISION_BATCH at a time in id order."""
    entries = action.entries.order_by("pk").values_list(
        "pk", "signatory_id", "from_status", "from_suspicion"
    )
    last = 0
    while chunk := list(entries.filter(pk__gt=last)[:DECISION_BATCH]):
        last = chunk[-1][0]
        yield chunk


def _undo_batch(action, chunk, *, ignore_action_id=None, lock=False):
    """[(entry, the signatory's (pk, name, status, suspicion) or None, may be undone)].

    A row may be undone if it is still what the decision made it and no later
    decision (other than this undo) touched it. With `lock`, inside the
    caller's transaction, the rows stay locked until it ends.
    """
    made_status, made_suspicion = WAVE_DECISIONS[action.decision]
    ids = [signatory_id for _, signatory_id, _, _ in chunk]
    rows = Signatory.objects.filter(pk__in=ids)
    if lock:
        rows = rows.select_for_update()
    current = {row[0]: row for row in rows.values_list("pk", "name", "status", "suspicion")}
    later = ModerationEntry.objects.filter(signatory_id__in=ids, action_id__gt=action.pk)
    if ignore_action_id is not None:
        later = later.exclude(action_id=ignore_action_id)
    decided_since = set(later.values_list("signatory_id", flat=True))
    batch = []
    for entry in chunk:
        row = current.get(entry[1])
        undoable = (
            row is not None
            and entry[1] not in decided_since
            and row[2] == made_status
            and (made_suspicion is None or row[3] == made_suspicion)
        )
        batch.append((entry, row, undoable))
    return batch


def _note_left_alone(plan, entry, row):
    plan.left_alone += 1
    if row is not None and len(plan.left_alone_samples) < LEFT_ALONE_SAMPLES:
        plan.left_alone_samples.append((row[0], row[1]))


def wave_undo_preview(action):
    """What undoing this decision would do now (nothing is written)."""
    plan = UndoPlan()
    for chunk in _entry_chunks(action):
        for entry, row, undoable in _undo_batch(action, chunk):
            if undoable:
                plan.back_to[entry[2]] = plan.back_to.get(entry[2], 0) + 1
            else:
                _note_left_alone(plan, entry, row)
    return plan


def wave_undo(*, action, moderator):
    """Undo a bot wave's decision as one more audited action; returns (undo action, plan).

    Each row goes back to the status (and suspicion, for a hold) its entry
    recorded, unless it was decided on since: those are left as they are.
    Undoing twice is refused by the database (one undo per decision), so two
    moderators pressing at once undo it once.
    """
    if action.letter_id is None or action.decision not in WAVE_DECISIONS:
        raise NotUndoable
    try:
        with transaction.atomic():
            undo = ModerationAction.objects.create(
                decision=Decision.UNDO,
                moderator=moderator,
                letter_id=action.letter_id,
                undoes=action,
            )
    except IntegrityError:
        # Undone already, or being undone by someone else now, or an undo cut short (a
        # worker killed, a lock timeout between batches). Its note is written last: an
        # undo left without one for UNDO_CUT_SHORT is finished here; a run takes seconds.
        cut_short = timezone.now() - UNDO_CUT_SHORT
        undo = ModerationAction.objects.filter(
            undoes=action, note="", decided_at__lt=cut_short
        ).first()
        if undo is None:
            raise NotUndoable from None
    restored = set(
        ModerationEntry.objects.filter(action=undo).values_list("signatory_id", flat=True)
    )
    sets_suspicion = WAVE_DECISIONS[action.decision][1] is not None
    plan = UndoPlan()
    for chunk in _entry_chunks(action):
        with transaction.atomic():
            # The rows stay locked from this read to the updates below.
            batch = _undo_batch(action, chunk, ignore_action_id=undo.pk, lock=True)
            back = {}
            entries = []
            for entry, row, undoable in batch:
                if entry[1] in restored:  # put back by the run that was cut short
                    plan.back_to[entry[2]] = plan.back_to.get(entry[2], 0) + 1
                    continue
                if not undoable:
                    _note_left_alone(plan, entry, row)
                    continue
                _, signatory_id, from_status, from_suspicion = entry
                to = (from_status, from_suspicion if sets_suspicion else None)
                back.setdefault(to, []).append(signatory_id)
                entries.append(
                    ModerationEntry(
                        action=undo,
                        signatory_id=signatory_id,
                        from_status=row[2],
                        from_suspicion=row[3] if sets_suspicion else None,
                    )
                )
                plan.back_to[from_status] = plan.back_to.get(from_status, 0) + 1
            ModerationEntry.objects.bulk_create(entries)
            for (status, suspicion), ids in back.items():
                fields = {"status": status}
                if suspicion is not None:
                    fields["suspicion"] = suspicion
                Signatory.objects.filter(pk__in=ids).update(**fields)
            undo.count += len(entries)
            undo.save(update_fields=["count"])
    undo.note = (
        f"Undid decision #{action.pk}: {plan.restored} back as before, "
        f"{plan.left_alone} decided on since by someone else and left alone. {action.note}"
    )[:300]
    undo.save(update_fields=["note"])
    logger.info(
        "Undid decision %s: %s restored, %s left alone, by user %s",
        action.pk,
        plan.restored,
        plan.left_alone,
        moderator.pk,
    )
    return undo, plan
