"""Asking for a signed PDF: a row saying so, and a task that makes it (pdf_making.py)."""

from django.db import transaction

from letters.models import SignedPdf
from letters.tasks import make_signed_pdf_task


def signed_pdf_request(*, letter, requested_by=None, with_translations=False):
    """A signed PDF of the letter as it is now, queued for a worker to make."""
    with transaction.atomic():
        signed = SignedPdf.objects.create(
            letter=letter, requested_by=requested_by, with_translations=with_translations
        )
        transaction.on_commit(lambda: make_signed_pdf_task.enqueue(signed.pk))
    return signed
