"""Tasks that follow a delivery. Each takes an id and calls one service; update copies and
receipts themselves go out through the outbox (letters/outboxes.py, mailing/tasks.py)."""

from django.tasks import task

from letters.models import Letter
from letters.services.updates import receipt_create_and_send
from signatories.services.retention import signatories_anonymise


@task()
def anonymise_letter_task(letter_id):
    """Scheduled at delivery, to run ANONYMISE_AFTER_DELIVERY_DAYS later."""
    letter = Letter.objects.filter(pk=letter_id).first()
    if letter is not None:
        signatories_anonymise(letter=letter)


@task()
def send_receipts_task(letter_id):
    """Queued at delivery, so marking a letter delivered does not wait on 100,000 receipts."""
    letter = Letter.objects.filter(pk=letter_id).first()
    if letter is not None:
        receipt_create_and_send(letter=letter)
