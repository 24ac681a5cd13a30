"""The reporter's confirmation link, an outbox on the report row (mailing/outbox.py)."""

from django.conf import settings
from django.urls import reverse

from mailing.outbox import Outbox, register
from resolutions.models import PassedResolution
from resolutions.tokens import CONFIRM, LINKS
from signatories.mail import absolute, site_mail


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
        """The link to confirm, in the reporter's language (signatories.mail.site_mail: never
        to a suppressed address)."""
        path = reverse("resolutions:confirm", kwargs={"token": LINKS.make(row, CONFIRM)})
        language = row.language or settings.LANGUAGE_CODE
        site_mail(
            template="resolutions/email/confirm",
            context={
                "report": row,
                "campaign": row.campaign,
                "confirm_url": f"{absolute(path)}?lang={language}",
                "campaign_url": f"{absolute(row.campaign.get_absolute_url())}?lang={language}",
                "confirm_days": settings.CONFIRMATION_MAX_AGE_DAYS,
            },
            to=row.email,
            language=language,
            what=f"confirmation mail for report {row.pk}",
            reply_to=row.campaign.contact_email,
        )


RESOLUTION_CONFIRMATIONS = register(ResolutionConfirmations())
