"""Decisions over many rows go a batch at a time, each batch audited and counted as it commits."""

import pytest

from signatories.models import ModerationEntry, Signatory
from signatories.services import moderation
from signatories.services.moderation import signatories_decide
from tests.factories import SignatoryFactory

pytestmark = pytest.mark.django_db


def batches_fail_at(number, monkeypatch):
    """The `number`-th batch decided raises, as a killed worker or a cut connection would;
    returns the real batch function, to put back."""
    real = moderation._decide_batch
    calls = []

    def fails(*args):
        calls.append(1)
        if len(calls) == number:
            raise RuntimeError("the worker was killed")
        return real(*args)

    monkeypatch.setattr(moderation, "_decide_batch", fails)
    return real


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
    real = batches_fail_at(3, monkeypatch)
    with pytest.raises(RuntimeError):
        signatories_decide(queryset=pending, decision="reject", moderator=admin_user, batch_size=10)

    cut = moderation.ModerationAction.objects.get()
    assert cut.count == 20 == cut.entries.count()
    assert pending.filter(status="rejected").count() == 20

    monkeypatch.setattr(moderation, "_decide_batch", real)
    again = signatories_decide(queryset=pending, decision="reject", moderator=admin_user)
    assert again.count == 5
    assert pending.filter(status="rejected").count() == 25


@pytest.fixture
def in_streams(monkeypatch):
    """A big decision's batches on two connections at once, from a few rows up."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("batches in streams are PostgreSQL's (SQLite has one writer)")
    monkeypatch.setattr(moderation, "PARALLEL_FROM", 5)
    threads = []
    real = moderation._decide_batch

    def noting_the_thread(*args):
        import threading

        threads.append(threading.get_ident())
        return real(*args)

    monkeypatch.setattr(moderation, "_decide_batch", noting_the_thread)
    return threads


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_big_decision_in_two_streams_audits_and_counts_every_row_once(
    letter, admin_user, in_streams
):
    Signatory.objects.bulk_create(
        SignatoryFactory.build(letter=letter, status="pending", email=f"s{n}@example.net")
        for n in range(60)
    )
    Signatory.objects.filter(pk__in=Signatory.objects.order_by("pk").values("pk")[:6]).update(
        status="approved"
    )
    seen = []
    action = signatories_decide(
        queryset=Signatory.objects.filter(letter=letter),
        decision="approve",
        moderator=admin_user,
        batch_size=4,
        on_batch=seen.append,
    )
    assert len(set(in_streams)) == 2  # two threads decided batches
    assert action.count == 54 == action.entries.count()
    action.refresh_from_db()
    assert action.count == 54
    assert sorted(seen) == seen and seen[-1] == 54
    assert set(action.entries.values_list("from_status", flat=True)) == {"pending"}
    assert action.entries.values("signatory").distinct().count() == 54
    assert set(Signatory.objects.values_list("status", flat=True)) == {"approved"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_stream_that_fails_stops_the_decision_and_the_count_says_what_was_done(
    letter, admin_user, in_streams, monkeypatch
):
    Signatory.objects.bulk_create(
        SignatoryFactory.build(letter=letter, status="pending", email=f"f{n}@example.net")
        for n in range(40)
    )
    real = batches_fail_at(4, monkeypatch)
    with pytest.raises(RuntimeError):
        signatories_decide(
            queryset=Signatory.objects.all(), decision="reject", moderator=admin_user, batch_size=5
        )
    cut = moderation.ModerationAction.objects.get()
    rejected = Signatory.objects.filter(status="rejected").count()
    assert 0 < rejected <= 20  # three batches, and at most one more the other stream had begun
    assert cut.count == rejected == cut.entries.count()

    monkeypatch.setattr(moderation, "_decide_batch", real)
    again = signatories_decide(
        queryset=Signatory.objects.all(), decision="reject", moderator=admin_user
    )
    assert again.count == 40 - rejected
    assert Signatory.objects.filter(status="rejected").count() == 40
