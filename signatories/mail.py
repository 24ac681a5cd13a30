"""Building and sending mail to one signatory, in their language, without leaking addresses.

The outboxes decide when (mailing/); this module decides what the mail says
and how it goes out. An SMTP error carries the recipient's address in its
text, and task runners log and store tracebacks, so any failure is re-raised
as MailNotSent, which names only the signatory's id.
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from mailing.outbox import MailNotSent
from signatories import tokens

logger = logging.getLogger(__name__)


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def _link(name, signatory, purpose):
    return absolute(reverse(name, kwargs={"token": tokens.make_token(signatory, purpose)}))


def signatory_links(signatory):
    return {
        "confirm_url": _link("signatories:confirm", signatory, tokens.CONFIRM),
        "withdraw_url": _link("signatories:withdraw", signatory, tokens.WITHDRAW),
        "erase_url": _link("signatories:erase", signatory, tokens.ERASE),
        "unsubscribe_url": _link("signatories:unsubscribe", signatory, tokens.UNSUBSCRIBE),
        "letter_url": absolute(signatory.letter.get_absolute_url()),
    }


def send_to_signatory(signatory, template, *, extra=None, unsubscribe=False):
    """Render templates/<template>_subject.txt and _body.txt for one signatory and send it."""
    links = signatory_links(signatory)
    context = {
        "signatory": signatory,
        "letter": signatory.letter,
        "confirm_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        **links,
        **(extra or {}),
    }
    with translation.override(signatory.language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template}_subject.txt", context)
        body = render_to_string(f"{template}_body.txt", context)
    # One line, whatever a letter title holds: no header can be smuggled in.
    subject = " ".join(subject.split())
    headers = {}
    if unsubscribe:
        # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to this URL.
        headers = {
            "List-Unsubscribe": f"<{links['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    message = EmailMessage(subject=subject, body=body, to=[signatory.email], headers=headers)
    contact = signatory.letter.campaign.contact_email
    if contact:
        message.reply_to = [contact]
    name = template.rsplit("/", 1)[-1]
    try:
        message.send()
    except (smtplib.SMTPException, OSError, UnicodeError, ValueError) as error:
        code = getattr(error, "smtp_code", None) or type(error).__name__
        logger.warning("Could not send %s mail for signatory %s (%s)", name, signatory.pk, code)
        raise MailNotSent(f"{name} mail for signatory {signatory.pk}: {code}") from None
    logger.info("Sent %s mail for signatory %s", name, signatory.pk)
