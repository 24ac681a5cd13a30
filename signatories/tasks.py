"""Mail to signatories, sent by the task worker, never inside a request.

Tasks take a signatory id, not an address: the task queue is a table too, and
it should hold no personal data.
"""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from signatories import tokens

logger = logging.getLogger(__name__)


class MailNotSent(Exception):
    """A mail that failed, described without the address it was for."""


def _absolute(path):
    return f"{settings.SITE_URL}{path}"


def _links(signatory):
    return {
        "confirm_url": _absolute(
            reverse(
                "signatories:confirm",
                kwargs={"token": tokens.make_token(signatory, tokens.CONFIRM)},
            )
        ),
        "withdraw_url": _absolute(
            reverse(
                "signatories:withdraw",
                kwargs={"token": tokens.make_token(signatory, tokens.WITHDRAW)},
            )
        ),
        "erase_url": _absolute(
            reverse(
                "signatories:erase", kwargs={"token": tokens.make_token(signatory, tokens.ERASE)}
            )
        ),
        "letter_url": _absolute(signatory.letter.get_absolute_url()),
    }


def _send(signatory, template):
    context = {
        "signatory": signatory,
        "letter": signatory.letter,
        "confirm_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        **_links(signatory),
    }
    with translation.override(signatory.language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"signatories/email/{template}_subject.txt", context)
        body = render_to_string(f"signatories/email/{template}_body.txt", context)
    # One line, whatever a letter title holds: no header can be smuggled in.
    subject = " ".join(subject.split())
    message = EmailMessage(subject=subject, body=body, to=[signatory.email])
    contact = signatory.letter.campaign.contact_email
    if contact:
        message.reply_to = [contact]
    try:
        message.send()
    except (smtplib.SMTPException, OSError, UnicodeError, ValueError) as error:
        # SMTP errors carry the recipient's address in their text, and the task
        # runner logs and stores the traceback: replace it with one that holds none.
        code = getattr(error, "smtp_code", None) or type(error).__name__
        logger.warning("Could not send %s mail for signatory %s (%s)", template, signatory.pk, code)
        raise MailNotSent(f"{template} mail for signatory {signatory.pk}: {code}") from None
    logger.info("Sent %s mail for signatory %s", template, signatory.pk)


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
