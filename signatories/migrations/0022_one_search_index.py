"""The admin's name search through one trigram index instead of two.

Migration 0019 indexed UPPER(name) and UPPER(affiliation) apart: a search of
two words read four bitmaps (each word in each index) and ANDed them, 435 ms
at six million names (bench/scale.py). One index on the name and affiliation
as one text (signatories.models.SearchText) takes both words as two conditions
of one index scan, and every status change writes one trigram index entry
instead of two (bulk decisions rewrite every index of a row).

The index's expression gets a statistics target of 1,000: with the default
100, PostgreSQL guessed a common surname ("Smith", 68,000 of six million)
matched 582 rows, sorted all 68,000 by date for the first page (376 ms); with
1,000 samples it reads the newest-first index until it has a page (100 ms).

Built and dropped without locking signing out, so not atomic; PostgreSQL only
(SQLite searches by scanning, as before).
"""

from django.db import migrations

NEW = "signatory_search_trgm_idx"
OLD = {
    "signatory_name_trgm_idx": "name",
    "signatory_affiliation_trgm_idx": "affiliation",
}
# signatories.models.SearchText, upper-cased as `icontains` compares it.
EXPRESSION = "UPPER((name || chr(10)) || affiliation)"


def one_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NEW} ON signatories_signatory "
        f"USING gin (({EXPRESSION}) gin_trgm_ops)"
    )
    for name in OLD:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute(f"ALTER INDEX {NEW} ALTER COLUMN 1 SET STATISTICS 1000")
    # ANALYZE takes a lock that lets signing go on; the planner needs the samples now.
    schema_editor.execute("ANALYZE signatories_signatory")


def two_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in OLD.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON signatories_signatory "
            f"USING gin (UPPER({column}) gin_trgm_ops)"
        )
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NEW}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("signatories", "0021_waves_and_pause")]

    operations = [migrations.RunPython(one_index, two_indexes, elidable=False)]
