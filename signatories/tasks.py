"""Mail to signatories, sent by the task worker, never inside a request.

Tasks take a signatory id, not an address: the task queue is a table too, and
it should hold no personal data.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
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
