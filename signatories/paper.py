"""Paper sign-ups: the rows organisers type in or upload as CSV.

The typing page, the admin upload and `manage.py import_signatures` all check
each row with `PaperRowForm`, look at it beside what the letter already holds
with `check_rows` (the preview), and add it with `import_rows`, so a row
means the same thing whichever way it arrives, and the summary after an
import says what the preview said.
"""

import csv
import io
import itertools
from dataclasses import dataclass, field

from django import forms
from django.db import connection, transaction
from django.utils import timezone

from signatories.crypto import blind_index
from signatories.forms import CleanTextField, EmailAddressField, NameField
from signatories.models import Signatory
from signatories.names import derive_sort_name, is_in_capitals, name_case, sort_key
from signatories.services.entry import signatories_insert_many

# The admin's upload: about 200,000 rows. A bigger list is imported from the server's
# shell with `manage.py import_signatures`, which takes any size.
MAX_CSV_BYTES = 20 * 1024 * 1024
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
            "invalid_choice": "“%(value)s” is not a kind of signatory: "
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
    duplicate_line: int | None = None  # ... or earlier in the same batch (same e-mail: ALREADY)
    forced: bool = False  # a likely duplicate the organiser adds anyway
    confirms_web_signature: bool = False  # the address signed online, never confirmed
    sort_name: str = ""  # how the name will sort
    sort_key: str = ""  # ... and the key the database orders it by
    email_hash: str = ""  # the address's keyed hash, taken once (signatories/crypto.py)

    @property
    def will_be_added(self):
        return self.outcome == READY


@dataclass
class Summary:
    added: int = 0
    skipped: int = 0  # not added: already on the letter (same e-mail or a likely duplicate)
    likely: int = 0  # of the skipped: likely duplicates nobody ticked "add anyway" for
    repeated: int = 0  # of the skipped: an e-mail an earlier row of the same batch gives
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
                summary.repeated += each.outcome == ALREADY and each.duplicate_of is None
        return summary

    def __str__(self):
        return self.describe(how_to_add_anyway="tick “Add anyway” to add a true namesake")

    def describe(self, *, how_to_add_anyway):
        """The summary in words; `how_to_add_anyway` says where a true namesake is added."""
        text = (
            f"{self.added:,} added, {self.skipped:,} skipped as already on the letter, "
            f"{self.refused:,} refused"
        )
        notes = []
        if self.repeated:
            notes.append(f"{self.repeated:,} of the skipped repeat the e-mail of an earlier row")
        if self.likely:
            notes.append(
                f"{self.likely:,} of the skipped look like a name already on the letter "
                f"or earlier in the list: {how_to_add_anyway}"
            )
        return text + (f" ({'; '.join(notes)})" if notes else "")


def _key(each):
    """Same person, likely: name and affiliation alike once case, accents and spacing fold."""
    organisation = each.row.data["kind"] == Signatory.Kind.ORGANISATION
    each.sort_name = derive_sort_name(each.name, is_organisation=organisation)[:200]
    each.sort_key = sort_key(each.sort_name)
    return each.sort_key, sort_key(each.row.data["affiliation"])


