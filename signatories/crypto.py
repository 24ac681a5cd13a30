"""Signatories' e-mail addresses at rest: encrypted, and found again by a keyed hash.

A stolen backup, a dump or a read-only SQL injection yields ciphertext and
hashes, not addresses. Two secrets from the environment, never from the
database:

- EMAIL_ENCRYPTION_KEYS: Fernet keys (AES-128-CBC with an HMAC-SHA256 tag,
  from `cryptography`), newest first. The newest encrypts; every key in the
  list decrypts, so a key can be rotated without a flag day
  (`manage.py reencrypt_emails` moves every row to the newest).
- EMAIL_INDEX_KEY: the key of the blind index, an HMAC-SHA256 of the
  normalised address. Equal addresses give equal hashes, so the database can
  hold one signature per address per letter and find a repeat signer by an
  index, without the address. Without the key a hash cannot be tested
  against a list of guessed addresses.

Without either setting (development, tests) both are derived from SECRET_KEY;
`check --deploy` refuses that (signatories.E004).
"""

import base64
import contextlib
import functools
import hashlib
import hmac
from typing import NamedTuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from signatories.names import normalise_email


def derived_key(purpose):
    """A key for development only, so `make run` needs no secrets set."""
    digest = hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def development_key():
    """The encryption key used while EMAIL_ENCRYPTION_KEYS is unset."""
    return derived_key("signatories.email.encryption")


def encryption_keys():
    """The configured keys, newest first; one derived from SECRET_KEY when none is."""
    return list(settings.EMAIL_ENCRYPTION_KEYS) or [development_key()]


def fingerprint(key):
    """A short name for a key, safe to print: which key is first, without showing it."""
    return hashlib.sha256(f"fingerprint:{key}".encode()).hexdigest()[:8]


def index_key():
    return settings.EMAIL_INDEX_KEY or derived_key("signatories.email.index")


# Keys that open old tokens for a while, after the configured ones (also_opening).
_also_opening = []


@contextlib.contextmanager
def also_opening(key):
    """Decrypt with one more key, last, for the length of a block; never encrypt with it."""
    _also_opening.append(key)
    _ciphers.cache_clear()
    try:
        yield
    finally:
        _also_opening.remove(key)
        _ciphers.cache_clear()


class Ciphers(NamedTuple):
    every_key: MultiFernet  # encrypts with the newest, decrypts with any
    newest: Fernet


@functools.cache
def _ciphers():
    try:
        fernets = [Fernet(key) for key in [*encryption_keys(), *_also_opening]]
    except (ValueError, TypeError) as error:
        # The message names no key: configuration errors end up in logs.
        raise ImproperlyConfigured(
            "EMAIL_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes), "
            "separated by commas; make one with `manage.py reencrypt_emails --new-key`."
        ) from error
    return Ciphers(every_key=MultiFernet(fernets), newest=fernets[0])


@functools.cache
def _index_key_bytes():
    return index_key().encode()


@receiver(setting_changed)
def _forget_keys(*, setting, **kwargs):
    if setting in {"EMAIL_ENCRYPTION_KEYS", "EMAIL_INDEX_KEY", "SECRET_KEY"}:
        _ciphers.cache_clear()
        _index_key_bytes.cache_clear()


class UndecryptableAddress(ImproperlyConfigured):
    """A stored address no configured key opens: a key was removed too early."""


def encrypt(address):
    """The address as stored: "" stays "" (no address), anything else becomes a token."""
    if not address:
        return ""
    return _ciphers().every_key.encrypt(address.encode()).decode("ascii")


def decrypt(token):
    if not token:
        return ""
    try:
        return _ciphers().every_key.decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise UndecryptableAddress(
            "A stored e-mail address opens with none of EMAIL_ENCRYPTION_KEYS: keep the old key "
            "in the list (after the new one) until `manage.py reencrypt_emails` has finished."
        ) from None


def decrypt_noting_key(token):
    """(the address, whether the newest key opened it): re-encryption skips those it did."""
    try:
        return _ciphers().newest.decrypt(token.encode("ascii")).decode(), True
    except InvalidToken:
        return decrypt(token), False


def blind_index(address):
    """The keyed hash that stands for an address in constraints and lookups; "" for none."""
    normalised = normalise_email(address or "")
    if not normalised:
        return ""
    return hmac.new(_index_key_bytes(), normalised.encode(), hashlib.sha256).hexdigest()


def new_key():
    return Fernet.generate_key().decode()
