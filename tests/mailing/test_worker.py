"""`manage.py worker`: outlives a database that goes away, runs abandoned tasks again,
and sweeps owed mail out with no new signature."""

import io
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mailing.tasks import drain_outbox
from mailing.worker import outboxes_sweep, sweep, tasks_requeue_abandoned
from signatories.models import Signatory
from tests.factories import SignatoryFactory

# transaction=True: the worker closes a connection it finds inside a transaction, as
# close_old_connections does (a test run inside one would lose its own).
pytestmark = pytest.mark.django_db(transaction=True)


def run_batch():
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO())


def test_a_task_left_running_by_a_dead_worker_runs_again(
    database_tasks, letter, mailoutbox, settings
):
    settings.TASK_LEASE_SECONDS = 60
    signer = SignatoryFactory(letter=letter, confirmed_at=None, confirmation_due_at=timezone.now())
    result = drain_outbox.enqueue("confirmations")
    stuck = DBTaskResult.objects.get(pk=result.id)
    stuck.claim("a-worker-that-was-killed")  # RUNNING, as SIGKILL leaves it
    DBTaskResult.objects.filter(pk=stuck.pk).update(
        started_at=timezone.now() - timedelta(seconds=30)
    )

    assert tasks_requeue_abandoned() == 0  # still within its lease: it may be running
    DBTaskResult.objects.filter(pk=stuck.pk).update(
        started_at=timezone.now() - timedelta(seconds=61)
    )
    assert tasks_requeue_abandoned() == 1
    run_batch()

    stuck.refresh_from_db()
    assert stuck.status == "SUCCESSFUL"
    assert [m.to for m in mailoutbox] == [[signer.email]]


def test_the_sweep_sends_a_lapsed_claim_with_no_new_signature(database_tasks, letter, mailoutbox):
    """A drain killed with its batch claimed: the lease lapses, the sweep queues a drain."""
    lapsed = timezone.now() - timedelta(seconds=1)  # the claim's lease just ran out
    signer = SignatoryFactory(letter=letter, confirmed_at=None, confirmation_due_at=lapsed)
    later = SignatoryFactory(
        letter=letter, confirmed_at=None, confirmation_due_at=timezone.now() + timedelta(hours=1)
    )  # still leased to a live worker: not yet

    assert not DBTaskResult.objects.exists()  # nothing queued: no signature came in
    assert outboxes_sweep() == ["confirmations"]
    run_batch()

    assert [m.to for m in mailoutbox] == [[signer.email]]
    assert Signatory.objects.get(pk=later.pk).confirmation_sent_at is None
    assert outboxes_sweep() == []  # nothing owed now: nothing queued


def test_the_sweep_folds_the_count_journal(letter):
    """Registered by signatories (mailing/sweeps.py): each letter's journal becomes one row."""
    from signatories.models import Tally
    from signatories.selectors import signatory_counts

    SignatoryFactory.create_batch(3, letter=letter)
    Signatory.objects.filter(letter=letter).update(status=Signatory.Status.REJECTED)
    counts = signatory_counts(letter=letter)
    assert Tally.objects.filter(letter=letter).count() > 1

    sweep()

    assert Tally.objects.filter(letter=letter).count() == 1
    assert signatory_counts(letter=letter) == counts


def test_a_failing_housekeeping_step_leaves_the_others_running(monkeypatch, letter, caplog):
    from mailing import sweeps
    from mailing.worker import sweep as run_sweep

    ran = []
    monkeypatch.setattr(
        sweeps, "_SWEEPS", [lambda: 1 / 0, lambda: ran.append("second")], raising=True
    )
    run_sweep()
    assert ran == ["second"]
    assert "Sweep step" in caplog.text


def test_a_sweep_with_the_database_away_waits_for_the_next(monkeypatch, caplog):
    from django.db import OperationalError

    from mailing import worker

    def away():
        raise OperationalError("the connection is closed")

    monkeypatch.setattr(worker, "sweep", away)
    monkeypatch.setattr(worker.settings, "WORKER_SWEEP_SECONDS", 0.01, raising=False)
    sweeper = worker.Sweeper()
    sweeper.start()
    time.sleep(0.1)
    sweeper.stopped.set()
    sweeper.join(2)
    assert not sweeper.is_alive()
    assert "Sweep failed (OperationalError)" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_worker_carries_on_after_its_database_connection_is_killed(
    database_tasks, letter, mailoutbox, caplog
):
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    from mailing.worker import HealingWorker

    worker = HealingWorker(
        queue_names=["default"],
        interval=0.05,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="healing-test",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()

    def owed():
        signer = SignatoryFactory(
            letter=letter, confirmed_at=None, confirmation_due_at=timezone.now()
        )
        drain_outbox.enqueue("confirmations")
        return signer.email

    def sent(email, seconds=40):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(m.to == [email] for m in mailoutbox):
                return True
            time.sleep(0.05)
        return False

    settings_dict = connection.settings_dict  # shared by the worker thread's connection
    port = settings_dict["PORT"]
    try:
        assert sent(owed())
        # A restart: the worker's connection is cut, and for a while nobody can connect.
        settings_dict["PORT"] = _closed_port()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1
        # Waiting, not exiting (db_worker alone would have exited here): the worker's loop,
        # or a drain cut off mid-batch that waits to record the mail it sent (mailing/drain.py).
        waiting = ("Database unavailable", "The database is away")
        deadline = time.monotonic() + 10
        while not any(w in caplog.text for w in waiting) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(w in caplog.text for w in waiting)
        settings_dict["PORT"] = port  # PostgreSQL is back
        assert sent(owed())
        assert thread.is_alive()
    finally:
        settings_dict["PORT"] = port
        worker.running = False
        thread.join(40)


def _closed_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def test_the_command_runs_the_healing_worker_and_db_worker_is_unchanged(database_tasks):
    from django_tasks_db.management.commands import db_worker

    from mailing.worker import HealingWorker

    run_batch()
    assert db_worker.Worker is not HealingWorker  # the swap is undone after the command
    sweep()  # with nothing owed and nothing stuck: nothing happens, no error
    assert not DBTaskResult.objects.exists()
