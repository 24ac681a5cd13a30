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
import os
import queue
import subprocess
import sys
import threading
from typing import NamedTuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from signatories import decrypt_helper
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


def seal(data):
    """Bytes kept for a while that hold addresses (a contacts export's parts), encrypted
    with the newest key like the addresses themselves."""
    return _ciphers().every_key.encrypt(data)


def unseal(token):
    """The bytes `seal` was given, with whichever configured key sealed them."""
    try:
        return _ciphers().every_key.decrypt(bytes(token))
    except InvalidToken:
        raise UndecryptableAddress(
            "A sealed export opens with none of EMAIL_ENCRYPTION_KEYS: ask for it again."
        ) from None


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


# Decrypting many addresses at once (a staff export of a million rows): each
# decryption is ~8 µs of Python around the cipher, so a million are ~8 s of one
# core. A helper process (signatories/decrypt_helper.py) decrypts one batch
# while the caller writes the previous one.


def decrypt_many(tokens):
    """The addresses of these tokens, in order ("" for "")."""
    return [decrypt(token) for token in tokens]


class _Done:
    """A decryption done here and now, shaped like the helper's answers."""

    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


class _Helper:
    """The helper process, fed batches by a thread of ours and answering in order."""

    def __init__(self, keys):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "signatories.decrypt_helper"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=settings.BASE_DIR,
            env={**os.environ, decrypt_helper.KEYS: ",".join(keys)},
        )
        self.batches = queue.SimpleQueue()
        self.feeder = threading.Thread(target=self._feed, name="decrypt-feeder", daemon=True)
        self.feeder.start()

    def _feed(self):
        # A thread of its own: the helper may be writing an answer we have not read
        # yet while we hand it the next batch; one pipe must not wait on the other.
        try:
            while (tokens := self.batches.get()) is not None:
                decrypt_helper.write(self.process.stdin, tokens)
        except BrokenPipeError:
            pass  # the helper died; the reader below says so
        finally:
            self.process.stdin.close()

    def submit(self, tokens):
        self.batches.put(list(tokens))
        return self

    def result(self):
        addresses = decrypt_helper.read(self.process.stdout)
        if addresses is None:
            raise RuntimeError("The decryption helper stopped.")
        if decrypt_helper.UNOPENED in addresses:
            decrypt(next(t for t in addresses if t == decrypt_helper.UNOPENED))  # raises
        return addresses

    def close(self):
        self.batches.put(None)
        self.feeder.join()
        self.process.stdout.close()
        self.process.wait()


@contextlib.contextmanager
def decrypting(*, in_helper):
    """submit(tokens) -> something whose result() gives their addresses, in order.

    With `in_helper`, a helper process decrypts with exactly the keys this
    process opens with (passed to it, never to a log), a batch ahead of the
    caller; results must be asked for in the order batches were submitted.
    Otherwise here and now.
    """
    if not in_helper:
        yield lambda tokens: _Done(decrypt_many(tokens))
        return
    helper = _Helper([*encryption_keys(), *_also_opening])
    try:
        yield helper.submit
    finally:
        helper.close()
