"""Paper sign-ups: the rows organisers type in or upload as CSV.

The typing page, the admin upload and `manage.py import_signatures` all check
each row with `PaperRowForm`, look at it beside what the letter already holds
with `check_rows` (the preview), and add it with `import_rows`, so a row
means the same thing whichever way it arrives, and the summary after an
import says what the preview said.
"""

import csv
import io
from dataclasses import dataclass, field

from django import forms
from django.db import transaction

from signatories.crypto import blind_index
from signatories.forms import CleanTextField, EmailAddressField, NameField
from signatories.models import Signatory
from signatories.names import derive_sort_name, is_in_capitals, name_case, sort_key
from signatories.services.entry import signatory_add_approved

MAX_CSV_BYTES = 2 * 1024 * 1024  # about 20,000 rows; a bigger file is split, not a mistake
REQUIRED_COLUMNS = ("name",)
KNOWN_COLUMNS = ("name", "organisation", "email", "kind", "updates")
KIND_ALIASES = {
    "": Signatory.Kind.INDIVIDUAL,
    "individual": Signatory.Kind.INDIVIDUAL,
    "organisation": Signatory.Kind.ORGANISATION,
    "organization": Signatory.Kind.ORGANISATION,
}
# The sheet's "send me updates" box, as people type a tick into a spreadsheet.
UPDATES_YES = {"yes", "y", "1", "x", "true", "✓", "✔"}
UPDATES_NO = {"", "no", "n", "0", "false"}


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
        label="Kind",
        choices=Signatory.Kind.choices,
        initial=Signatory.Kind.INDIVIDUAL,
        error_messages={
            "invalid_choice": "Select a valid choice. “%(value)s” is not a kind of signatory: "
            "use individual or organisation."
        },
    )
    consents_to_updates = forms.BooleanField(
        label="Updates", required=False, help_text="Ticked on the sheet; kept only with an e-mail."
    )
    keep_capitals = forms.BooleanField(label="Keep capitals", required=False)
    add_anyway = forms.BooleanField(label="Add anyway", required=False)

    ENTRY_FIELDS = ("name", "affiliation", "email", "kind", "consents_to_updates")

    def entry(self):
        """The row as a signature (the two ticks of the preview aside)."""
        return {key: self.cleaned_data[key] for key in self.ENTRY_FIELDS}


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


READY, ALREADY, LIKELY, REFUSED = "ready", "already", "likely", "refused"


@dataclass(eq=False)
class Checked:
    """One row beside what the letter holds: what adding it would do."""

    row: Row
    outcome: str  # READY (it will be added), ALREADY (same e-mail), LIKELY, REFUSED
    name: str = ""  # the name as it will be stored
    in_capitals: bool = False  # typed in capitals, stored in name case unless kept
    duplicate_of: Signatory | None = None  # a likely duplicate on the letter
    duplicate_line: int | None = None  # ... or earlier in the same batch
    forced: bool = False  # a likely duplicate the organiser adds anyway
    confirms_web_signature: bool = False  # the address signed online, never confirmed

    @property
    def will_be_added(self):
        return self.outcome == READY


@dataclass
class Summary:
    added: int = 0
    skipped: int = 0  # not added: already on the letter (same e-mail or a likely duplicate)
    likely: int = 0  # of the skipped: likely duplicates nobody ticked "add anyway" for
    refused: int = 0

    @classmethod
    def of(cls, checked):
        summary = cls()
        for each in checked:
            if each.outcome == READY:
                summary.added += 1
            elif each.outcome == REFUSED:
                summary.refused += 1
            else:
                summary.skipped += 1
                summary.likely += each.outcome == LIKELY
        return summary

    def __str__(self):
        text = (
            f"{self.added} added, {self.skipped} skipped as already on the letter, "
            f"{self.refused} refused"
        )
        if self.likely:
            text += (
                f" ({self.likely} of the skipped look like a name already on the letter: "
                "tick “Add anyway” to add a true namesake)"
            )
        return text


def _key(name, affiliation, kind):
    """Same person, likely: name and affiliation alike once case, accents and spacing fold."""
    sort_name = derive_sort_name(name, is_organisation=kind == Signatory.Kind.ORGANISATION)
    return sort_key(sort_name), sort_key(affiliation)


