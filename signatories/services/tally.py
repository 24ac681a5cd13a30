"""Folding each letter's journal of count changes (`Tally`) into one row.

The triggers add a row per statement that changes a count; reading a
letter's counts sums its rows, so the fewer the rows, the cheaper the read.
The worker's sweep calls this every WORKER_SWEEP_SECONDS; at two million
signatures a day that leaves about 1,400 rows to sum between two sweeps.
"""

import logging

from django.db import connection, transaction

from signatories.models import Tally

logger = logging.getLogger(__name__)

TABLE = Tally._meta.db_table
COLUMNS = ", ".join(Tally.COUNTS)
ANY_CHANGE = " OR ".join(f"SUM({name}) <> 0" for name in Tally.COUNTS)
# Only letters with more than one row; a deleted letter's rows go too. (Every
# name in the SQL here is one of our own constants: nothing comes from input.)
FOLDABLE = (
    f"letter_id IN (SELECT letter_id FROM {TABLE} GROUP BY letter_id HAVING COUNT(*) > 1) "  # noqa: S608
    "OR letter_id NOT IN (SELECT id FROM letters_letter)"
)

# One statement on PostgreSQL: it deletes exactly the rows it sums (its own
# snapshot), so a row a signature is writing at the same moment is left for
# the next fold, and two folds at once each take only what they deleted.
POSTGRES = f"""
WITH gone AS (DELETE FROM {TABLE} WHERE {FOLDABLE} RETURNING letter_id, {COLUMNS})
INSERT INTO {TABLE} (letter_id, {COLUMNS})
SELECT letter_id, {", ".join(f"SUM({name})" for name in Tally.COUNTS)} FROM gone
WHERE letter_id IN (SELECT id FROM letters_letter)
GROUP BY letter_id HAVING {ANY_CHANGE}
"""  # noqa: S608


def tallies_compact():
    """Fold each letter's journal rows into one; returns how many rows were folded."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES)
            folded = cursor.rowcount
        else:
            folded = _compact_in_python(cursor)
    if folded:
        logger.info("Folded the count journal into %s rows", folded)
    return folded


def _compact_in_python(cursor):
    """SQLite: DELETE ... RETURNING, summed here, written back (SQLite has one writer)."""
    cursor.execute(f"DELETE FROM {TABLE} WHERE {FOLDABLE} RETURNING letter_id, {COLUMNS}")  # noqa: S608
    sums = {}
    for letter_id, *counts in cursor.fetchall():
        total = sums.setdefault(letter_id, [0] * len(counts))
        for index, value in enumerate(counts):
            total[index] += value
    cursor.execute("SELECT id FROM letters_letter")
    letters = {row[0] for row in cursor.fetchall()}
    rows = [
        Tally(letter_id=letter_id, **dict(zip(Tally.COUNTS, counts, strict=True)))
        for letter_id, counts in sums.items()
        if letter_id in letters and any(counts)
    ]
    Tally.objects.bulk_create(rows)
    return len(rows)
