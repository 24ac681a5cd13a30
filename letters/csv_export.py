"""The staff export: signatures with their contact details, for follow-up.

By default the live list (confirmed, not rejected, not withdrawn: the people
who stand behind the letter); `everything=True` for every signature, in any
state. Streamed row by row (a 100,000-row export never sits in memory),
UTF-8 with a byte order mark so Excel reads Cyrillic correctly, and every
cell that a spreadsheet would run as a formula made inert.
"""

import csv

from signatories.models import Signatory

COLUMNS = [
    ("name", "name"),
    ("organisation", "affiliation"),
    ("email", "email"),
    ("kind", "kind"),
    ("status", "status"),
    ("on_public_list", "display"),
    ("consents_to_updates", "consents_to_updates"),
    ("source", "source"),
    ("paper_sheet", "paper_sheet"),
    ("signed_at", "created_at"),
    ("confirmed_at", "confirmed_at"),
    ("withdrawn_at", "withdrawn_at"),
]
HEADER = [title for title, _ in COLUMNS]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
# Free text people typed: a formula in it must stay text in a spreadsheet.
TYPED = {"name", "affiliation", "email", "paper_sheet"}


def neutralise(value):
    """A leading ' makes Excel and LibreOffice show the text instead of running it."""
    value = "" if value is None else str(value)
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


class _Echo:
    def write(self, value):
        return value


def export_queryset(letter, *, everything=False):
    """The signatures the staff CSV holds: the live list, or with `everything` all of them."""
    rows = Signatory.objects.filter(letter=letter)
    return rows if everything else rows.live()


def export_address_count(letter, *, everything=False):
    """How many e-mail addresses that CSV holds: what the access log records of it."""
    return export_queryset(letter, everything=everything).exclude(email="").count()


def _cell(field, value):
    if field in TYPED:
        return neutralise(value)
    if field == "consents_to_updates":
        return "yes" if value else "no"
    if field.endswith("_at"):
        return value.isoformat(timespec="seconds") if value else ""
    return value


def csv_lines(letter, *, everything=False, progress=None, total=None):
    """Yield the CSV one line at a time, BOM first; values only, no model instances."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(HEADER)
    fields = [field for _, field in COLUMNS]
    rows = (
        export_queryset(letter, everything=everything)
        .order_by("created_at", "pk")
        .values_list(*fields)
        .iterator(chunk_size=2000)
    )
    for done, row in enumerate(rows, start=1):
        yield writer.writerow([_cell(f, v) for f, v in zip(fields, row, strict=True)])
        if progress and (done % 500 == 0 or done == total):
            progress(done, total)
