"""Asking for mail to go: queue a drain of an outbox, once per burst."""

from django.conf import settings
from django.core.cache import cache

from config.cache import PER_PROCESS_CACHES
from mailing.tasks import drain_outbox

# How long the "drain scheduled" flag lives: if a worker dies mid-drain the
# flag expires and the next row added queues a new drain.
DRAIN_SCHEDULED_SECONDS = 60


def outbox_schedule(*, outbox):
    """Make sure a drain of this outbox is queued; one cache call when one already is.

    A burst of signatures queues one task, not thousands. The flag needs a
    cache every process shares: with one process's memory (development) the
    worker could never clear the web process's flag, so each call queues its
    own drain there.
    """
    shared = settings.CACHES["default"]["BACKEND"] not in PER_PROCESS_CACHES
    if not shared or cache.add(outbox.scheduled_key, 1, timeout=DRAIN_SCHEDULED_SECONDS):
        drain_outbox.enqueue(outbox.name)
