"""The reporter's confirmation link, an outbox on the report row (mailing/outbox.py)."""

import logging
import smtplib

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from mailing.outbox import AddressSuppressed, MailNotSent, Outbox, register
from mailing.suppression import is_suppressed
from resolutions.models import PassedResolution
from resolutions.tokens import CONFIRM, LINKS
from signatories.mail import SiteMessage, absolute, message_id

logger = logging.getLogger(__name__)


class ResolutionConfirmations(Outbox):
    """ "Please confirm your report": owed from the INSERT, again when the reporter sends
    the same report after RESEND_AFTER (resolutions/services.py)."""

    name = "resolution-confirmations"
    due_field = "confirmation_due_at"
    attempts_field = "confirmation_attempts"

    model = PassedResolution

    def rows(self, ids):
        return self.model.objects.filter(pk__in=ids).select_related("campaign", "sign_letter")

    def still_owed(self, row):
        return bool(row.email) and row.confirmed_at is None

    def sent_fields(self, now):
        return {"confirmation_sent_at": now}

    def send(self, row):
        if is_suppressed(row.email):
            # It bounced or complained before: settled as owed no more (mailing/drain.py).
            raise AddressSuppressed(f"confirmation for report {row.pk}: address suppressed")
        path = reverse("resolutions:confirm", kwargs={"token": LINKS.make(row, CONFIRM)})
        language = row.language or settings.LANGUAGE_CODE
        context = {
            "report": row,
            "campaign": row.campaign,
            "confirm_url": f"{absolute(path)}?lang={language}",
            "campaign_url": f"{absolute(row.campaign.get_absolute_url())}?lang={language}",
            "confirm_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        }
        with translation.override(language):
            subject = render_to_string("resolutions/email/confirm_subject.txt", context)
            body = render_to_string("resolutions/email/confirm_body.txt", context)
        subject = " ".join(subject.split())  # one line, whatever a body's name holds
        message = SiteMessage(
            subject=subject, body=body, to=[row.email], headers={"Message-ID": message_id()}
        )
        if row.campaign.contact_email:
            message.reply_to = [row.campaign.contact_email]
        try:
            message.send()
        except (smtplib.SMTPException, OSError, UnicodeError, ValueError) as error:
            # The error's text may hold the address: only the report's id is told.
            code = getattr(error, "smtp_code", None) or type(error).__name__
            logger.warning("Could not send the confirmation for report %s (%s)", row.pk, code)
            raise MailNotSent(f"confirmation for report {row.pk}: {code}") from None
        logger.info("Sent the confirmation for report %s", row.pk)


RESOLUTION_CONFIRMATIONS = register(ResolutionConfirmations())
