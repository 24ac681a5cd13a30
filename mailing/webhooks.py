"""Delivery events from the mail provider: a hard bounce or a complaint suppresses the address.

The provider is Mailgun, through django-anymail's tracking webhook: anymail
checks each event's signature (an HMAC-SHA256 of its timestamp and token, keyed
with the webhook signing key Mailgun shows in its control panel) and sends
`anymail.signals.tracking`, which `record_tracking_event` receives. Mailgun
signs every event, so a forged "bounce" cannot take a supporter off our mail.

Without MAILGUN_WEBHOOK_SIGNING_KEY (a plain SMTP set-up: the default) the URL
answers 404 and nothing is read: anymail's own view would fail with a 500.
"""

import hashlib
import json
import logging
import time

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import EventType
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt

from mailing.models import SuppressionReason
from mailing.suppression import suppress

logger = logging.getLogger(__name__)

# Only what says the address cannot or must not take mail. A "deferred" event (a soft
# bounce: a full mailbox, a greylisting server) is retried by the provider; "rejected"
# is the provider refusing to send (its own policy), not the address failing.
SUPPRESSING = {
    EventType.BOUNCED: SuppressionReason.BOUNCED,
    EventType.COMPLAINED: SuppressionReason.COMPLAINED,
}


def record_tracking_event(sender, event, esp_name, **kwargs):
    """anymail.signals.tracking receiver: suppress a hard bounce's or a complaint's address.

    Logs the provider's event id and type, never the recipient. A replayed
    event finds the address there already and changes nothing.
    """
    reason = SUPPRESSING.get(event.event_type)
    if reason is None:
        return
    if not event.recipient:
        logger.warning("A %s event from %s named no recipient", event.event_type, esp_name)
        return
    suppress(
        event.recipient,
        reason=reason,
        provider=esp_name.lower(),
        event_id=event.event_id or "",
    )


def _signature_block(request):
    """(timestamp, token) of a request whose signature anymail has just checked."""
    if request.content_type == "application/json":
        block = json.loads(request.body.decode("utf-8"))["signature"]
        return int(block["timestamp"]), str(block["token"])
    return int(request.POST["timestamp"]), str(request.POST["token"])


class MailgunEvents(MailgunTrackingWebhookView):
    """anymail's Mailgun view, answering 400 to a signed event it cannot read, and reading
    each signed token once.

    Mailgun's signature covers the timestamp and token, not the body: one
    signed request, captured, could be sent again with another recipient and
    take that address off our mail. As Mailgun advises, a token is taken once
    (kept in the shared cache for MAILGUN_EVENT_MAX_AGE_SECONDS) and a
    timestamp older than that is not read; both are answered 200 with nothing
    done, so Mailgun does not retry them. Only a body that passed the
    signature check reaches `parse_events`; one missing a field anymail reads
    (a changed format) is Mailgun's to resend, not a 500 in our logs.
    """

    def parse_events(self, request):
        try:
            timestamp, token = _signature_block(request)
            max_age = settings.MAILGUN_EVENT_MAX_AGE_SECONDS
            if abs(time.time() - timestamp) > max_age:
                logger.warning(
                    "A signed Mailgun event %s seconds old was not read",
                    int(time.time() - timestamp),
                )
                return []
            key = f"mailgun-token:{hashlib.sha256(token.encode()).hexdigest()}"
            if cache.get(key):
                logger.warning("A signed Mailgun event was sent again with its token: not read")
                return []
            request.mailgun_token_key = key  # taken once its events are recorded (post)
            return super().parse_events(request)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise AnymailWebhookValidationFailure(
                "A signed Mailgun event in a format not understood"
            ) from None

    def post(self, request, *args, **kwargs):
        """The token counts as taken only once its events are recorded: if recording fails
        (the database away: a 500), Mailgun's retry with the same token is read."""
        response = super().post(request, *args, **kwargs)
        key = getattr(request, "mailgun_token_key", None)
        if key is not None and response.status_code == 200:
            cache.set(key, 1, settings.MAILGUN_EVENT_MAX_AGE_SECONDS)
        return response


def provider_configured():
    return bool(getattr(settings, "ANYMAIL", {}).get("MAILGUN_WEBHOOK_SIGNING_KEY"))


@csrf_exempt  # signed by Mailgun instead: anymail checks the signature
def mailgun_events(request):
    if not provider_configured():
        return HttpResponseNotFound(
            "Delivery events are not taken here: MAILGUN_WEBHOOK_SIGNING_KEY is not set.",
            content_type="text/plain",
        )
    # A view per request, as as_view() makes: it reads the key from the settings.
    return MailgunEvents.as_view()(request)
