"""The staff export: signatures with their contact details, for follow-up.

By default the live list (confirmed, not rejected, not withdrawn: the people
who stand behind the letter); `everything=True` for every signature, in any
state. Streamed row by row (a 100,000-row export never sits in memory),
UTF-8 with a byte order mark so Excel reads Cyrillic correctly, and every
cell that a spreadsheet would run as a formula made inert.
"""

import collections
import csv
import io
import itertools

from django.db.models import TextField
from django.db.models.functions import Cast

from config.db import one_snapshot
from signatories.crypto import decrypting
from signatories.models import Signatory
from signatories.selectors import signatory_counts

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


def export_queryset(letter, *, everything=False):
    """The signatures the staff CSV holds: the live list, or with `everything` all of them."""
    rows = Signatory.objects.filter(letter=letter)
    return rows if everything else rows.live()


def export_address_count(letter, *, everything=False):
    """How many e-mail addresses that CSV holds: what the access log records of it."""
    return export_queryset(letter, everything=everything).exclude(email="").count()


def _text(value):
    return neutralise(value)


def _yes_no(value):
    return "yes" if value else "no"


def _moment(value):
    return value.isoformat(timespec="seconds") if value else ""


def _as_is(value):
    return value


def _formatter(field):
    """How a column's values are written: typed text made inert, yes/no, ISO times."""
    if field in TYPED:
        return _text
    if field == "consents_to_updates":
        return _yes_no
    if field.endswith("_at"):
        return _moment
    return _as_is


BATCH = 5000
# Past this many rows, addresses are decrypted in a helper process beside the
# writing (signatories/crypto.py `decrypting`): ~8 µs each is most of the cost.
HELPER_FROM_ROWS = 20_000


def csv_lines(letter, *, everything=False, progress=None, total=None, stats=None):
    """Yield the CSV, BOM and header first, then a batch of lines at a time.

    Values only, no model instances, read from a server-side cursor within
    one snapshot (config/db.py): memory holds a batch or two, and a million
    rows are the list as of one moment. The addresses of a big export are
    decrypted in a helper process, a batch ahead of the writing.
    `progress(done, total)` after each batch; `stats` (a dict) is given the
    number of rows and of addresses written.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield BOM + _drain(buffer)
    fields = [field for _, field in COLUMNS]
    formats = [_formatter(field) for field in fields]
    at = fields.index("email")
    size = total if total is not None else export_rough_size(letter, everything=everything)
    with one_snapshot(), decrypting(in_helper=size > HELPER_FROM_ROWS) as decrypt:
        rows = (
            export_queryset(letter, everything=everything)
            .order_by("created_at", "pk")
            # The stored token, decrypted below in batches, not row by row by the field.
            .annotate(token=Cast("email", TextField()))
            .values_list(*[f if f != "email" else "token" for f in fields])
            .iterator(chunk_size=BATCH)
        )
        waiting, done = collections.deque(), 0
        stats = stats if stats is not None else {}
        stats.update(rows=0, addresses=0)
        for batch in itertools.batched(rows, BATCH):
            waiting.append((batch, decrypt([row[at] for row in batch])))
            if len(waiting) > 1:
                done += _write(writer, formats, at, *waiting.popleft(), stats)
                yield _drain(buffer)
                if progress:
                    progress(done, total)
        while waiting:
            done += _write(writer, formats, at, *waiting.popleft(), stats)
            yield _drain(buffer)
            if progress:
                progress(done, total)


def _write(writer, formats, at, batch, addresses, stats):
    addresses = addresses.result()
    stats["rows"] += len(batch)
    stats["addresses"] += sum(1 for address in addresses if address)
    writer.writerows(
        [
            form(addresses[number] if column == at else value)
            for column, (form, value) in enumerate(zip(formats, row, strict=True))
        ]
        for number, row in enumerate(batch)
    )
    return len(batch)


def export_rough_size(letter, *, everything=False):
    """About how many rows the export holds, from the count journal (no COUNT): the live
    list is the approved and the confirmed awaiting a decision."""
    counts = signatory_counts(letter=letter)
    states = ("approved", "awaiting", "rejected", "unconfirmed", "withdrawn")
    return sum(counts[name] for name in (states if everything else states[:2]))


def _drain(buffer):
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
