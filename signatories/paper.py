"""Paper sign-ups: the rows organisers type in or upload as CSV.

The typing page, the admin upload and `manage.py import_signatures` all check
each row with `PaperRowForm` and add it with `signatory_add_approved`, so a
row means the same thing whichever way it arrives.
"""

import csv
import io
from dataclasses import dataclass, field

from django import forms
from django.db import transaction

from signatories.forms import CleanTextField, EmailAddressField, NameField
from signatories.models import Signatory
from signatories.services.entry import signatory_add_approved

MAX_CSV_BYTES = 2 * 1024 * 1024  # about 20,000 rows; a bigger file is split, not a mistake
REQUIRED_COLUMNS = ("name",)
KNOWN_COLUMNS = ("name", "organisation", "email", "kind")
KIND_ALIASES = {
    "": Signatory.Kind.INDIVIDUAL,
    "individual": Signatory.Kind.INDIVIDUAL,
    "person": Signatory.Kind.INDIVIDUAL,
    "organisation": Signatory.Kind.ORGANISATION,
    "organization": Signatory.Kind.ORGANISATION,
    "org": Signatory.Kind.ORGANISATION,
}


class PaperRowForm(forms.Form):
    """One line of a paper sheet: the e-mail is optional, the name is not."""

    name = NameField(label="Name", max_length=Signatory._meta.get_field("name").max_length)
    affiliation = CleanTextField(
        label="Organisation or title",
        required=False,
        max_length=Signatory._meta.get_field("affiliation").max_length,
    )
    email = EmailAddressField(
        label="E-mail", required=False, max_length=Signatory._meta.get_field("email").max_length
    )
    kind = forms.ChoiceField(
        label="Kind", choices=Signatory.Kind.choices, initial=Signatory.Kind.INDIVIDUAL
    )


class PaperSheetForm(forms.Form):
    paper_sheet = forms.CharField(
        label="Sheet ID",
        required=False,
        max_length=Signatory._meta.get_field("paper_sheet").max_length,
        help_text="The number printed on the paper sheet, so each name can be traced to it.",
    )


PaperRowFormSet = forms.formset_factory(PaperRowForm, extra=10, max_num=200, absolute_max=200)


@dataclass
class Row:
    line: int
    data: dict
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


@dataclass
class ParsedFile:
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def valid_rows(self):
        return [r for r in self.rows if r.ok]

    @property
    def invalid_rows(self):
        return [r for r in self.rows if not r.ok]


@dataclass
class Summary:
    added: int = 0
    skipped: int = 0
    refused: int = 0

    def __str__(self):
        return (
            f"{self.added} added, {self.skipped} skipped as already on the letter, "
            f"{self.refused} refused"
        )


def _form_errors(form):
    return [
        f"{form.fields[name].label or name}: {message}" if name != "__all__" else message
        for name, messages in form.errors.items()
        for message in messages
    ]


def parse_csv(data):
    """Read an uploaded CSV (bytes) into checked rows, each with its line number."""
    parsed = ParsedFile()
    if len(data) > MAX_CSV_BYTES:
        parsed.errors.append(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_CSV_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
        return parsed
    try:
        # utf-8-sig drops the byte order mark Excel writes with "CSV UTF-8".
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        parsed.errors.append(
            f"The file is not UTF-8 (byte {error.start + 1}). In Excel, save it as "
            "“CSV UTF-8 (comma delimited)”."
        )
        return parsed
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as error:
        parsed.errors.append(f"Line 1: the header cannot be read ({error}).")
        return parsed
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        parsed.errors.append(
            f"Line 1: the header needs the column{'s' * (len(missing) > 1)} "
            f"{', '.join(missing)}; expected {', '.join(KNOWN_COLUMNS)} "
            f"(found: {', '.join(h for h in header if h) or 'nothing'})."
        )
        return parsed
    reader.fieldnames = header
    try:
        for record in reader:
            line = reader.line_num
            values = {k: (v or "").strip() for k, v in record.items() if isinstance(k, str)}
            if not any(values.values()):
                continue
            kind = KIND_ALIASES.get(values.get("kind", "").lower())
            row = Row(
                line=line,
                data={
                    "name": values.get("name", ""),
                    "affiliation": values.get("organisation", ""),
                    "email": values.get("email", ""),
                    "kind": kind or values.get("kind", ""),
                },
            )
            form = PaperRowForm(data=row.data)
            if form.is_valid():
                row.data = form.cleaned_data
            else:
                row.errors = _form_errors(form)
            parsed.rows.append(row)
    except csv.Error as error:
        parsed.errors.append(f"Line {reader.line_num}: {error}.")
    return parsed


def import_rows(*, letter, rows, paper_sheet=""):
    """Add checked rows as approved paper signatures; rows already there are skipped."""
    summary = Summary()
    with transaction.atomic():
        for row in rows:
            if not row.ok:
                summary.refused += 1
                continue
            result = signatory_add_approved(
                letter=letter,
                source=Signatory.Source.PAPER,
                paper_sheet=paper_sheet,
                **row.data,
            )
            if result.created:
                summary.added += 1
            else:
                summary.skipped += 1
    return summary
