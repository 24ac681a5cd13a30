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


def schedule_due_confirmations():
    """Make sure a drain is queued; costs one cache call when one already is."""
    if cache.add(DRAIN_SCHEDULED_KEY, 1, timeout=DRAIN_SCHEDULED_SECONDS):
        send_due_confirmations.enqueue()


def claim_due_confirmations(limit):
    """Take up to `limit` rows off the outbox; the ids returned are this caller's alone.

    One UPDATE ... RETURNING: on PostgreSQL concurrent drains skip each
    other's locked rows; the outer condition is re-checked after any wait,
    so a row is never claimed twice. On SQLite the statement holds the
    database's write lock.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(*claim_statement(limit))
        return [row[0] for row in cursor.fetchall()]


def claim_statement(limit):
    """(sql, params) of the outbox claim; bench/load.py prints its plan."""
    from signatories.models import Signatory

    table = connection.ops.quote_name(Signatory._meta.db_table)
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    # A quoted table name in the text; the limit is a parameter.
    sql = (
        f"UPDATE {table} SET confirmation_due_at = NULL "  # noqa: S608
        f"WHERE confirmation_due_at IS NOT NULL AND id IN ("
        f"SELECT id FROM {table} WHERE confirmation_due_at IS NOT NULL "
        f"ORDER BY confirmation_due_at LIMIT %s{skip_locked}) RETURNING id"
    )
    return sql, [limit]


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
    from signatories.models import Signatory

    helper_queued = False
    while True:
        ids = claim_due_confirmations(settings.MAIL_BATCH_SIZE)
        if not ids:
            cache.delete(DRAIN_SCHEDULED_KEY)
            ids = claim_due_confirmations(settings.MAIL_BATCH_SIZE)
            if not ids:
                return
        if len(ids) == settings.MAIL_BATCH_SIZE and not helper_queued:
            send_due_confirmations.enqueue()
            helper_queued = True
        requested = requested_now()
        batch = Signatory.objects.select_related("letter__campaign").filter(pk__in=ids)
        sent = []
        for signatory in batch:
            # Erased, confirmed, or mailed by a resend since it signed: nothing owed.
            if not signatory.email or signatory.confirmed_at or signatory.confirmation_sent_at:
                continue
            try:
                _send_or_retry(send_confirmation_email, signatory, "confirm", 1, requested)
            except MailNotSent:
                continue  # a retry is queued for this one; the rest of the batch goes on
            sent.append(signatory.pk)
        Signatory.objects.filter(pk__in=sent).update(confirmation_sent_at=timezone.now())
