"""What one drain of an outbox does: claim a batch, send each mail, until nothing is due.

The drain task (mailing/tasks.py) runs this; tests call it directly with no
task backend at all.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from mailing.outbox import AddressSuppressed, MailNotSent

logger = logging.getLogger(__name__)

# A drain that breaks gives its rows back and asks for another this much later:
# whatever broke it may break the next one too.
GIVE_BACK_DELAY_SECONDS = 60
# A row due now but locked by another transaction: looked at again this much later.
LOCKED_RETRY_SECONDS = 5
# How long a drain keeps trying to record what it did (a mail sent, rows it
# holds) while the database is away, before leaving it to the lease.
DATABASE_PATIENCE_SECONDS = 120
DATABASE_AWAY = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class Again:
    """How a drain asks for another drain of the same outbox.

    `now()` queues a helper, so a second worker joins in; `at(when)` queues
    one for when a row comes due (a lease runs out, a retry's wait is over).
    Both are None where tasks run inside the caller (the immediate backend):
    no other worker could help, and nothing can wait.
    """

    now: Callable[[], None] | None = None
    at: Callable[[datetime], None] | None = None


def outbox_drain(*, outbox, again=Again()):
    """Send every mail the outbox owes, a batch at a time; several workers share the work.

    A drain that finds a full batch queues a helper. Before it stops, it
    clears the "drain scheduled" flag and looks once more: a row added by
    someone who saw the flag still set was committed before that last look.
    Then it asks to run again when the next row comes due.
    """
    batch = settings.MAIL_BATCH_SIZE
    helper_queued = False
    sent = 0
    while True:
        ids = outbox.claim(batch)
        if not ids:
            cache.delete(outbox.scheduled_key)
            ids = outbox.claim(batch)
            if not ids:
                _again_when_due(outbox, again)
                return sent
        if len(ids) == batch and not helper_queued and again.now:
            again.now()
            helper_queued = True
        sent += _send_claimed(outbox, ids, again)


def _send_claimed(outbox, ids, again):
    """Mail each claimed row and settle it, one at a time; returns how many went.

    Row by row, so a worker that dies loses at most the mail it was sending
    (it may go twice, never not at all); an error in this code gives the
    rest back to the outbox at once.
    """
    unfinished = set(ids)
    sent = 0
    try:
        for row in outbox.rows(ids):
            sent += _send_one(outbox, row, unfinished)
            unfinished.discard(row.pk)
        unfinished.clear()  # rows gone since the claim (erased) owe nothing
    finally:
        if unfinished:
            _when_database_back(lambda: outbox.give_back(unfinished))
            if again.at:
                again.at(timezone.now() + timedelta(seconds=GIVE_BACK_DELAY_SECONDS))
    return sent


def _send_one(outbox, row, unfinished):
    if not outbox.still_owed(row):
        outbox.settle(row, **outbox.not_owed_fields(row))
        return 0
    if outbox.exhausted(row):
        logger.warning(
            "Gave up on %s mail %s: workers stopped on it each time", outbox.name, row.pk
        )
        outbox.settle(row, **outbox.failed_fields(final=True))
        return 0
    try:
        outbox.send(row)
    except AddressSuppressed:
        # It bounced or complained before: never to go, so not retried but settled as
        # owed no more (an update's copy reads "cancelled"). The row's id, no address.
        logger.info("Did not send %s mail %s: its address is suppressed", outbox.name, row.pk)
        _when_database_back(lambda: outbox.settle(row, **outbox.not_owed_fields(row)))
        return 0
    except MailNotSent:
        due = _when_database_back(lambda: outbox.retry_later(row))
        if due is None:
            logger.warning("Gave up on %s mail %s after the last attempt", outbox.name, row.pk)
        return 0
    # Gone: never given back, whatever happens next; if it cannot be recorded,
    # it stays leased and goes again only when the lease runs out.
    unfinished.discard(row.pk)
    sent_at = timezone.now()
    _when_database_back(lambda: outbox.settle(row, **outbox.sent_fields(sent_at)))
    return 1


def _when_database_back(write):
    """Run a write the drain owes the outbox, waiting out a database that restarts.

    The mail has gone (or failed) and the worker knows it: recording that once
    the database is back keeps the mail from going twice, and gives back held
    rows now instead of after the lease (an hour by default). Past
    DATABASE_PATIENCE_SECONDS the error goes up and the lease covers the rest,
    as for a worker that died.
    """
    wait, deadline = 1.0, time.monotonic() + DATABASE_PATIENCE_SECONDS
    while True:
        try:
            return write()
        except DATABASE_AWAY:
            if connection.in_atomic_block or time.monotonic() + wait > deadline:
                raise
            logger.warning("The database is away; trying again in %.0f s", wait)
            connection.close()  # the next try opens a new connection
            time.sleep(wait)
            wait = min(wait * 2, 15)


def _again_when_due(outbox, again):
    """Rows that wait (a retry, a dead worker's lease) go out when due, mail coming in or not.

    A row due now that the claim passed by is held by a request still writing
    it (a repeat signature updating its row: SKIP LOCKED skips it); it is
    looked at again in LOCKED_RETRY_SECONDS, not left for the worker's sweep.
    """
    if again.at is None:
        return
    if outbox.has_due():
        due = timezone.now() + timedelta(seconds=LOCKED_RETRY_SECONDS)
    else:
        due = outbox.next_due()
    if due is None:
        return
    # One wake-up per outbox and moment, however many drains end before it.
    key = f"outbox:{outbox.name}:wake:{due.timestamp():.0f}"
    wait = (due - timezone.now()).total_seconds()
    if cache.add(key, 1, timeout=max(60, int(wait) + 60)):
        again.at(due)
