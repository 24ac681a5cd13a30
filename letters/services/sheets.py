"""Numbered paper sign-up sheets: each number used once per letter."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from letters.models import Letter, PaperSheet

MAX_SHEETS_AT_ONCE = 100


def paper_sheets_issue(*, letter, count, printed_by=None):
    """Number a batch of paper sign-up sheets for a letter, each number used once."""
    if not 1 <= count <= MAX_SHEETS_AT_ONCE:
        raise ValidationError(
            f"Print between 1 and {MAX_SHEETS_AT_ONCE} sheets at a time.", code="sheet_count"
        )
    with transaction.atomic():
        # The letter row is the lock that keeps two printers from taking the same numbers.
        Letter.objects.select_for_update().filter(pk=letter.pk).first()
        last = letter.paper_sheets.aggregate(last=Max("number"))["last"] or 0
        sheets = [
            PaperSheet(letter=letter, number=last + offset, printed_by=printed_by)
            for offset in range(1, count + 1)
        ]
        PaperSheet.objects.bulk_create(sheets)
    return sheets