def _chunks(items, size=500):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check_rows(*, letter, rows, add_anyway=frozenset(), keep_capitals=frozenset()):
    """What adding each row would do, without adding anything: the preview, and the import.

    `add_anyway` and `keep_capitals` are the line numbers the organiser ticked.
    A row whose e-mail has signed is already on the letter (skipped). A row
    whose name and affiliation match a signature already there, from any
    source, or an earlier row of the same batch, is a likely duplicate, not
    added unless ticked. A person's name in block capitals is stored in name
    case unless its "keep capitals" is ticked.
    """
    checked = []
    for row in rows:
        if not row.ok:
            checked.append(Checked(row=row, outcome=REFUSED))
            continue
        data = row.data
        capitals = data["kind"] == Signatory.Kind.INDIVIDUAL and is_in_capitals(data["name"])
        name = (
            name_case(data["name"]) if capitals and row.line not in keep_capitals else data["name"]
        )
        checked.append(Checked(row=row, outcome=READY, name=name, in_capitals=capitals))
    candidates = [c for c in checked if c.outcome == READY]

    # Addresses are compared by their keyed hashes, on the unique index (signatories/crypto.py).
    hashes = {blind_index(c.row.data["email"]) for c in candidates if c.row.data["email"]}
    on_letter = Signatory.objects.filter(letter=letter)
    by_hash = {}
    for chunk in _chunks(hashes):
        for signatory in on_letter.filter(email_hash__in=chunk):
            by_hash[signatory.email_hash] = signatory

    keys = {c: _key(c.name, c.row.data["affiliation"], c.row.data["kind"]) for c in candidates}
    by_key = {}
    for chunk in _chunks({name for name, _ in keys.values()}):
        for signatory in on_letter.filter(sort_key__in=chunk).order_by("pk"):
            key = (signatory.sort_key, sort_key(signatory.affiliation))
            by_key.setdefault(key, signatory)

    seen = {}
    for each in candidates:
        same_address = by_hash.get(blind_index(each.row.data["email"]))
        if same_address is not None:
            if same_address.confirmed_at is None and same_address.withdrawn_at is None:
                each.confirms_web_signature = True  # the paper form vouches for it
            else:
                each.outcome, each.duplicate_of = ALREADY, same_address
                continue
        key = keys[each]
        each.duplicate_of = None if each.confirms_web_signature else by_key.get(key)
        each.duplicate_line = seen.get(key)
        seen.setdefault(key, each.row.line)
        if each.duplicate_of or each.duplicate_line:
            each.forced = each.row.line in add_anyway
            each.outcome = READY if each.forced else LIKELY
    return checked


def import_rows(*, letter, rows, paper_sheet="", add_anyway=frozenset(), keep_capitals=frozenset()):
    """Check the rows (as the preview does) and add those that will be added; the summary."""
    checked = check_rows(
        letter=letter, rows=rows, add_anyway=add_anyway, keep_capitals=keep_capitals
    )
    with transaction.atomic():
        for each in checked:
            if each.will_be_added:
                data = each.row.data
                signatory_add_approved(
                    letter=letter,
                    source=Signatory.Source.PAPER,
                    paper_sheet=paper_sheet,
                    name=each.name,
                    affiliation=data["affiliation"],
                    email=data["email"],
                    kind=data["kind"],
                    consents_to_updates=data["consents_to_updates"] and bool(data["email"]),
                    namesake=True,
                )
    return Summary.of(checked)


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
            values = {k: (v or "").strip() for k, v in record.items() if isinstance(k, str)}
            if any(values.values()):
                parsed.rows.append(_csv_row(reader.line_num, values))
    except csv.Error as error:
        parsed.errors.append(f"Line {reader.line_num}: {error}.")
    return parsed


def _csv_row(line, values):
    kind = values.get("kind", "")
    updates = values.get("updates", "").lower()
    row = Row(
        line=line,
        data={
            "name": values.get("name", ""),
            "affiliation": values.get("organisation", ""),
            "email": values.get("email", ""),
            "kind": KIND_ALIASES.get(kind.lower(), kind),
            "consents_to_updates": updates in UPDATES_YES,
        },
    )
    form = PaperRowForm(data=row.data)
    if form.is_valid():
        row.data = form.entry()
    else:
        row.errors = _form_errors(form)
    if updates not in UPDATES_YES | UPDATES_NO:
        row.errors.append(f"Updates: “{values['updates']}” is not yes or no (yes/no, y/n, 1/0, x).")
    return row
