"""Signed, expiring links in mails: confirming and withdrawing a signature, and the like.

A token names a row and carries a fingerprint of its e-mail address, so
erasing the address (or the row) kills every link sent to it. Nothing in
the token reveals the address itself. Each kind of row signs under a
namespace of its own (`SignedLinks`): a signature's link can never be
replayed as an event sign-up's (attendance/) or a report's (resolutions/).
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac


class TokenInvalid(Exception):
    """Forged, truncated or for a row that no longer exists."""


class TokenExpired(TokenInvalid):
    pass


class SignedLinks:
    """Tokens for the rows of one kind, each with an `email` and a `pk`.

    `max_age_days` maps each purpose to a function giving its life in days,
    read when a token is read (tests and operators change the settings).
    """

    def __init__(self, namespace, max_age_days):
        self.namespace = namespace
        self.max_age_days = max_age_days

    def _signer(self, purpose):
        return signing.TimestampSigner(salt=f"{self.namespace}.{purpose}")

    def _fingerprint(self, email, secret=None):
        return salted_hmac(
            f"{self.namespace}.token.email",
            email.strip().lower(),
            secret=secret,
            algorithm="sha256",
        ).hexdigest()[:16]

    def make(self, row, purpose):
        return self._signer(purpose).sign(f"{row.pk}.{self._fingerprint(row.email)}")

    def read(self, token, purpose):
        """Return (row id, e-mail fingerprint) or raise TokenInvalid / TokenExpired."""
        max_age = timedelta(days=self.max_age_days[purpose]())
        try:
            value = self._signer(purpose).unsign(token, max_age=max_age)
        except signing.SignatureExpired:
            raise TokenExpired from None
        except signing.BadSignature:
            raise TokenInvalid from None
        pk, _, fingerprint = value.partition(".")
        if not (pk.isascii() and pk.isdigit()) or not fingerprint:
            raise TokenInvalid
        return int(pk), fingerprint

    def matches(self, row, fingerprint):
        """Does the link belong to this address? Old keys count too, as for the row itself,
        so rotating SECRET_KEY (with the old one in SECRET_KEY_FALLBACKS) keeps links working."""
        if not row.email:
            return False
        secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        return any(
            constant_time_compare(self._fingerprint(row.email, secret), fingerprint)
            for secret in secrets
        )


CONFIRM = "confirm"
WITHDRAW = "withdraw"
ERASE = "erase"
UNSUBSCRIBE = "unsubscribe"
RESTORE = "restore"


def _confirmation_days():
    return settings.CONFIRMATION_MAX_AGE_DAYS


def _withdrawal_days():
    return settings.WITHDRAWAL_MAX_AGE_DAYS


SIGNATURE_LINKS = SignedLinks(
    "signatories",
    {
        CONFIRM: _confirmation_days,
        WITHDRAW: _withdrawal_days,
        ERASE: _withdrawal_days,
        UNSUBSCRIBE: _withdrawal_days,
        RESTORE: _confirmation_days,
    },
)


def make_token(signatory, purpose):
    return SIGNATURE_LINKS.make(signatory, purpose)


def read_token(token, purpose):
    """Return (signatory id, e-mail fingerprint) or raise TokenInvalid / TokenExpired."""
    return SIGNATURE_LINKS.read(token, purpose)


def matches(signatory, fingerprint):
    return SIGNATURE_LINKS.matches(signatory, fingerprint)
