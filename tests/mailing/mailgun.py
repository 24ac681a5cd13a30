"""Mailgun's webhook payloads, built and signed exactly as Mailgun does.

Mailgun posts JSON: the event under "event-data", and a "signature" block of a
timestamp, a random token and the HMAC-SHA256 of timestamp + token keyed with
the account's webhook signing key (documentation.mailgun.com, "Securing
webhooks"). The event bodies follow Mailgun's own samples for each event.
"""

import hashlib
import hmac
import json
import secrets
import time

from django.urls import reverse

SIGNING_KEY = "key-tests-0123456789abcdef0123456789abcdef"


def signature(key=SIGNING_KEY, *, timestamp=None, token=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    token = token or secrets.token_hex(25)
    digest = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": timestamp, "token": token, "signature": digest}


def event_data(event, recipient, **fields):
    domain = recipient.partition("@")[2]
    data = {
        "id": secrets.token_urlsafe(16),
        "timestamp": time.time(),
        "log-level": "error" if event in {"failed", "complained"} else "info",
        "event": event,
        "envelope": {
            "sender": "letters@mg.letters.example.org",
            "transport": "smtp",
            "targets": recipient,
        },
        "flags": {"is-routed": False, "is-authenticated": True, "is-test-mode": False},
        "message": {
            "headers": {
                "to": recipient,
                "message-id": "20261204.1@letters.example.org",
                "from": "Open letters <letters@letters.example.org>",
                "subject": "Please confirm your signature",
            },
            "attachments": [],
            "size": 2411,
        },
        "recipient": recipient,
        "recipient-domain": domain,
        "campaigns": [],
        "tags": [],
        "user-variables": {},
    }
    return {**data, **fields}


def hard_bounce(recipient):
    return event_data(
        "failed",
        recipient,
        severity="permanent",
        reason="bounce",
        **{
            "delivery-status": {
                "attempt-no": 1,
                "code": 550,
                "message": "5.1.1 The email account that you tried to reach does not exist.",
                "description": "",
                "session-seconds": 0.4,
            }
        },
    )


def soft_bounce(recipient):
    return event_data(
        "failed",
        recipient,
        severity="temporary",
        reason="generic",
        **{
            "delivery-status": {
                "attempt-no": 1,
                "code": 452,
                "message": "4.2.2 The email account that you tried to reach is over quota.",
                "description": "",
                "session-seconds": 0.3,
                "retry-seconds": 600,
            }
        },
    )


def complaint(recipient):
    return event_data("complained", recipient)


def delivered(recipient):
    return event_data(
        "delivered",
        recipient,
        **{"delivery-status": {"code": 250, "message": "OK", "attempt-no": 1}},
    )


def payload(data, *, sign=True, key=SIGNING_KEY, block=None, **signed):
    """The JSON body; `block`: a signature block made before (a replay)."""
    body = {"event-data": data}
    if sign:
        body["signature"] = block or signature(key, **signed)
    return json.dumps(body)


def post(client, body, **extra):
    return client.post(
        reverse("mailing:mailgun_events"), body, content_type="application/json", **extra
    )
