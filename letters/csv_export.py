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

from django.db.models import Case, CharField, F, Func, TextField, Value, When
from django.db.models.functions import Cast, Concat, Left
from django.db.models.lookups import In

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


# Each value is written as the CSV holds it by the database, as it reads the row:
# a million rows of datetimes and booleans turned into text by Python were most
# of the exporting process's time (and every value an object first). The address
# alone is left for Python, which decrypts it.


class Moment(Func):
    """A time as ISO 8601 in UTC to the second, as Python's isoformat(timespec="seconds")
    writes an aware UTC time; NULL stays NULL (an empty cell)."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Stored as UTC text; `%%%%` is one % once Django and the driver have each read it.
        template = "strftime('%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M:%%%%S+00:00', %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra)


def inert(field):
    """The text with a ' before it when a spreadsheet would run it as a formula."""
    starts_a_formula = In(Left(F(field), 1), list(FORMULA_STARTS))
    return Case(
        When(starts_a_formula, then=Concat(Value("'"), F(field))),
        default=F(field),
        output_field=CharField(),
    )


def _written(field):
    """The expression that reads a column as the CSV writes it."""
    if field == "email":
        # The stored token, decrypted in batches below, not row by row by the field.
        return Cast("email", TextField())
    if field in TYPED:
        return inert(field)
    if field == "consents_to_updates":
        return Case(When(consents_to_updates=True, then=Value("yes")), default=Value("no"))
    if field.endswith("_at"):
        return Moment(field)
    return F(field)


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
    at = fields.index("email")
    size = total if total is not None else export_rough_size(letter, everything=everything)
    with one_snapshot(), decrypting(in_helper=size > HELPER_FROM_ROWS) as decrypt:
        columns = {f"cell_{number}": _written(field) for number, field in enumerate(fields)}
        rows = (
            export_queryset(letter, everything=everything)
            .order_by("created_at", "pk")
            .annotate(**columns)
            .values_list(*columns.keys())
            .iterator(chunk_size=BATCH)
        )
        waiting, done = collections.deque(), 0
        stats = stats if stats is not None else {}
        stats.update(rows=0, addresses=0)
        for batch in itertools.batched(rows, BATCH):
            waiting.append((batch, decrypt([row[at] for row in batch])))
            if len(waiting) > 1:
                done += _write(writer, at, *waiting.popleft(), stats)
                yield _drain(buffer)
                if progress:
                    progress(done, total)
        while waiting:
            done += _write(writer, at, *waiting.popleft(), stats)
            yield _drain(buffer)
            if progress:
                progress(done, total)


def _write(writer, at, batch, addresses, stats):
    addresses = addresses.result()
    stats["rows"] += len(batch)
    stats["addresses"] += sum(1 for address in addresses if address)
    writer.writerows(
        (*row[:at], neutralise(address), *row[at + 1 :])
        for row, address in zip(batch, addresses, strict=True)
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
