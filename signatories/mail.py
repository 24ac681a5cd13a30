"""Building and sending mail to one signatory, in their language, without leaking addresses.

The outboxes decide when (mailing/); this module decides what the mail says
and how it goes out. An SMTP error carries the recipient's address in its
text, and task runners log and store tracebacks, so any failure is re-raised
as MailNotSent, which names only the signatory's id.
"""

import email.policy
import logging
import smtplib
from email.utils import make_msgid
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from mailing.outbox import AddressSuppressed, MailNotSent
from mailing.suppression import is_suppressed
from signatories import tokens

logger = logging.getLogger(__name__)


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def _in_language(url, signatory):
    """The page a link opens comes in the language the mail was written in (config/middleware)."""
    return f"{url}?{urlencode({'lang': _language(signatory)})}"


def _language(signatory):
    return signatory.language or settings.LANGUAGE_CODE


def _link(name, signatory, purpose):
    path = reverse(name, kwargs={"token": tokens.make_token(signatory, purpose)})
    return _in_language(absolute(path), signatory)


def signatory_links(signatory):
    return {
        "confirm_url": _link("signatories:confirm", signatory, tokens.CONFIRM),
        "withdraw_url": _link("signatories:withdraw", signatory, tokens.WITHDRAW),
        "erase_url": _link("signatories:erase", signatory, tokens.ERASE),
        "unsubscribe_url": _link("signatories:unsubscribe", signatory, tokens.UNSUBSCRIBE),
        "restore_url": _link("signatories:restore", signatory, tokens.RESTORE),
        "letter_url": _in_language(absolute(signatory.letter.get_absolute_url()), signatory),
    }


class SiteMessage(EmailMessage):
    """A mail whose headers providers read as written.

    Python folds header lines at 78 characters, and a one-click unsubscribe
    URL is one unbreakable word longer than that, so it came out RFC 2047
    encoded, which providers do not read as a List-Unsubscribe. RFC 5322
    allows lines of up to 998 characters: headers are folded at spaces only.
    """

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


def message_id():
    """On the site's own domain, as mail providers expect of a sender."""
    return make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost")


def site_mail(*, template, context, to, language, what, reply_to="", headers=None, attach=()):
    """Render <template>_subject.txt and _body.txt in `language` and send them to `to`.

    Every mail to a person goes through here: a signature's, an event
    sign-up's, a report's. `what` names the mail in logs and errors ("confirm
    mail for signatory 12"), never the address: an SMTP error carries the
    address in its text, so any failure is re-raised as MailNotSent. Raises
    AddressSuppressed, sending nothing, if the address bounced or complained.
    """
    if is_suppressed(to):
        raise AddressSuppressed(f"{what}: address suppressed")
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context)
        body = render_to_string(f"{template}_body.txt", context)
    # One line, whatever a title holds: no header can be smuggled in.
    subject = " ".join(subject.split())
    headers = {"Message-ID": message_id(), **(headers or {})}
    message = SiteMessage(subject=subject, body=body, to=[to], headers=headers)
    if reply_to:
        message.reply_to = [reply_to]
    for attachment in attach:
        message.attach(*attachment)
    try:
        message.send()
    except (smtplib.SMTPException, OSError, UnicodeError, ValueError) as error:
        code = getattr(error, "smtp_code", None) or type(error).__name__
        logger.warning("Could not send %s (%s)", what, code)
        raise MailNotSent(f"{what}: {code}") from None
    logger.info("Sent %s", what)


def send_to_signatory(signatory, template, *, extra=None, unsubscribe=False):
    """Render templates/<template>_subject.txt and _body.txt for one signatory and send it."""
    context = {
        "signatory": signatory,
        "letter": signatory.letter,
        "confirm_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        **signatory_links(signatory),
        **(extra or {}),
    }
    headers = {}
    if unsubscribe:
        # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to this URL.
        one_click = reverse(
            "signatories:unsubscribe",
            kwargs={"token": tokens.make_token(signatory, tokens.UNSUBSCRIBE)},
        )
        headers["List-Unsubscribe"] = f"<{absolute(one_click)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    site_mail(
        template=template,
        context=context,
        to=signatory.email,
        language=_language(signatory),
        what=f"{template.rsplit('/', 1)[-1]} mail for signatory {signatory.pk}",
        reply_to=signatory.letter.campaign.contact_email,
        headers=headers,
    )
