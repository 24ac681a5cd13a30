"""Mail to signatories, sent by the task worker, never inside a request.

Tasks take a signatory id, not an address: the task queue is a table too, and
it should hold no personal data.
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

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
        "letter_url": _absolute(signatory.letter.get_absolute_url()),
    }


def _send(signatory, template):
    context = {
        "signatory": signatory,
        "letter": signatory.letter,
        "confirm_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        **_links(signatory),
    }
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
    except (smtplib.SMTPException, OSError) as error:
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


@task()
def send_confirmation_email(signatory_id):
    signatory = _load(signatory_id)
    if signatory is not None and signatory.confirmed_at is None:
        _send(signatory, "confirm")


@task()
def send_already_signed_email(signatory_id):
    signatory = _load(signatory_id)
    if signatory is not None:
        _send(signatory, "already_signed")
