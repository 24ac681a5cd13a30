"""The task worker, with what django-tasks-db leaves to its operator done for them.

`manage.py worker` runs django-tasks-db's worker loop, and:

- outlives the database: when PostgreSQL restarts or a connection is cut,
  the loop's OperationalError no longer ends the process; it closes its
  connections, waits (1 s, doubling to 30 s) and carries on;
- sweeps every WORKER_SWEEP_SECONDS, in a thread of its own:
  - a task left RUNNING longer than TASK_LEASE_SECONDS (its worker was
    killed) is made READY again, so it runs, at least once;
  - each outbox that owes mail now (a lapsed lease, a retry come due, a
    drain that died before queueing its follow-up) gets a drain queued,
    so mail goes out with no new signature needed;
  - the housekeeping other apps registered (mailing/sweeps.py) runs, such
    as folding the count journal.
"""

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from mailing.outbox import all_outboxes
from mailing.sweeps import all_sweeps
from mailing.tasks import drain_outbox

logger = logging.getLogger(__name__)

DATABASE_AWAY = (OperationalError, InterfaceError)
MAX_BACKOFF_SECONDS = 30


def tasks_requeue_abandoned():
    """RUNNING past TASK_LEASE_SECONDS: its worker is gone. Back to READY; how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.TASK_LEASE_SECONDS)
    count = DBTaskResult.objects.running().filter(started_at__lt=cutoff).update(status="READY")
    if count:
        logger.warning("Requeued %s task(s) a dead worker left running", count)
    return count


def outboxes_sweep():
    """Queue a drain of each outbox that owes mail now; the names queued."""
    queued = [outbox.name for outbox in all_outboxes() if outbox.has_due()]
    for name in queued:
        drain_outbox.enqueue(name)
    if queued:
        logger.info("Sweep queued drains of %s", ", ".join(queued))
    return queued


def sweep():
    tasks_requeue_abandoned()
    outboxes_sweep()
    for housekeeping in all_sweeps():
        try:
            housekeeping()
        except DATABASE_AWAY:
            raise  # the sweeper waits for the next round
        except Exception:
            # One app's housekeeping failing must not stop the others, nor mail.
            logger.exception("Sweep step %s failed", housekeeping.__name__)


class Sweeper(threading.Thread):
    """sweep() every WORKER_SWEEP_SECONDS, with its own connection; errors wait for the next."""

    def __init__(self):
        super().__init__(name="sweeper", daemon=True)
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(settings.WORKER_SWEEP_SECONDS):
            try:
                close_old_connections()
                sweep()
            except Exception as error:  # any failure: the next sweep tries again
                logger.warning("Sweep failed (%s); trying again later", type(error).__name__)
                connections.close_all()


class HealingWorker(Worker):
    def run(self):
        sweeper = Sweeper()
        sweeper.start()
        wait = 1
        try:
            while self.running:
                try:
                    super().run()
                    return  # --batch or --max-tasks: done
                except DATABASE_AWAY as error:
                    logger.debug("Worker loop stopped by %r", error)
                    logger.warning(
                        "Database unavailable (%s); worker %s retries in %s s",
                        type(error).__name__,
                        self.worker_id,
                        wait,
                    )
                    connections.close_all()
                    time.sleep(wait)
                    wait = min(wait * 2, MAX_BACKOFF_SECONDS)
                    self.startup_delay = False
                else:
                    wait = 1
        finally:
            sweeper.stopped.set()
