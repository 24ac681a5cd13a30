import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from letters.models import Letter, RecipientStatus, Update, UpdateRecipient
from letters.services import letter_anonymise

logger = logging.getLogger(__name__)


@task()
def anonymise_letter_task(letter_id):
    """Scheduled at delivery, to run ANONYMISE_AFTER_DELIVERY_DAYS later."""
    letter = Letter.objects.filter(pk=letter_id).first()
    if letter is not None:
        letter_anonymise(letter=letter)


def _still_wanted(copy):
    signatory = copy.signatory
    return (
        signatory.consents_to_updates
        and signatory.withdrawn_at is None
        and bool(signatory.email)
        and signatory.letter_id == copy.update.letter_id
    )


def _claim(recipient_id):
    """Take one copy for this worker: a conditional UPDATE wins for exactly one worker.

    Works the same on every database (SQLite has no row locks) and holds no
    lock while the mail server answers.
    """
    waiting = [RecipientStatus.QUEUED, RecipientStatus.FAILED]
    claimed = UpdateRecipient.objects.filter(pk=recipient_id, status__in=waiting).update(
        status=RecipientStatus.SENDING, attempts=F("attempts") + 1
    )
    return claimed == 1


@task()
def send_update_batch(update_id, recipient_ids, attempt=1):
    """Send one batch, each copy exactly once even with several workers.

    A copy that fails is marked so and the failed ones are tried again later,
    without touching the copies that went.
    """
    from signatories.mail import MailNotSent, send_update_copy
    from signatories.tasks import backoff

    update = (
        Update.objects.select_related("letter__campaign", "letter__delivery")
        .defer("letter__delivery__pdf", "letter__delivery__pages")
        .filter(pk=update_id)
        .first()
    )
    if update is None:
        return
    failed = []
    for recipient_id in recipient_ids:
        if not _claim(recipient_id):
            continue  # sent already, or another worker has it
        copy = UpdateRecipient.objects.select_related("signatory").get(pk=recipient_id)
        copy.update = update
        if not _still_wanted(copy):
            copy.status = RecipientStatus.CANCELLED
        else:
            try:
                send_update_copy(copy)
            except MailNotSent:
                copy.status = RecipientStatus.FAILED
                failed.append(copy.pk)
            else:
                copy.status, copy.sent_at = RecipientStatus.SENT, timezone.now()
        copy.save(update_fields=["status", "sent_at"])
    if (
        failed
        and attempt < settings.MAIL_MAX_ATTEMPTS
        and send_update_batch.get_backend().supports_defer
    ):
        run_after = timezone.now() + timedelta(seconds=backoff(attempt))
        send_update_batch.using(run_after=run_after).enqueue(update_id, failed, attempt + 1)
    logger.info(
        "Update %s batch: %s sent or skipped, %s failed",
        update_id,
        len(recipient_ids) - len(failed),
        len(failed),
    )


@task()
def send_receipts_task(letter_id):
    """Queued at delivery, so marking a letter delivered does not wait on 100,000 receipts."""
    from letters.updates import receipt_create_and_send

    letter = Letter.objects.filter(pk=letter_id).first()
    if letter is not None:
        receipt_create_and_send(letter=letter)
