"""The suppression list: addresses a provider bounced or that complained get no more mail.

Ask `is_suppressed(address)` before sending any mail to a person; `suppress`
adds an address (idempotent), `lift` takes it off. Addresses are looked up by
their keyed hash, which belongs to signatories (signatories/crypto.py
blind_index): mailing imports no app of ours (docs/architecture.md), so the
function is named in settings.MAIL_ADDRESS_INDEX, the way EMAIL_BACKEND names a
backend.
"""

import functools
import logging

from django.conf import settings
from django.core.signals import setting_changed
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils.module_loading import import_string

from mailing.models import Suppression, SuppressionReason

logger = logging.getLogger(__name__)

__all__ = ["Suppression", "SuppressionReason", "address_hash", "is_suppressed", "lift", "suppress"]


@functools.cache
def _index():
    return import_string(settings.MAIL_ADDRESS_INDEX)


@receiver(setting_changed)
def _forget_index(*, setting, **kwargs):
    if setting == "MAIL_ADDRESS_INDEX":
        _index.cache_clear()


def address_hash(address):
    """The keyed hash an address is suppressed under; "" for no address."""
    return _index()(address or "")


def is_suppressed(address) -> bool:
    """Whether no mail may go to this address (one indexed lookup; False for no address)."""
    digest = address_hash(address)
    return bool(digest) and Suppression.objects.filter(email_hash=digest).exists()


def suppress(address, *, reason, provider="", event_id="", added_by=None):
    """Put an address on the list; returns (the row, whether it was added now).

    Idempotent: an address already there keeps its row as it is (the first
    reason and event stand), so a replayed webhook changes nothing. Logs the
    hash's first characters, never the address.
    """
    digest = address_hash(address)
    if not digest:
        raise ValueError("No address to suppress.")
    try:
        with transaction.atomic():
            row, created = Suppression.objects.get_or_create(
                email_hash=digest,
                defaults={
                    "reason": reason,
                    "provider": provider[:32],
                    "event_id": event_id[:128],
                    "added_by": added_by,
                },
            )
    except IntegrityError:  # a concurrent webhook for the same address won the INSERT
        row, created = Suppression.objects.get(email_hash=digest), False
    if created:
        logger.info("Suppressed address %s… (%s, %s)", digest[:12], reason, provider or "by hand")
    return row, created


def lift(suppression):
    """Take an address off the list: mail may go to it again."""
    digest = suppression.email_hash
    suppression.delete()
    logger.info("Lifted the suppression of address %s…", digest[:12])
