"""Mail to signatories, sent by the task worker, never inside a request.

Tasks take a signatory id, not an address: the task queue is a table too, and
it should hold no personal data.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.tasks import task
from django.utils import timezone

from signatories.mail import MailNotSent, send_to_signatory

logger = logging.getLogger(__name__)


def _send(signatory, template):
    send_to_signatory(signatory, f"signatories/email/{template}")


def _load(signatory_id):
    from signatories.models import Signatory

    signatory = Signatory.objects.select_related("letter__campaign").filter(pk=signatory_id).first()
    if signatory is None or not signatory.email:
        logger.info("No mail for signatory %s: gone or erased", signatory_id)
        return None
    return signatory


def backoff(attempt):
    """Seconds before the next try: 1, 2, 4, 8, 16 minutes, then every 30."""
    return min(60 * 2 ** (attempt - 1), 1800)


def _send_or_retry(task_function, signatory, template, attempt, requested_at):
    """Send; if the mail server fails, queue another try later, then report this one failed.

    The signature itself is never touched: a mail that fails costs a delay,
    not a signature.
    """
    try:
        _send(signatory, template)
    except MailNotSent:
        if attempt < settings.MAIL_MAX_ATTEMPTS and task_function.get_backend().supports_defer:
            run_after = timezone.now() + timedelta(seconds=backoff(attempt))
            task_function.using(run_after=run_after).enqueue(
                signatory.pk, attempt + 1, requested_at
            )
            logger.info(
                "Will try %s mail for signatory %s again (attempt %s)",
                template,
                signatory.pk,
                attempt + 1,
            )
        raise


def requested_now():
    """When a mail was asked for, as the task queue stores it (JSON)."""
    return timezone.now().isoformat()


@task()
def send_confirmation_email(signatory_id, attempt=1, requested_at=None):
    """Send the confirmation link, unless one went out after this mail was asked for.

    A retry still waiting after an outage and a `resend_confirmations` run
    would otherwise both send: one mail is enough.
    """
    signatory = _load(signatory_id)
    if signatory is None or signatory.confirmed_at is not None:
        return
    sent = signatory.confirmation_sent_at
    if sent and requested_at and sent >= datetime.fromisoformat(requested_at):
        logger.info("Confirmation for signatory %s already sent since; skipped", signatory.pk)
        return
    _send_or_retry(send_confirmation_email, signatory, "confirm", attempt, requested_at)
    type(signatory).objects.filter(pk=signatory.pk).update(confirmation_sent_at=timezone.now())


@task()
def send_already_signed_email(signatory_id, attempt=1, requested_at=None):
    signatory = _load(signatory_id)
    if signatory is not None:
        _send_or_retry(
            send_already_signed_email, signatory, "already_signed", attempt, requested_at
        )


# Set while a drain is queued or running, so a burst of signatures queues one task, not thousands.
DRAIN_SCHEDULED_KEY = "signatories:confirmations-drain"
# If a worker dies mid-drain the key expires and the next signature queues a new drain.
DRAIN_SCHEDULED_SECONDS = 60
# Set while a drain is queued for when the oldest lease runs out.
SWEEP_SCHEDULED_KEY = "signatories:confirmations-sweep"


def schedule_due_confirmations():
    """Make sure a drain is queued; costs one cache call when one already is.

    The flag needs a cache every process shares: with one process's memory
    (development) the worker could never clear the web process's flag, so
    each signature queues its own drain there.
    """
    from signatories.checks import PER_PROCESS_CACHES

    shared = settings.CACHES["default"]["BACKEND"] not in PER_PROCESS_CACHES
    if not shared or cache.add(DRAIN_SCHEDULED_KEY, 1, timeout=DRAIN_SCHEDULED_SECONDS):
        send_due_confirmations.enqueue()


def claim_due_confirmations(limit):
    """Lease up to `limit` owed rows to this caller; no other drain gets them.

    The claim moves each row's due time a lease ahead instead of clearing
    it: a row is cleared only once its mail is sent, so a worker that dies
    mid-batch leaves its rows to be claimed again when the lease runs out.
    One UPDATE ... RETURNING: on PostgreSQL concurrent drains skip each
    other's locked rows and the outer condition is re-checked after any
    wait; on SQLite the statement holds the database's write lock.
    """
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.MAIL_CLAIM_LEASE_SECONDS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(*claim_statement(limit, now=now, lease_until=lease_until))
        return [row[0] for row in cursor.fetchall()]


def claim_statement(limit, *, now, lease_until):
    """(sql, params) of the outbox claim; bench/load.py prints its plan."""
    from signatories.models import Signatory

    table = connection.ops.quote_name(Signatory._meta.db_table)
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    now, lease_until = (connection.ops.adapt_datetimefield_value(t) for t in (now, lease_until))
    # A quoted table name in the text; the times and the limit are parameters.
    sql = (
        f"UPDATE {table} SET confirmation_due_at = %s "  # noqa: S608
        f"WHERE confirmation_due_at <= %s AND id IN ("
        f"SELECT id FROM {table} WHERE confirmation_due_at <= %s "
        f"ORDER BY confirmation_due_at LIMIT %s{skip_locked}) RETURNING id"
    )
    return sql, [lease_until, now, now, limit]


@task()
def send_due_confirmations():
    """Send every confirmation owed, a batch at a time; several workers share the work.

    A signature only marks its row (confirmation_due_at): that is one column
    in the INSERT instead of a task row per signature, which under a burst
    was the sign request's largest cost. A drain that finds a full batch
    queues a helper, so a second worker joins in. Before it stops, a drain
    clears the scheduled flag and looks once more: a signature that saw the
    flag still set was committed before that last look.
    """
    helper_queued = False
    while True:
        ids = claim_due_confirmations(settings.MAIL_BATCH_SIZE)
        if not ids:
            cache.delete(DRAIN_SCHEDULED_KEY)
            ids = claim_due_confirmations(settings.MAIL_BATCH_SIZE)
            if not ids:
                _sweep_when_leases_run_out()
                return
        if len(ids) == settings.MAIL_BATCH_SIZE and not helper_queued:
            send_due_confirmations.enqueue()
            helper_queued = True
        _send_claimed(ids)


def _send_claimed(ids):
    """Mail each claimed row and take it out of the outbox, one at a time.

    Row by row, so a worker that dies loses at most the mail it was sending
    (it may go twice, never not at all); an error in this code gives the
    rest back to the outbox at once.
    """
    from signatories.models import Signatory

    owed = Signatory.objects.filter(pk__in=ids)
    requested = requested_now()
    unfinished = set(ids)
    try:
        for signatory in owed.select_related("letter__campaign"):
            done = {"confirmation_due_at": None}
            if _owes_confirmation(signatory):
                try:
                    _send_or_retry(send_confirmation_email, signatory, "confirm", 1, requested)
                    done["confirmation_sent_at"] = timezone.now()
                except MailNotSent:
                    pass  # a retry task of its own owns it now (where tasks can wait)
            owed.filter(pk=signatory.pk).update(**done)
            unfinished.discard(signatory.pk)
        unfinished.clear()  # rows gone since the claim (erased) owe nothing
    finally:
        if unfinished:
            owed.filter(pk__in=unfinished).update(confirmation_due_at=timezone.now())
            if send_due_confirmations.get_backend().supports_defer:
                # Not at once: whatever broke this drain may break the next one too.
                run_after = timezone.now() + timedelta(seconds=DRAIN_SCHEDULED_SECONDS)
                send_due_confirmations.using(run_after=run_after).enqueue()


def _owes_confirmation(signatory):
    """Not erased, not confirmed, not mailed by a resend since it signed."""
    return (
        bool(signatory.email) and not signatory.confirmed_at and not signatory.confirmation_sent_at
    )


def _sweep_when_leases_run_out():
    """Rows leased by a worker that died go out when the lease runs out, signatures or not."""
    from signatories.models import Signatory

    leased = (
        Signatory.objects.filter(confirmation_due_at__gt=timezone.now())
        .order_by("confirmation_due_at")
        .values_list("confirmation_due_at", flat=True)
        .first()
    )
    if leased is None or not send_due_confirmations.get_backend().supports_defer:
        return
    if cache.add(SWEEP_SCHEDULED_KEY, 1, timeout=settings.MAIL_CLAIM_LEASE_SECONDS):
        send_due_confirmations.using(run_after=leased + timedelta(seconds=1)).enqueue()
