"""One drain of an outbox (mailing/drain.py), called directly: no task backend, no worker.

`Again` is how a drain asks for another; here it records what was asked.
"""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from mailing.drain import GIVE_BACK_DELAY_SECONDS, Again, outbox_drain
from mailing.outbox import MailNotSent
from signatories.models import Signatory
from signatories.outboxes import CONFIRMATIONS
from tests.factories import SignatoryFactory

pytestmark = pytest.mark.django_db


class Asked:
    def __init__(self):
        self.helpers, self.later = 0, []

    def again(self):
        return Again(now=self.helper, at=self.later.append)

    def helper(self):
        self.helpers += 1


def owed(letter, n, **extra):
    return SignatoryFactory.create_batch(
        n,
        letter=letter,
        confirmed_at=None,
        confirmation_due_at=timezone.now() - timedelta(seconds=1),
        **extra,
    )


def test_every_owed_mail_goes_once_and_rows_owing_nothing_are_settled(letter, mailoutbox):
    signers = owed(letter, 3)
    erased = owed(letter, 1, email="", source=Signatory.Source.PAPER)[0]
    confirmed = owed(letter, 1)[0]
    Signatory.objects.filter(pk=confirmed.pk).update(confirmed_at=timezone.now())

    sent = outbox_drain(outbox=CONFIRMATIONS)

    assert sent == 3
    assert sorted(m.to[0] for m in mailoutbox) == sorted(s.email for s in signers)
    assert not Signatory.objects.exclude(confirmation_due_at=None).exists()
    assert Signatory.objects.get(pk=erased.pk).confirmation_sent_at is None
    assert outbox_drain(outbox=CONFIRMATIONS) == 0
    assert len(mailoutbox) == 3


def test_a_full_batch_asks_for_one_helper(letter, mailoutbox, settings):
    settings.MAIL_BATCH_SIZE = 2
    owed(letter, 5)
    asked = Asked()

    outbox_drain(outbox=CONFIRMATIONS, again=asked.again())

    assert asked.helpers == 1  # once, however many full batches follow
    assert len(mailoutbox) == 5


def test_a_failed_mail_waits_and_the_drain_asks_to_run_when_it_is_due(
    letter, mailoutbox, monkeypatch
):
    [signer] = owed(letter, 1)

    def refuse(row):
        raise MailNotSent("refused")

    monkeypatch.setattr(CONFIRMATIONS, "send", refuse)
    asked = Asked()
    outbox_drain(outbox=CONFIRMATIONS, again=asked.again())

    waiting = Signatory.objects.get(pk=signer.pk)
    assert waiting.confirmation_due_at > timezone.now()
    assert asked.later == [waiting.confirmation_due_at]
    monkeypatch.undo()

    Signatory.objects.update(confirmation_due_at=timezone.now())  # the wait is over
    outbox_drain(outbox=CONFIRMATIONS, again=asked.again())
    assert [m.to for m in mailoutbox] == [[signer.email]]


def test_a_drain_that_breaks_gives_the_rest_back_and_asks_again_later(
    letter, mailoutbox, monkeypatch
):
    owed(letter, 4)
    real, calls = CONFIRMATIONS.send, []

    def break_on_the_third(row):
        calls.append(row.pk)
        if len(calls) == 3:
            raise RuntimeError("a bug, not the mail server")
        real(row)

    monkeypatch.setattr(CONFIRMATIONS, "send", break_on_the_third)
    asked = Asked()
    before = timezone.now()
    with pytest.raises(RuntimeError):
        outbox_drain(outbox=CONFIRMATIONS, again=asked.again())

    assert len(mailoutbox) == 2
    assert Signatory.objects.filter(confirmation_due_at__lte=timezone.now()).count() == 2
    [later] = asked.later
    assert later >= before + timedelta(seconds=GIVE_BACK_DELAY_SECONDS)

    monkeypatch.undo()
    outbox_drain(outbox=CONFIRMATIONS)
    assert len(mailoutbox) == 4
    assert len({m.to[0] for m in mailoutbox}) == 4


