"""Updates to signatories, and the receipt each gets when the letter is handed in.

Sending is exactly-once per signatory: one UpdateRecipient row each (a
unique constraint), sent by tasks in batches that lock each row while they
send it. Sending an update again only sends what has not gone yet.
"""

import logging

from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation

from letters.models import RecipientStatus, Update, UpdateKind, UpdateRecipient
from signatories.models import Signatory

logger = logging.getLogger(__name__)
BATCH_SIZE = 200


def update_audience(*, update):
    """Who may get this update: confirmed, consenting, not withdrawn, not erased or anonymised.

    A receipt is narrowed further to the names printed in the delivered
    letter (see `_audience_ids`).
    """
    return (
        Signatory.objects.filter(letter=update.letter, consents_to_updates=True)
        .confirmed()
        .not_withdrawn()
        .exclude(email="")
    )


def update_audience_count(*, update):
    """How many copies sending would make (a receipt: printed names only)."""
    pages = update.letter.delivery.pages if update.kind == UpdateKind.RECEIPT else {}
    return len(_audience_ids(update, pages))


def _audience_ids(update, pages):
    ids = update_audience(update=update).values_list("pk", flat=True).iterator(chunk_size=5000)
    if update.kind != UpdateKind.RECEIPT:
        return list(ids)
    # Filtered here, not with pk__in: 100,000 printed names would be more
    # query parameters than SQLite allows.
    return [pk for pk in ids if str(pk) in pages]


def update_send(*, update):
    """Queue the update for everyone in its audience who has not had it; returns how many."""
    with transaction.atomic():
        pages = update.letter.delivery.pages if update.kind == UpdateKind.RECEIPT else {}
        ids = _audience_ids(update, pages)
        UpdateRecipient.objects.bulk_create(
            [
                UpdateRecipient(update=update, signatory_id=pk, page=pages.get(str(pk)))
                for pk in ids
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
        Update.objects.filter(pk=update.pk).update(send_requested_at=timezone.now())
        waiting = list(
            update.recipients.filter(
                status__in=[RecipientStatus.QUEUED, RecipientStatus.FAILED]
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue_batches(update.pk, waiting))
    logger.info("Update %s: %s copies queued", update.pk, len(waiting))
    return len(waiting)


def _enqueue_batches(update_id, recipient_ids):
    from letters.tasks import send_update_batch

    for start in range(0, len(recipient_ids), BATCH_SIZE):
        send_update_batch.enqueue(update_id, recipient_ids[start : start + BATCH_SIZE])


def update_counts(*, update):
    """How many copies are queued, sent, failed and cancelled."""
    counts = dict.fromkeys(RecipientStatus.values, 0)
    for row in update.recipients.values("status").order_by().annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


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


def update_preview(*, update):
    """(subject, body) as a signatory receives it, for a stand-in signatory."""
    from django.template.loader import render_to_string

    from signatories.mail import absolute

    stand_in = Signatory(letter=update.letter, name="Ada Example")
    receipt = update.kind == UpdateKind.RECEIPT
    context = {
        "signatory": stand_in,
        "letter": update.letter,
        "update": update,
        "unsubscribe_url": "(each signatory's own one-click link)",
        "letter_url": absolute(update.letter.get_absolute_url()),
        "page": "(their page)" if receipt else None,
        "delivery": getattr(update.letter, "delivery", None) if receipt else None,
        "delivered_pdf_url": "(the delivered PDF)",
    }
    template = "letters/email/receipt" if receipt else "letters/email/update"
    subject = render_to_string(f"{template}_subject.txt", context)
    body = render_to_string(f"{template}_body.txt", context)
    return " ".join(subject.split()), body
