import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from letters.models import Letter, RecipientStatus, UpdateRecipient
from letters.services import letter_anonymise

logger = logging.getLogger(__name__)


@task()
def anonymise_letter_task(letter_id):
    """Scheduled at delivery, to run ANONYMISE_AFTER_DELIVERY_DAYS later."""
    letter = Letter.objects.filter(pk=letter_id).first()
    if letter is not None:
        letter_anonymise(letter=letter)


def _still_wanted(signatory):
    return (
        signatory.consents_to_updates and signatory.withdrawn_at is None and bool(signatory.email)
    )


@task()
def send_update_batch(update_id, recipient_ids, attempt=1):
    """Send one batch; each copy is locked while it is sent, so two workers never both send it.

    A copy that fails is marked so and the failed ones are tried again later,
    without touching the copies that went.
    """
    from signatories.mail import MailNotSent, send_update_copy
    from signatories.tasks import backoff

    failed = []
    for recipient_id in recipient_ids:
        with transaction.atomic():
            copy = (
                UpdateRecipient.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("update__letter__campaign", "update__letter__delivery", "signatory")
                .filter(
                    pk=recipient_id, status__in=[RecipientStatus.QUEUED, RecipientStatus.FAILED]
                )
                .first()
            )
            if copy is None:
                continue  # sent already, or another worker has it
            copy.attempts += 1
            if not _still_wanted(copy.signatory):
                copy.status = RecipientStatus.CANCELLED
            else:
                try:
                    send_update_copy(copy)
                except MailNotSent:
                    copy.status = RecipientStatus.FAILED
                    failed.append(copy.pk)
                else:
                    copy.status, copy.sent_at = RecipientStatus.SENT, timezone.now()
            copy.save(update_fields=["status", "sent_at", "attempts"])
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
