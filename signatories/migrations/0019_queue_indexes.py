"""The moderation queue and the admin's name search at any size.

- Each view of the queue gets an index of its own rows in the list's order
  (newest first), so its first page and its capped count are read off an
  index, not found by filtering millions of rows.
- On PostgreSQL, trigram indexes (pg_trgm) on the upper-cased name and
  affiliation: the admin searches with `UPPER(name) LIKE UPPER('%term%')`,
  which a B-tree cannot serve and these can. pg_trgm is a trusted extension
  (PostgreSQL 13+): the database's owner may create it.

Built without locking signing out (config/migration_operations.py), so this
migration is not atomic.
"""

from django.db import migrations, models

from config.migration_operations import AddIndexConcurrentlyOnPostgres

TRIGRAM_INDEXES = {
    "signatory_name_trgm_idx": "name",
    "signatory_affiliation_trgm_idx": "affiliation",
}


def trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON signatories_signatory "
            f"USING gin (UPPER({column}) gin_trgm_ops)"
        )


def no_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("letters", "0009_delivery_hand_in"),
        ("signatories", "0018_tally"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="signatory",
            index=models.Index(fields=["status", "-created_at", "-id"], name="signatory_queue_idx"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="signatory",
            index=models.Index(
                condition=models.Q(
                    ("withdrawn_at__isnull", True),
                    ("status", "pending"),
                    models.Q(("suspicion__in", ["", "shared"]), _negated=True),
                ),
                fields=["-created_at", "-id"],
                name="signatory_suspect_idx",
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="signatory",
            index=models.Index(
                condition=models.Q(("confirmed_at__isnull", True), ("withdrawn_at__isnull", True)),
                fields=["-created_at", "-id"],
                name="signatory_unconfirmed_idx",
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="signatory",
            index=models.Index(
                condition=models.Q(("withdrawn_at__isnull", False)),
                fields=["-created_at", "-id"],
                name="signatory_withdrawn_idx",
            ),
        ),
        migrations.RunPython(trigram_indexes, no_trigram_indexes),
    ]
