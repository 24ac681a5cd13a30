"""Updates to signatories, and the receipt each gets when the letter is handed in.

Sending is exactly-once per signatory and update: one UpdateRecipient row
each (a unique constraint), mailed through the outbox (letters/outboxes.py).
Sending an update again only sends what has not gone yet.
"""

import itertools
import logging

from django.db import connection, transaction
from django.db.models import CharField, DateTimeField, Q, Value
from django.utils import timezone, translation

from letters.models import RecipientStatus, Update, UpdateKind, UpdateRecipient
from letters.outboxes import UPDATE_COPIES
from letters.selectors import signed_pdf_pages, update_audience
from mailing.services import outbox_schedule

logger = logging.getLogger(__name__)


RECEIPT_BATCH = 5000


def update_send(*, update):
    """Queue the update for everyone in its audience who has not had it; returns how many.

    A news update's copies are one INSERT ... SELECT from the audience,
    whatever its size (a million copies never sit in memory); a receipt's
    follow the delivered PDF's page map a batch at a time, each copy naming
    its page. Copies that exist already are left alone, failed ones are
    tried again.
    """
    now = timezone.now()
    if update.kind == UpdateKind.RECEIPT:
        _receipt_copies(update, now)
    with transaction.atomic():
        if update.kind != UpdateKind.RECEIPT:
            _copies(update, update_audience(update=update), now)
        Update.objects.filter(pk=update.pk).update(send_requested_at=now)
        failed = update.recipients.filter(
            Q(status=RecipientStatus.FAILED) | Q(status=RecipientStatus.QUEUED, due_at=None)
        )
        UPDATE_COPIES.add(failed)  # tried once more; new copies are owed from their INSERT
        count = update.recipients.filter(
            status__in=[RecipientStatus.QUEUED, RecipientStatus.FAILED]
        ).count()
        transaction.on_commit(lambda: outbox_schedule(outbox=UPDATE_COPIES))
    logger.info("Update %s: %s copies queued", update.pk, count)
    return count


def _copies(update, audience, now):
    """INSERT ... SELECT one queued copy per signatory of `audience`, skipping those there."""
    source = audience.order_by().annotate(
        copy_of=Value(update.pk),
        queued=Value(RecipientStatus.QUEUED, output_field=CharField()),
        owed=Value(now, output_field=DateTimeField()),
        tries=Value(0),
    )
    select_sql, params = source.values_list(
        "copy_of", "pk", "queued", "owed", "tries"
    ).query.sql_with_params()
    table = UpdateRecipient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (update_id, signatory_id, status, due_at, attempts) "
            f"{select_sql} ON CONFLICT DO NOTHING",
            params,
        )


def _receipt_copies(update, now):
    """One copy per printed name still in the audience, with its page; a batch at a time.

    Each batch is a transaction of its own: a receipt run cut short keeps
    what it queued, and running it again adds only what is missing.
    """
    audience = update_audience(update=update)
    signed = update.letter.delivery.signed_pdf
    for batch in itertools.batched(signed_pdf_pages(signed), RECEIPT_BATCH):
        pages = dict(batch)
        wanted = audience.filter(pk__in=list(pages)).values_list("pk", flat=True)
        with transaction.atomic():
            UpdateRecipient.objects.bulk_create(
                [
                    UpdateRecipient(update=update, signatory_id=pk, page=pages[pk], due_at=now)
                    for pk in wanted
                ],
                ignore_conflicts=True,
            )


def receipt_create_and_send(*, letter):
    """At delivery: one receipt per printed, consenting signatory, naming their page."""
    with translation.override(letter.language):
        update, _ = Update.objects.get_or_create(
            letter=letter,
            kind=UpdateKind.RECEIPT,
            defaults={
                "subject": f"Delivered: {letter.title}",
                "body": "",
                "is_public": False,
            },
        )
    return update_send(update=update)
