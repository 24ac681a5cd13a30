"""Moderators' bulk writes: decisions (a status changes: each one audited), and flags.

Setting the notable flag is one UPDATE and leaves no audit entry: it changes
where a name is listed, not whether.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction
from django.db.models import F

from signatories.models import ModerationAction, ModerationEntry, Signatory

logger = logging.getLogger(__name__)

Decision = ModerationAction.Decision
Status = Signatory.Status

# Which statuses each decision applies to, and what it makes them.
DECISIONS = {
    Decision.APPROVE: ({Status.PENDING, Status.REJECTED}, Status.APPROVED),
    Decision.REJECT: ({Status.PENDING, Status.APPROVED}, Status.REJECTED),
    Decision.RESTORE: ({Status.APPROVED, Status.REJECTED}, Status.PENDING),
}


DECISION_BATCH = 2000
# A decision over more rows than this, on PostgreSQL, runs its batches on two
# connections at once. At six million names a batch of 2,000 costs ~250 ms, most
# of it new entries in indexes ordered by name, by address hash and by trigram
# (a changed status is a new row version, in every index); one connection waits
# on its own writes, two keep both cores busy: 100,000 in ~7 s where one took ~12.
PARALLEL_FROM = 20_000
STREAMS = 2


def signatories_decide(
    *, queryset, decision, moderator, batch_size=DECISION_BATCH, on_batch=None, **record
):
    """Approve, reject or restore many signatures at once, with an audit entry for each.

    A batch of `batch_size` rows at a time, in primary-key order, each batch
    in a transaction of its own: the rows the decision applies to are
    locked and read, their audit entries written (with each row's status
    before), one UPDATE changes exactly those rows, and the decision's count
    grows by as many. Three statements a batch, whatever its size. A
    batch holds its rows' locks for a few milliseconds, so a decision over
    100,000 names never keeps a signer's confirmation waiting, and signing
    (which only inserts) never waits at all. Cut short, the decision
    records what it did; running it again decides the rest (rows already
    decided no longer match). `on_batch(count)` is called after each batch.
    `record` is written on the action as well (a bot wave's `letter` and `note`).

    On PostgreSQL a big decision's batches run on STREAMS connections at once
    and commit without waiting for the disk; the last step waits for all of
    it, so when this returns every batch is durable, and a crash before that
    loses only batches nobody was told were done (they are still awaiting a
    decision, and the action's count, written in the same transactions, says
    so).
    """
    decision = Decision(decision)
    from_statuses, to_status = DECISIONS[decision]
    action = ModerationAction.objects.create(decision=decision, moderator=moderator, **record)
    ids = queryset.order_by("pk").values_list("pk", flat=True)
    batches = _batches(ids, batch_size)
    progress = _Progress(on_batch)
    # Inside a caller's transaction (a signature's page saved in the admin) the batches
    # are savepoints of it, and its commit is the caller's: nothing to share out or defer.
    own = connection.vendor == "postgresql" and not connection.in_atomic_block
    if own and _more_than(ids, PARALLEL_FROM):
        _in_streams(batches, from_statuses, action, to_status, progress)
    else:
        for chunk in batches:
            _decide_in_transaction(chunk, from_statuses, action, to_status, progress, defer=own)
    if own:
        _wait_for_the_disk(action)
    action.count = progress.done  # what the batches added to the row's count, from 0
    logger.info("%s: %s signatures by user %s", decision.label, action.count, moderator.pk)
    return action


def _batches(ids, size):
    """Lists of up to `size` ids, in order, each read from where the last ended."""
    last = 0
    while chunk := list(ids.filter(pk__gt=last)[:size]):
        last = chunk[-1]
        yield chunk


def _more_than(ids, count):
    return ids.order_by()[count : count + 1].exists()


class _Progress:
    """The decision's count as batches finish, told to `on_batch` one at a time."""

    def __init__(self, on_batch):
        self.on_batch, self.done = on_batch, 0
        self.lock = threading.Lock()

    def add(self, count):
        with self.lock:
            self.done += count
            if self.on_batch is not None:
                self.on_batch(self.done)


def _decide_in_transaction(ids, from_statuses, action, to_status, progress, *, defer):
    with transaction.atomic():
        if defer:
            # Not waiting for the disk at each batch: signatories_decide waits once, at the end.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        decided = _decide_batch(ids, from_statuses, action, to_status)
        if decided:
            # F(), not a count read before: another stream adds to it too.
            ModerationAction.objects.filter(pk=action.pk).update(count=F("count") + decided)
    progress.add(decided)


def _in_streams(batches, from_statuses, action, to_status, progress):
    """The batches shared out to STREAMS threads, each on a connection of its own."""
    lock, failed = threading.Lock(), threading.Event()

    def stream():
        try:
            while not failed.is_set():
                with lock:  # one thread at a time reads the next batch's ids
                    chunk = next(batches, None)
                if chunk is None:
                    return
                _decide_in_transaction(
                    chunk, from_statuses, action, to_status, progress, defer=True
                )
        except BaseException:
            failed.set()  # the other stream stops after its batch, as one stream would
            raise
        finally:
            connection.close()  # this thread's own

    with ThreadPoolExecutor(max_workers=STREAMS) as pool:
        for running in [pool.submit(stream) for _ in range(STREAMS)]:
            running.result()  # a batch's error is raised here, after the other stream stops


def _wait_for_the_disk(action):
    """One write committed with synchronous_commit on: it returns once the WAL up to it,
    every batch before it included, is on disk."""
    with transaction.atomic():
        ModerationAction.objects.filter(pk=action.pk).update(count=F("count"))


def _decide_batch(ids, from_statuses, action, to_status):
    """Lock the rows the decision applies to, audit each with its status before, update them."""
    if connection.vendor == "postgresql":
        return _decide_batch_in_one_statement(ids, from_statuses, action, to_status)
    before = dict(
        Signatory.objects.filter(pk__in=ids, status__in=from_statuses)
        .select_for_update()
        .values_list("pk", "status")
    )
    if not before:
        return 0
    ModerationEntry.objects.bulk_create(
        ModerationEntry(action=action, signatory_id=pk, from_status=status)
        for pk, status in before.items()
    )
    return Signatory.objects.filter(pk__in=list(before)).update(status=to_status)


def _decide_batch_in_one_statement(ids, from_statuses, action, to_status):
    """The same three steps as one statement on PostgreSQL: the audit entries are copied
    from the locked rows inside the database, not built as 2,000 model instances and sent
    back (a batch from about 210 to 90 ms, most of a 100,000-name decision)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH chosen AS (
                SELECT id, status FROM signatories_signatory
                WHERE id = ANY(%s) AND status = ANY(%s)
                FOR UPDATE
            ), audit AS (
                INSERT INTO signatories_moderationentry (action_id, signatory_id, from_status)
                SELECT %s, id, status FROM chosen
            )
            UPDATE signatories_signatory AS s SET status = %s FROM chosen WHERE s.id = chosen.id
            """,
            [list(ids), [str(status) for status in from_statuses], action.pk, str(to_status)],
        )
        return cursor.rowcount


def signatory_decide_to(*, signatory, status, moderator):
    """A status chosen on one signature's page: the same audited decision as the bulk actions.

    Returns the action, or None when no decision leads there from the row's
    status (nothing changes then).
    """
    for decision, (from_statuses, to_status) in DECISIONS.items():
        if to_status == status:
            queryset = Signatory.objects.filter(pk=signatory.pk, status__in=from_statuses)
            return signatories_decide(queryset=queryset, decision=decision, moderator=moderator)
    return None


def signatories_set_notable(*, queryset, notable):
    """Mark or unmark signatures as notable (listed first on the page); one UPDATE."""
    return Signatory.objects.filter(pk__in=queryset.order_by().values("pk")).update(
        is_notable=notable
    )
