"""Tasks that follow a delivery. Each takes an id and calls one service; update copies and
receipts themselves go out through the outbox (letters/outboxes.py, mailing/tasks.py)."""

from django.tasks import task

from letters.models import ContactsExport, Letter, SignedPdf
from letters.services.contacts_export import contacts_export_make
from letters.services.pdf_making import signed_pdf_make
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


@task()
def make_signed_pdf_task(signed_pdf_id):
    """A signed PDF an organiser asked for (letters/services/pdf_requests.py)."""
    signed = SignedPdf.objects.select_related("letter__campaign").filter(pk=signed_pdf_id).first()
    if signed is not None:
        signed_pdf_make(signed=signed)


@task()
def make_contacts_export_task(export_id):
    """A contacts CSV too long for a request (letters/services/contacts_export.py)."""
    export = ContactsExport.objects.select_related("letter").filter(pk=export_id).first()
    if export is not None:
        contacts_export_make(export=export)
