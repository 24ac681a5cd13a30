"""Moving every stored address to the newest key (and the current index key)."""

import logging
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models.functions import Cast

from signatories import crypto
from signatories.models import Signatory

logger = logging.getLogger(__name__)


@dataclass
class Progress:
    total: int
    done: int = 0  # rows looked at
    changed: int = 0  # rows written again


def signatories_reencrypt(*, batch_size=1000, on_batch=None):
    """Re-encrypt each address under the newest key and re-hash it under the index key.

    A batch at a time, in primary-key order, each batch in a transaction of
    its own holding only its rows: signing goes on beside it, and a run cut
    short loses at most one uncommitted batch. A row the newest key opens and
    whose hash is current is left alone, so a second run (or a run after an
    interruption) only reads. Returns the Progress; `on_batch` is called with it.
    """
    with_address = Signatory.objects.exclude(email="")
    progress = Progress(total=with_address.count())
    last = 0
    while True:
        with transaction.atomic():
            batch = list(
                with_address.filter(pk__gt=last)
                .order_by("pk")
                .select_for_update()
                # The stored token, not the address the field would decrypt it into.
                .annotate(token=Cast("email", models.TextField()))
                .only("pk", "email_hash")[:batch_size]
            )
            if not batch:
                break
            stale = [row for row in map(_renewed, batch) if row is not None]
            Signatory.objects.bulk_update(stale, ["email", "email_hash"])
        last = batch[-1].pk
        progress.done += len(batch)
        progress.changed += len(stale)
        if on_batch is not None:
            on_batch(progress)
    logger.info("Re-encrypted %s of %s addresses", progress.changed, progress.done)
    return progress


def _renewed(row):
    """A row to write back, or None if it is under the newest keys already."""
    address, newest = crypto.decrypt_noting_key(row.token)
    if newest and crypto.blind_index(address) == row.email_hash:
        return None
    # Saved through the field: encrypted with the newest key.
    return Signatory(pk=row.pk, email=address, email_hash=crypto.blind_index(address))
