"""Signed links in a sign-up's mails: confirm the address, cancel the sign-up.

As for signatures (signatories/tokens.py `SignedLinks`): a token names the
sign-up and carries a fingerprint of its address, so a link stops working
when the row is gone (cancelled, purged) and reveals nothing of the address.
A namespace of its own: a signature's link can never be replayed here, nor
the other way round.
"""

from django.conf import settings

from signatories.tokens import SignedLinks, TokenExpired, TokenInvalid

CONFIRM = "confirm"
CANCEL = "cancel"

__all__ = ["CANCEL", "CONFIRM", "TokenExpired", "TokenInvalid", "make_token", "read_token"]

LINKS = SignedLinks(
    "attendance",
    {
        CONFIRM: lambda: settings.CONFIRMATION_MAX_AGE_DAYS,
        # A cancel link must work until the event; the row is purged days after it anyway.
        CANCEL: lambda: 400,
    },
)
make_token = LINKS.make
read_token = LINKS.read
matches = LINKS.matches
