"""Decisions over many rows go a batch at a time, each batch audited and counted as it commits."""

import pytest

from signatories.models import ModerationEntry, Signatory
from signatories.services import moderation
from signatories.services.moderation import signatories_decide
from tests.factories import SignatoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(letter):
    Signatory.objects.bulk_create(
        SignatoryFactory.build(letter=letter, status="pending", email=f"p{n}@example.net")
        for n in range(25)
    )
    return Signatory.objects.filter(letter=letter)


def test_a_decision_goes_batch_by_batch_and_counts_as_it_goes(pending, admin_user):
    seen = []
    action = signatories_decide(
        queryset=pending,
        decision="approve",
        moderator=admin_user,
        batch_size=10,
        on_batch=seen.append,
    )
    assert seen == [10, 20, 25]
    assert action.count == 25 == ModerationEntry.objects.filter(action=action).count()
    assert set(pending.values_list("status", flat=True)) == {"approved"}
    assert set(action.entries.values_list("from_status", flat=True)) == {"pending"}


def test_only_rows_the_decision_applies_to_are_audited(pending, admin_user):
    first = list(pending.order_by("pk")[:5])
    Signatory.objects.filter(pk__in=[s.pk for s in first]).update(status="approved")
    action = signatories_decide(
        queryset=pending, decision="approve", moderator=admin_user, batch_size=7
    )
    assert action.count == 20 == action.entries.count()


def test_a_decision_cut_short_says_what_it_did_and_a_second_run_does_the_rest(
    pending, admin_user, monkeypatch
):
    real = moderation._decide_batch
    calls = []

    def dies_on_the_third(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the worker was killed")
        return real(*args)

    monkeypatch.setattr(moderation, "_decide_batch", dies_on_the_third)
    with pytest.raises(RuntimeError):
        signatories_decide(queryset=pending, decision="reject", moderator=admin_user, batch_size=10)

    cut = moderation.ModerationAction.objects.get()
    assert cut.count == 20 == cut.entries.count()
    assert pending.filter(status="rejected").count() == 20

    monkeypatch.setattr(moderation, "_decide_batch", real)
    again = signatories_decide(queryset=pending, decision="reject", moderator=admin_user)
    assert again.count == 5
    assert pending.filter(status="rejected").count() == 25
