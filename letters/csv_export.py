"""The staff export: every live signature with its contact details, for follow-up.

Streamed row by row (a 100,000-row export never sits in memory), UTF-8 with
a byte order mark so Excel reads Cyrillic correctly, and every cell that a
spreadsheet would run as a formula made inert.
"""

import csv

from signatories.models import Signatory

HEADER = [
    "name",
    "organisation",
    "email",
    "kind",
    "status",
    "source",
    "paper_sheet",
    "signed_at",
    "confirmed_at",
    "consents_to_updates",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def neutralise(value):
    """A leading ' makes Excel and LibreOffice show the text instead of running it."""
    value = "" if value is None else str(value)
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


class _Echo:
    def write(self, value):
        return value


def export_queryset(letter):
    """The signatures the staff CSV holds: every one not withdrawn."""
    return Signatory.objects.filter(letter=letter).not_withdrawn()


def export_rows(letter):
    """The exported signatures, newest last; values only, no model instances."""
    return (
        export_queryset(letter)
        .order_by("created_at", "pk")
        .values_list(
            "name",
            "affiliation",
            "email",
            "kind",
            "status",
            "source",
            "paper_sheet",
            "created_at",
            "confirmed_at",
            "consents_to_updates",
        )
        .iterator(chunk_size=2000)
    )


def csv_lines(letter, *, progress=None, total=None):
    """Yield the CSV one line at a time, BOM first."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(HEADER)
    for done, row in enumerate(export_rows(letter), start=1):
        name, affiliation, email, kind, status, source, sheet, signed, confirmed, consent = row
        yield writer.writerow(
            [
                neutralise(name),
                neutralise(affiliation),
                neutralise(email),
                kind,
                status,
                source,
                neutralise(sheet),
                signed.isoformat(timespec="seconds"),
                confirmed.isoformat(timespec="seconds") if confirmed else "",
                "yes" if consent else "no",
            ]
        )
        if progress and (done % 500 == 0 or done == total):
            progress(done, total)
