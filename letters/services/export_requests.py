"""Asking for a contacts CSV: a row saying so, and a task that writes it (contacts_export.py)."""

from django.db import transaction

from letters.models import ContactsExport
from letters.tasks import make_contacts_export_task


def contacts_export_request(*, letter, requested_by=None, everything=False):
    """A contacts CSV of the letter as it is now, queued for a worker to write."""
    with transaction.atomic():
        export = ContactsExport.objects.create(
            letter=letter, requested_by=requested_by, everything=everything
        )
        transaction.on_commit(lambda: make_contacts_export_task.enqueue(export.pk))
    return export
