"""Decisions on a wave's cluster and their undo, straight through the services."""

import threading

import pytest
from django.db import connection

from signatories.models import ModerationAction, Signatory
from signatories.services.moderation import signatories_decide
from signatories.services.waves import NotUndoable, is_undoable, wave_decide, wave_undo
from tests.factories import SignatoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(django_user_model):
    return django_user_model.objects.create_superuser("boss", password="x")


def test_holding_keeps_what_each_row_was_and_the_undo_puts_it_back(post_letter, boss):
    rate = SignatoryFactory(letter=post_letter, status="approved", suspicion="shared")
    plain = SignatoryFactory(letter=post_letter, status="pending")
    held = SignatoryFactory(letter=post_letter, status="pending", suspicion="rate")
    action = wave_decide(
        letter=post_letter,
        pks=[rate.pk, plain.pk, held.pk],
        decision="hold",
        moderator=boss,
        note="n",
    )
    assert action.count == 2  # the one already held is left as it is
    rows = dict(Signatory.objects.values_list("pk", "suspicion"))
    assert rows == {rate.pk: "wave", plain.pk: "wave", held.pk: "rate"}
    undo, plan = wave_undo(action=action, moderator=boss)
    assert plan.restored == 2 and plan.left_alone == 0
    assert dict(Signatory.objects.values_list("pk", "status", named=False)) == {
        rate.pk: "approved",
        plain.pk: "pending",
        held.pk: "pending",
    }
    assert dict(Signatory.objects.values_list("pk", "suspicion")) == {
        rate.pk: "shared",
        plain.pk: "",
        held.pk: "rate",
    }
    assert undo.undoes == action and not is_undoable(action)


def test_an_undo_happens_once_and_only_for_a_waves_decision(letter, boss):
    pks = [SignatoryFactory(letter=letter, status="pending").pk for _ in range(3)]
    action = wave_decide(letter=letter, pks=pks, decision="reject", moderator=boss, note="n")
    wave_undo(action=action, moderator=boss)
    with pytest.raises(NotUndoable):
        wave_undo(action=action, moderator=boss)
    queue_decision = signatories_decide(
        queryset=Signatory.objects.filter(pk__in=pks), decision="approve", moderator=boss
    )
    with pytest.raises(NotUndoable):
        wave_undo(action=queue_decision, moderator=boss)
    with pytest.raises(ValueError, match="Not a decision on a wave"):
        wave_decide(letter=letter, pks=pks, decision="approve", moderator=boss, note="n")


def test_a_row_rejected_again_by_someone_else_since_is_left_alone(letter, boss):
    pks = [SignatoryFactory(letter=letter, status="approved").pk for _ in range(3)]
    action = wave_decide(letter=letter, pks=pks, decision="reject", moderator=boss, note="n")
    # Approved, then rejected again by others: its status is what the wave made it, but
    # someone decided on it since.
    for decision in ("approve", "reject"):
        signatories_decide(
            queryset=Signatory.objects.filter(pk=pks[0]), decision=decision, moderator=boss
        )
    _, plan = wave_undo(action=action, moderator=boss)
    assert plan.restored == 2 and plan.left_alone == 1
    assert plan.left_alone_samples[0][0] == pks[0]
    assert dict(Signatory.objects.values_list("pk", "status")) == {
        pks[0]: "rejected",
        pks[1]: "approved",
        pks[2]: "approved",
    }


@pytest.mark.django_db(transaction=True)
def test_two_moderators_pressing_undo_at_once_undo_it_once(letter, boss):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: there is no race to lose")
    pks = [SignatoryFactory(letter=letter, status="pending").pk for _ in range(20)]
    action = wave_decide(letter=letter, pks=pks, decision="reject", moderator=boss, note="n")
    outcomes = []

    def press():
        try:
            wave_undo(action=ModerationAction.objects.get(pk=action.pk), moderator=boss)
            outcomes.append("undone")
        except NotUndoable:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "undone"]
    assert set(Signatory.objects.filter(pk__in=pks).values_list("status", flat=True)) == {"pending"}


def test_an_undo_cut_short_is_finished_by_pressing_again(letter, boss, monkeypatch):
    """A worker killed between batches leaves an undo without its note: the page offers it
    again once it is clearly not running any more, and pressing finishes it."""
    from datetime import timedelta

    from django.utils import timezone

    from signatories.services import waves as wave_services

    pks = [SignatoryFactory(letter=letter, status="pending").pk for _ in range(6)]
    action = wave_decide(letter=letter, pks=pks, decision="reject", moderator=boss, note="n")
    monkeypatch.setattr(wave_services, "DECISION_BATCH", 3)  # two batches of three
    calls = []

    real_batch = wave_services._undo_batch

    def dies_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker was killed")
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(wave_services, "_undo_batch", dies_on_the_second_batch)
    with pytest.raises(RuntimeError):
        wave_undo(action=action, moderator=boss)
    monkeypatch.setattr(wave_services, "_undo_batch", real_batch)
    statuses = sorted(Signatory.objects.filter(pk__in=pks).values_list("status", flat=True))
    assert statuses == ["pending"] * 3 + ["rejected"] * 3  # half undone

    # Still running, for all anyone can tell: refused, not run twice.
    assert not is_undoable(action)
    with pytest.raises(NotUndoable):
        wave_undo(action=action, moderator=boss)
    # Long after: offered again, and pressing finishes it.
    ModerationAction.objects.filter(undoes=action).update(
        decided_at=timezone.now() - timedelta(hours=1)
    )
    assert is_undoable(action)
    undo, plan = wave_undo(action=action, moderator=boss)
    assert plan.restored == 6 and plan.left_alone == 0
    assert set(Signatory.objects.filter(pk__in=pks).values_list("status", flat=True)) == {"pending"}
    assert undo.count == 6 and undo.note.startswith("Undid decision")
    assert not is_undoable(action)
