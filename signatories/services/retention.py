"""Keeping personal data no longer than needed: unconfirmed signatures, addresses after hand-in."""

import logging
from datetime import timedelta

from django.utils import timezone

from signatories.models import Signatory

logger = logging.getLogger(__name__)


def signatories_purge_unconfirmed(*, older_than_days):
    """Delete signatures never confirmed within the retention period; safe to run again."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    count, _ = Signatory.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff).delete()
    logger.info("Purged %s unconfirmed signatures older than %s days", count, older_than_days)
    return count


def signatories_anonymise(*, letter):
    """Erase a letter's e-mail addresses and IP hashes, keeping names, choices and counts.

    For after the hand-in, when nobody needs to be contacted about this letter
    any more. Running it again changes nothing.
    """
    count = Signatory.objects.filter(letter=letter, anonymised_at__isnull=True).update(
        email="", email_hash="", ip_hash="", anonymised_at=timezone.now()
    )
    logger.info("Letter %s anonymised: %s signatures", letter.pk, count)
    return count
