"""Moving every stored address to the newest key (and the current index key)."""

import logging
from dataclasses import dataclass

from django.db import connection, models, transaction
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
            _write_back(stale)
        last = batch[-1].pk
        progress.done += len(batch)
        progress.changed += len(stale)
        if on_batch is not None:
            on_batch(progress)
    logger.info("Re-encrypted %s of %s addresses", progress.changed, progress.done)
    return progress


def _write_back(rows):
    """Each row's new token and hash: one UPDATE from arrays on PostgreSQL (bulk_update's
    CASE per row is slow to plan for a batch of thousands), bulk_update elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Signatory.objects.bulk_update(rows, ["email", "email_hash"])
        return
    email = Signatory._meta.get_field("email")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE signatories_signatory AS s SET email = v.email, email_hash = v.email_hash "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, email, email_hash) "
            "WHERE s.id = v.id",
            [
                [row.pk for row in rows],
                [email.get_db_prep_save(row.email, connection) for row in rows],
                [row.email_hash for row in rows],
            ],
        )


def _renewed(row):
    """A row to write back, or None if it is under the newest keys already."""
    address, newest = crypto.decrypt_noting_key(row.token)
    if newest and crypto.blind_index(address) == row.email_hash:
        return None
    # Saved through the field: encrypted with the newest key.
    return Signatory(pk=row.pk, email=address, email_hash=crypto.blind_index(address))