def test_a_row_workers_died_on_every_time_is_given_up_unsent(letter, mailoutbox, settings):
    settings.MAIL_MAX_ATTEMPTS = 2
    [poison] = owed(letter, 1, confirmation_attempts=2)  # two workers died holding it

    outbox_drain(outbox=CONFIRMATIONS)

    assert mailoutbox == []
    assert Signatory.objects.get(pk=poison.pk).confirmation_due_at is None


def test_without_a_deferring_backend_nothing_waits_and_no_helper_is_asked(
    letter, mailoutbox, monkeypatch
):
    owed(letter, 1)
    monkeypatch.setattr(CONFIRMATIONS, "send", lambda row: (_ for _ in ()).throw(MailNotSent()))
    assert outbox_drain(outbox=CONFIRMATIONS, again=Again()) == 0  # and no error


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_a_request_is_looked_at_again_in_seconds(letter, mailoutbox):
    """A repeat signature holds the row while the drain runs: passed by, not forgotten."""
    import threading

    from django.db import connection, connections

    from mailing.drain import LOCKED_RETRY_SECONDS

    if connection.vendor != "postgresql":
        pytest.skip("row locks and SKIP LOCKED are PostgreSQL's")
    [signer] = owed(letter, 1)
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        other = connections.create_connection("default")
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                "SELECT id FROM signatories_signatory WHERE id = %s FOR UPDATE", [signer.pk]
            )
            locked.set()
            release.wait(20)
            cursor.execute("ROLLBACK")
        other.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    asked = Asked()
    try:
        assert locked.wait(10)
        before = timezone.now()
        assert outbox_drain(outbox=CONFIRMATIONS, again=asked.again()) == 0
    finally:
        release.set()
        holder.join()
    [when] = asked.later
    assert 0 < (when - before).total_seconds() <= LOCKED_RETRY_SECONDS + 1
    assert mailoutbox == []
    assert outbox_drain(outbox=CONFIRMATIONS) == 1  # the lock gone, the row goes


@pytest.mark.django_db(transaction=True)  # a drain waits for the database outside a transaction
def test_a_mail_sent_while_the_database_went_away_is_recorded_when_it_is_back(
    letter, mailoutbox, monkeypatch
):
    """PostgreSQL restarting mid-drain: the sent mail is settled on the next try, not resent
    after the lease, and the rest of the batch goes out in the same drain."""
    owed(letter, 3)
    real, failures = CONFIRMATIONS.settle, []

    def settle_once_the_database_is_back(row, **fields):
        if not failures:
            failures.append(row.pk)
            raise OperationalError("the connection is closed")
        real(row, **fields)

    monkeypatch.setattr(CONFIRMATIONS, "settle", settle_once_the_database_is_back)
    monkeypatch.setattr("mailing.drain.time.sleep", lambda seconds: None)

    assert outbox_drain(outbox=CONFIRMATIONS) == 3

    assert len(failures) == 1
    assert len(mailoutbox) == 3 and len({m.to[0] for m in mailoutbox}) == 3
    assert not Signatory.objects.exclude(confirmation_due_at=None).exists()
    assert Signatory.objects.get(pk=failures[0]).confirmation_sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_database_away_past_the_drains_patience_leaves_the_rows_to_the_lease(
    letter, mailoutbox, monkeypatch
):
    [signer] = owed(letter, 1)

    tries = []

    def database_gone(row, **fields):
        tries.append(row.pk)
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(CONFIRMATIONS, "settle", database_gone)
    clock = iter(range(0, 10_000, 10))  # each look at the clock, ten seconds on
    monkeypatch.setattr("mailing.drain.time.monotonic", lambda: next(clock))
    monkeypatch.setattr("mailing.drain.time.sleep", lambda seconds: None)

    with pytest.raises(OperationalError):
        outbox_drain(outbox=CONFIRMATIONS)

    assert 5 < len(tries) < 20  # tried again and again, then gave up on waiting

    leased = Signatory.objects.get(pk=signer.pk)
    assert leased.confirmation_due_at > timezone.now()  # not given back: claimed after the lease
    assert len(mailoutbox) == 1
