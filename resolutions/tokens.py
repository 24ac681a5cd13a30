"""The reporter's confirmation link (signatories/tokens.py `SignedLinks`, its own namespace)."""

from django.conf import settings

from signatories.tokens import SignedLinks

CONFIRM = "confirm"

LINKS = SignedLinks("resolutions", {CONFIRM: lambda: settings.CONFIRMATION_MAX_AGE_DAYS})
