"""Moving every stored address to the newest key (and the current index key).

Signatures are not the only rows with an address: event sign-ups
(attendance/) and reports of a resolution passed (resolutions/) keep theirs
in the same fields, and register their models here in their ready(), so one
run of `reencrypt_emails` moves them all. The suppression list (mailing/)
keeps only a hash: each hash that changes is changed there too, so an
address that complained stays suppressed under the new index key.
"""

import logging
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models.functions import Cast

from mailing.models import Suppression
from signatories import crypto
from signatories.models import Signatory

logger = logging.getLogger(__name__)

# Models with an `email` (EncryptedEmailField) and its `email_hash` (BlindIndexField).
_ADDRESS_MODELS = [Signatory]


def register_address_model(model):
    if model not in _ADDRESS_MODELS:
        _ADDRESS_MODELS.append(model)
    return model


def address_models():
    return list(_ADDRESS_MODELS)


@dataclass
class Progress:
    total: int
    done: int = 0  # rows looked at
    changed: int = 0  # rows written again


def signatories_reencrypt(*, batch_size=1000, on_batch=None):
    """Re-encrypt each address under the newest key and re-hash it under the index key.

    Every model with an address (`address_models`), a batch at a time, in
    primary-key order, each batch in a transaction of its own holding only
    its rows: signing goes on beside it, and a run cut short loses at most
    one uncommitted batch. A row the newest key opens and whose hash is
    current is left alone, so a second run (or a run after an interruption)
    only reads. Returns the Progress; `on_batch` is called with it.
    """
    models_ = address_models()
    progress = Progress(total=sum(m.objects.exclude(email="").count() for m in models_))
    for model in models_:
        _reencrypt_model(model, progress, batch_size=batch_size, on_batch=on_batch)
    logger.info("Re-encrypted %s of %s addresses", progress.changed, progress.done)
    return progress


def _reencrypt_model(model, progress, *, batch_size, on_batch):
    with_address = model.objects.exclude(email="")
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
            stale = [row for row in (_renewed(model, row) for row in batch) if row is not None]
            _write_back(model, [new for _, new in stale])
            _suppressions_follow({old: new.email_hash for old, new in stale})
        last = batch[-1].pk
        progress.done += len(batch)
        progress.changed += len(stale)
        if on_batch is not None:
            on_batch(progress)


def _suppressions_follow(renamed):
    """An address on the suppression list under its old hash goes on it under the new one."""
    renamed = {old: new for old, new in renamed.items() if old and old != new}
    if not renamed:
        return
    for row in Suppression.objects.filter(email_hash__in=renamed).select_for_update():
        new = renamed[row.email_hash]
        if Suppression.objects.filter(email_hash=new).exists():
            row.delete()  # on the list under both: the one row left is enough
        else:
            Suppression.objects.filter(pk=row.pk).update(email_hash=new)


def _write_back(model, rows):
    """Each row's new token and hash: one UPDATE from arrays on PostgreSQL (bulk_update's
    CASE per row is slow to plan for a batch of thousands), bulk_update elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, ["email", "email_hash"])
        return
    email = model._meta.get_field("email")
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS s SET email = v.email, email_hash = v.email_hash "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, email, email_hash) "
            "WHERE s.id = v.id",
            [
                [row.pk for row in rows],
                [email.get_db_prep_save(row.email, connection) for row in rows],
                [row.email_hash for row in rows],
            ],
        )


def _renewed(model, row):
    """(its old hash, the row to write back), or None if it is under the newest keys already."""
    address, newest = crypto.decrypt_noting_key(row.token)
    if newest and crypto.blind_index(address) == row.email_hash:
        return None
    # Saved through the field: encrypted with the newest key.
    return row.email_hash, model(pk=row.pk, email=address, email_hash=crypto.blind_index(address))
