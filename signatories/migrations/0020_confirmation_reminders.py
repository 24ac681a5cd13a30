"""One reminder to confirm: when it is owed, how often it was tried, when it went out.

The two dates are nullable columns, added in place on both databases. The
count of tries is NOT NULL with a default: Django would rebuild the whole
table on SQLite to add it, and dropping the old table drops the count
journal's triggers (0018) with it. SQLite can add such a column in place,
so this migration says it directly there (PostgreSQL adds it in place, a
constant default needing no rewrite, through the schema editor).
"""

from django.db import migrations, models

ATTEMPTS = models.PositiveSmallIntegerField(db_default=0, default=0, editable=False)


def add_attempts(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "ALTER TABLE signatories_signatory ADD COLUMN reminder_attempts smallint unsigned "
            "NOT NULL DEFAULT 0 CHECK (reminder_attempts >= 0)"
        )
        return
    model = apps.get_model("signatories", "Signatory")  # the field is in the state already
    schema_editor.add_field(model, model._meta.get_field("reminder_attempts"))


def remove_attempts(apps, schema_editor):
    model = apps.get_model("signatories", "Signatory")
    if schema_editor.connection.vendor == "sqlite":
        # SQLite 3.35+ drops a column in place, keeping the table's triggers.
        schema_editor.execute("ALTER TABLE signatories_signatory DROP COLUMN reminder_attempts")
        return
    schema_editor.remove_field(model, model._meta.get_field("reminder_attempts"))


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0011_contacts_exports"),
        ("signatories", "0019_queue_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="signatory",
            name="reminder_due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="signatory",
            name="reminder_sent_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="When the one reminder to confirm went out.",
                null=True,
                verbose_name="reminded at",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="signatory", name="reminder_attempts", field=ATTEMPTS
                ),
            ],
        ),
        migrations.RunPython(add_attempts, remove_attempts),
        migrations.AddIndex(
            model_name="signatory",
            index=models.Index(
                condition=models.Q(("reminder_due_at__isnull", False)),
                fields=["reminder_due_at"],
                name="signatory_reminder_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="signatory",
            index=models.Index(
                condition=models.Q(("reminder_sent_at__isnull", False)),
                fields=["letter"],
                name="signatory_reminded_idx",
            ),
        ),
    ]