def _chunks(items, size=500):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check_rows(*, letter, rows, add_anyway=frozenset(), keep_capitals=frozenset()):
    """What adding each row would do, without adding anything: the preview, and the import.

    `add_anyway` and `keep_capitals` are the line numbers the organiser ticked.
    A row whose e-mail has signed is already on the letter (skipped), and so is
    one giving the e-mail of an earlier row of the batch that is added. A row
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
    for each in candidates:
        each.email_hash = blind_index(each.row.data["email"]) if each.row.data["email"] else ""

    # Addresses are compared by their keyed hashes, on the unique index (signatories/crypto.py).
    # Only what the preview shows of a match: its address is neither read nor decrypted.
    on_letter = Signatory.objects.filter(letter=letter).order_by().only(
        "pk", "letter_id", "name", "affiliation", "source", "kind", "sort_key", "email_hash",
        "confirmed_at", "withdrawn_at",
    )  # fmt: skip
    hashes = {c.email_hash for c in candidates if c.email_hash}
    by_hash = {}
    for chunk in _chunks(hashes):
        # The empty-hash condition is the unique index's own: the lookup reads that index.
        for signatory in on_letter.filter(email_hash__in=chunk).exclude(email_hash=""):
            by_hash[signatory.email_hash] = signatory

    keys = {c: _key(c) for c in candidates}
    by_key = {}
    for chunk in _chunks({name for name, _ in keys.values()}):
        # Kind by kind, so each lookup reads the delivery order's index (letter, kind, key).
        found = [
            signatory
            for kind in Signatory.Kind.values
            for signatory in on_letter.filter(kind=kind, sort_key__in=chunk)
        ]
        for signatory in sorted(found, key=lambda s: s.pk):
            key = (signatory.sort_key, sort_key(signatory.affiliation))
            by_key.setdefault(key, signatory)

    seen = {}
    adding_address = {}  # hash -> the line of the batch's row that adds (or confirms) it
    for each in candidates:
        same_address = by_hash.get(each.email_hash) if each.email_hash else None
        if same_address is not None and (same_address.confirmed_at or same_address.withdrawn_at):
            each.outcome, each.duplicate_of = ALREADY, same_address
            continue
        if each.email_hash in adding_address:
            # One signature per address: a second row giving it would be dropped by the
            # database on the way in; it is skipped, and said so, before that.
            each.outcome, each.duplicate_line = ALREADY, adding_address[each.email_hash]
            continue
        if same_address is not None:
            each.confirms_web_signature = True  # the paper form vouches for it
        key = keys[each]
        each.duplicate_of = None if each.confirms_web_signature else by_key.get(key)
        each.duplicate_line = seen.get(key)
        seen.setdefault(key, each.row.line)
        if each.duplicate_of or each.duplicate_line:
            each.forced = each.row.line in add_anyway
            each.outcome = READY if each.forced else LIKELY
        if each.outcome == READY and each.email_hash:
            adding_address[each.email_hash] = each.row.line
    return checked


IMPORT_BATCH = 2000
ANALYZE_FROM_ROWS = 10_000


def import_rows(
    *,
    letter,
    rows,
    paper_sheet="",
    add_anyway=frozenset(),
    keep_capitals=frozenset(),
    progress=None,
):
    """Check the rows (as the preview does) and add those that will be added; the summary.

    A batch of IMPORT_BATCH at a time, each in a transaction of its own:
    the new signatures in one bulk INSERT, the online signatures the paper
    vouches for confirmed in one UPDATE. A hundred thousand rows take
    seconds, not the minutes of one INSERT each; an import cut short keeps
    the batches done, and importing the file again adds only the rest.
    `progress(done, total)` after each batch.
    """
    checked = check_rows(
        letter=letter, rows=rows, add_anyway=add_anyway, keep_capitals=keep_capitals
    )
    adding = [each for each in checked if each.will_be_added]
    now = timezone.now()
    done = 0
    for batch in itertools.batched(adding, IMPORT_BATCH):
        _add(letter, batch, paper_sheet, now)
        done += len(batch)
        if progress:
            progress(done, len(adding))
    if done >= ANALYZE_FROM_ROWS and connection.vendor == "postgresql":
        # The planner's picture of the letter, before autovacuum gets round to it: the
        # next import's checks and the letter's pages read the right indexes at once.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Signatory._meta.db_table}")
    return Summary.of(checked)


def _add(letter, batch, paper_sheet, now):
    entries = [
        {
            "letter_id": letter.pk,
            "kind": each.row.data["kind"],
            "name": each.name,
            "affiliation": each.row.data["affiliation"],
            "email": each.row.data["email"],
            "source": Signatory.Source.PAPER,
            "paper_sheet": paper_sheet.strip(),
            "status": Signatory.Status.APPROVED,
            "confirmed_at": now,
            # Consent is kept only with an address to send updates to.
            "consents_to_updates": each.row.data["consents_to_updates"]
            and bool(each.row.data["email"]),
            "sort_name": each.sort_name,
            "sort_key": each.sort_key,
        }
        for each in batch
    ]
    # An address that signed online and never confirmed is confirmed by the
    # paper form instead of added again; so is one that signed online since
    # the preview (the INSERT skips it, the UPDATE confirms it).
    online = {each.email_hash for each in batch if each.email_hash}
    consenting = {
        each.email_hash for each, e in zip(batch, entries, strict=True) if e["consents_to_updates"]
    }
    with transaction.atomic():
        signatories_insert_many(
            [e for each, e in zip(batch, entries, strict=True) if not each.confirms_web_signature]
        )
        # Each found by the address's hash on the unique index (whose own condition is
        # the non-empty hash): an UPDATE of a batch, not a walk through the letter.
        on_letter = Signatory.objects.filter(letter=letter).exclude(email_hash="")
        unconfirmed = on_letter.filter(confirmed_at__isnull=True, withdrawn_at__isnull=True)
        for chunk in _chunks(online):
            unconfirmed.filter(email_hash__in=chunk).update(
                confirmed_at=now, status=Signatory.Status.APPROVED, reminder_due_at=None
            )
        vouched = on_letter.filter(source=Signatory.Source.WEB, confirmed_at=now)
        for chunk in _chunks(consenting):
            vouched.filter(email_hash__in=chunk).update(consents_to_updates=True)


def parse_csv(data, *, max_bytes=None):
    """Read a CSV (bytes) into checked rows, each with its line number.

    `max_bytes`: a bigger file is refused with a message (the admin's
    upload sets it; the command, reading a file on the server, does not).
    """
    parsed = ParsedFile()
    if max_bytes is not None and len(data) > max_bytes:
        parsed.errors.append(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{max_bytes // 1024 // 1024} MB. Split it into smaller files."
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
    row.data, row.errors = _cleaned(row.data)
    if updates not in UPDATES_YES | UPDATES_NO:
        row.errors.append(f"Updates: “{values['updates']}” is not yes or no (yes/no, y/n, 1/0, x).")
    return row


def _cleaned(data):
    """A row checked by PaperRowForm's own fields, each as the typing page's form checks it.

    The fields without the form around them: a hundred thousand forms are
    twenty seconds of building and throwing away; the checks are the same.
    Returns (the cleaned entry, or the data as given if anything is wrong;
    the errors as "Label: message").
    """
    cleaned, errors = {}, []
    for name in PaperRowForm.ENTRY_FIELDS:
        field = PaperRowForm.base_fields[name]
        try:
            cleaned[name] = field.clean(data.get(name, ""))
        except forms.ValidationError as error:
            errors += [f"{field.label or name}: {message}" for message in error.messages]
    return (data if errors else cleaned), errors
