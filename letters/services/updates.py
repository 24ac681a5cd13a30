"""Updates to signatories, and the receipt each gets when the letter is handed in.

Sending is exactly-once per signatory and update: one UpdateRecipient row
each (a unique constraint), mailed through the outbox (letters/outboxes.py).
Sending an update again only sends what has not gone yet.
"""

import logging

from django.db import transaction
from django.utils import timezone, translation

from letters.models import RecipientStatus, Update, UpdateKind, UpdateRecipient
from letters.outboxes import UPDATE_COPIES
from letters.selectors import update_audience_ids
from mailing.services import outbox_schedule

logger = logging.getLogger(__name__)


def update_send(*, update):
    """Queue the update for everyone in its audience who has not had it; returns how many."""
    with transaction.atomic():
        pages = update.letter.delivery.pages if update.kind == UpdateKind.RECEIPT else {}
        now = timezone.now()
        UpdateRecipient.objects.bulk_create(
            [
                UpdateRecipient(update=update, signatory_id=pk, page=pages.get(str(pk)), due_at=now)
                for pk in update_audience_ids(update=update, pages=pages)
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
        Update.objects.filter(pk=update.pk).update(send_requested_at=now)
        waiting = update.recipients.filter(
            status__in=[RecipientStatus.QUEUED, RecipientStatus.FAILED]
        )
        UPDATE_COPIES.add(waiting)  # new copies, and failed ones once more
        count = waiting.count()
        transaction.on_commit(lambda: outbox_schedule(outbox=UPDATE_COPIES))
    logger.info("Update %s: %s copies queued", update.pk, count)
    return count


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
