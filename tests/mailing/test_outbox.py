"""The outbox mechanism (mailing/outbox.py) on a real table, with no task backend at all.

The confirmations outbox stands for every kind: its rows are signatures owed a mail.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from mailing.outbox import backoff, outbox_named
from signatories.models import Signatory
from signatories.outboxes import CONFIRMATIONS
from tests.factories import SignatoryFactory

pytestmark = pytest.mark.django_db

LEASE = timedelta(seconds=3600)


def owed(letter, n, *, due=None, **extra):
    due = due or timezone.now() - timedelta(seconds=1)
    return SignatoryFactory.create_batch(
        n, letter=letter, confirmed_at=None, confirmation_due_at=due, **extra
    )


def row(pk):
    return Signatory.objects.get(pk=pk)


def test_outboxes_are_known_by_name():
    assert outbox_named("confirmations") is CONFIRMATIONS
    assert {outbox_named(n).name for n in ["already-signed", "update-copies"]} == {
        "already-signed",
        "update-copies",
    }


def test_a_claim_leases_due_rows_oldest_first_and_counts_a_try(letter, settings):
    now = timezone.now()
    [older] = owed(letter, 1, due=now - timedelta(minutes=5))
    [newer] = owed(letter, 1, due=now - timedelta(minutes=1))
    owed(letter, 1, due=now + timedelta(minutes=1))  # not due yet

    assert CONFIRMATIONS.claim(1) == [older.pk]
    assert CONFIRMATIONS.claim(5) == [newer.pk]
    assert CONFIRMATIONS.claim(5) == []

    leased = row(older.pk)
    assert leased.confirmation_attempts == 1
    assert leased.confirmation_due_at >= now + LEASE - timedelta(seconds=5)


def test_a_lease_that_runs_out_is_claimed_again(letter):
    [signatory] = owed(letter, 1)
    assert CONFIRMATIONS.claim(1) == [signatory.pk]
    Signatory.objects.update(confirmation_due_at=timezone.now() - timedelta(seconds=1))

    assert CONFIRMATIONS.claim(1) == [signatory.pk]  # the worker that held it died
    assert row(signatory.pk).confirmation_attempts == 2


def test_settle_takes_the_row_out_with_what_the_kind_records(letter):
    [signatory] = owed(letter, 1)
    CONFIRMATIONS.claim(1)
    now = timezone.now()
    CONFIRMATIONS.settle(row(signatory.pk), **CONFIRMATIONS.sent_fields(now))

    settled = row(signatory.pk)
    assert settled.confirmation_due_at is None
    assert settled.confirmation_sent_at == now
    assert CONFIRMATIONS.claim(1) == []


def test_the_waits_between_tries_grow_and_stop_growing():
    assert [backoff(n) for n in range(1, 8)] == [60, 120, 240, 480, 960, 1800, 1800]
    assert max(backoff(n) for n in range(1, 50)) == settings.MAIL_RETRY_MAX_SECONDS


def test_a_failed_try_comes_due_after_the_backoff_then_is_given_up(letter, settings):
    settings.MAIL_MAX_ATTEMPTS = 3
    [signatory] = owed(letter, 1)
    for attempt in (1, 2):
        CONFIRMATIONS.claim(1)
        before = timezone.now()
        due = CONFIRMATIONS.retry_later(row(signatory.pk))
        assert before + timedelta(seconds=backoff(attempt)) <= due
        assert due <= timezone.now() + timedelta(seconds=backoff(attempt))
        assert row(signatory.pk).confirmation_due_at == due
        Signatory.objects.update(confirmation_due_at=timezone.now())  # the wait is over

    CONFIRMATIONS.claim(1)  # the third and last try
    assert CONFIRMATIONS.retry_later(row(signatory.pk)) is None
    assert row(signatory.pk).confirmation_due_at is None  # given up: out of the outbox
    assert CONFIRMATIONS.next_due() is None


def test_rows_given_back_are_due_at_once(letter):
    owed(letter, 3)
    claimed = CONFIRMATIONS.claim(3)
    CONFIRMATIONS.give_back(claimed[1:])

    assert sorted(CONFIRMATIONS.claim(3)) == sorted(claimed[1:])
    assert row(claimed[0]).confirmation_attempts == 1  # still leased, taken once


def test_add_owes_again_brings_retries_forward_and_leaves_leased_rows_to_their_worker(letter):
    now = timezone.now()
    [done] = SignatoryFactory.create_batch(1, letter=letter, confirmed_at=None)
    [waiting] = owed(letter, 1, due=now + timedelta(seconds=backoff(2)), confirmation_attempts=2)
    [leased] = owed(letter, 1)
    CONFIRMATIONS.claim(5)  # leases `leased`; `waiting` is not due
    longest_wait = timedelta(seconds=settings.MAIL_RETRY_MAX_SECONDS)
    assert row(leased.pk).confirmation_due_at > now + longest_wait

    count = CONFIRMATIONS.add(Signatory.objects.all(), confirmation_sent_at=None)

    assert count == 2
    for pk in (done.pk, waiting.pk):
        added = row(pk)
        assert added.confirmation_due_at <= timezone.now()
        assert added.confirmation_attempts == 0
    longest_wait = timedelta(seconds=settings.MAIL_RETRY_MAX_SECONDS)
    assert row(leased.pk).confirmation_due_at > now + longest_wait


def test_next_due_is_the_earliest_row_still_waiting(letter):
    now = timezone.now()
    owed(letter, 1)  # due already: not "next"
    owed(letter, 1, due=now + timedelta(minutes=9))
    owed(letter, 1, due=now + timedelta(minutes=3))
    assert now + timedelta(minutes=3) - timedelta(seconds=1) < CONFIRMATIONS.next_due()
    assert CONFIRMATIONS.next_due() <= now + timedelta(minutes=3)


def test_the_longest_wait_between_tries_is_a_setting(settings):
    settings.MAIL_RETRY_MAX_SECONDS = 90
    assert [backoff(n) for n in range(1, 5)] == [60, 90, 90, 90]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_a_claim_chooses_its_rows_once(letter):
    """However many copies are owed, a claim chooses its 100 once and joins them by id: the
    old `id IN (SELECT ... LIMIT ... FOR UPDATE)` form, at 550,000 fresh rows without
    statistics, held one claim for eight minutes (bench/scale.py)."""
    from letters.models import Update
    from letters.outboxes import UPDATE_COPIES
    from letters.services.updates import update_send

    Signatory.objects.bulk_create(
        SignatoryFactory.build(letter=letter, consents_to_updates=True, email=f"c{n}@example.org")
        for n in range(3000)
    )
    update_send(update=Update.objects.create(letter=letter, subject="s", body="b"))
    now = timezone.now()
    sql, params = UPDATE_COPIES.claim_statement(100, now=now, lease_until=now + timedelta(hours=1))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The rows to take are chosen once, off the due index, and never again per row of the
    # table (how the join is then made is the planner's choice by the table's size).
    assert "CTE chosen" in plan and "SubPlan" not in plan, plan
    assert "recipient_due_idx" in plan, plan
    assert len(UPDATE_COPIES.claim(100)) == 100
