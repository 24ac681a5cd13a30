"""Signed, expiring links for confirming and withdrawing a signature.

A token names the signatory and carries a fingerprint of its e-mail address,
so erasing the address (or the row) kills every link sent to it. Nothing in
the token reveals the address itself.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac


class TokenInvalid(Exception):
    """Forged, truncated or for a signature that no longer exists."""


class TokenExpired(TokenInvalid):
    pass


CONFIRM = "confirm"
WITHDRAW = "withdraw"
ERASE = "erase"
UNSUBSCRIBE = "unsubscribe"
RESTORE = "restore"


def _max_age(purpose):
    days = {
        CONFIRM: settings.CONFIRMATION_MAX_AGE_DAYS,
        WITHDRAW: settings.WITHDRAWAL_MAX_AGE_DAYS,
        ERASE: settings.WITHDRAWAL_MAX_AGE_DAYS,
        UNSUBSCRIBE: settings.WITHDRAWAL_MAX_AGE_DAYS,
        RESTORE: settings.CONFIRMATION_MAX_AGE_DAYS,
    }[purpose]
    return timedelta(days=days)


def _fingerprint(email, secret=None):
    return salted_hmac(
        "signatories.token.email", email.strip().lower(), secret=secret, algorithm="sha256"
    ).hexdigest()[:16]


def make_token(signatory, purpose):
    signer = signing.TimestampSigner(salt=f"signatories.{purpose}")
    return signer.sign(f"{signatory.pk}.{_fingerprint(signatory.email)}")


def read_token(token, purpose):
    """Return (signatory id, e-mail fingerprint) or raise TokenInvalid / TokenExpired."""
    signer = signing.TimestampSigner(salt=f"signatories.{purpose}")
    try:
        value = signer.unsign(token, max_age=_max_age(purpose))
    except signing.SignatureExpired:
        raise TokenExpired from None
    except signing.BadSignature:
        raise TokenInvalid from None
    pk, _, fingerprint = value.partition(".")
    if not (pk.isascii() and pk.isdigit()) or not fingerprint:
        raise TokenInvalid
    return int(pk), fingerprint


def matches(signatory, fingerprint):
    """Does the link belong to this address? Old keys count too, as for the signature itself,
    so rotating SECRET_KEY (with the old one in SECRET_KEY_FALLBACKS) keeps links working."""
    if not signatory.email:
        return False
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(
        constant_time_compare(_fingerprint(signatory.email, secret), fingerprint)
        for secret in secrets
    )
