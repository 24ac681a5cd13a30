"""Keeping personal data no longer than needed: unconfirmed signatures, addresses after hand-in.

Both go a batch at a time, each batch in a transaction of its own, in
primary-key order from where the last batch ended: a million rows never
sit in one transaction holding their locks while people sign, and a run cut
short is finished by running it again (what is done no longer matches).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from signatories.models import Signatory
from signatories.signals import addresses_removed_send

logger = logging.getLogger(__name__)

BATCH = 2000


def _in_batches(rows, act, *, batch_size, on_batch):
    """Call act(ids) on the matching rows, batch by batch in pk order; how many were acted on."""
    ids, last, done = rows.order_by("pk").values_list("pk", flat=True), 0, 0
    while chunk := list(ids.filter(pk__gt=last)[:batch_size]):
        last = chunk[-1]
        with transaction.atomic():
            done += act(chunk)
        if on_batch is not None:
            on_batch(done)
    return done


def signatories_unconfirmed_stale(*, older_than_days):
    """Signatures never confirmed, older than the retention period."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    return Signatory.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff)


def signatories_purge_unconfirmed(*, older_than_days, batch_size=BATCH, on_batch=None):
    """Delete signatures never confirmed within the retention period; safe to run again.

    `on_batch(deleted so far)` after each batch.
    """
    stale = signatories_unconfirmed_stale(older_than_days=older_than_days)

    def delete(ids):
        # Re-checked under the batch's own transaction: one confirmed meanwhile stays.
        _, by_model = stale.filter(pk__in=ids).delete()
        return by_model.get(Signatory._meta.label, 0)

    count = _in_batches(stale, delete, batch_size=batch_size, on_batch=on_batch)
    logger.info("Purged %s unconfirmed signatures older than %s days", count, older_than_days)
    return count


def signatories_anonymise(*, letter, batch_size=BATCH, on_batch=None):
    """Erase a letter's e-mail addresses and IP hashes, keeping names, choices and counts.

    For after the hand-in, when nobody needs to be contacted about this letter
    any more. Running it again changes nothing. `on_batch(anonymised so far)`.
    """
    pending = Signatory.objects.filter(letter=letter, anonymised_at__isnull=True)
    now = timezone.now()

    def anonymise(ids):
        return pending.filter(pk__in=ids).update(
            email="", email_hash="", ip_hash="", anonymised_at=now
        )

    count = _in_batches(pending, anonymise, batch_size=batch_size, on_batch=on_batch)
    addresses_removed_send(letter.pk)
    logger.info("Letter %s anonymised: %s signatures", letter.pk, count)
    return count
