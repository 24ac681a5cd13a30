"""Bot waves (decisions on a cluster, their undo) and the site-wide pause of signing.

The one change to the signatories table is the widened check on `suspicion`
(a new value, "wave"). Django would drop the check and add the new one, and
PostgreSQL would read all six million rows to validate it while holding a lock
that stops signing. Here the new check is added NOT VALID (it holds for new rows
at once) and validated in a transaction of its own, which lets signing go on:
the migration is not atomic for that reason.
"""

import importlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


SUSPICIONS = ["", "shared", "rate", "honeypot", "too_fast", "no_form"]
OLD_CHECK = models.CheckConstraint(
    condition=models.Q(("suspicion__in", SUSPICIONS)), name="signatory_suspicion_valid"
)
NEW_CHECK = models.CheckConstraint(
    condition=models.Q(("suspicion__in", [*SUSPICIONS, "wave"])), name="signatory_suspicion_valid"
)


def _swap_check(apps, schema_editor, old, new):
    signatory = apps.get_model("signatories", "Signatory")
    if schema_editor.connection.vendor != "postgresql":
        # SQLite (development) rebuilds the table to change a check, and the count
        # journal's triggers (0018) would stop the rebuild: they go and come back around
        # it. The journal itself stands: no row changes state.
        tally = importlib.import_module("signatories.migrations.0018_tally")
        for statement in tally.SQLITE_BACKWARD:
            schema_editor.execute(statement)
        # The historical model still has the old check: it is rebuilt with the new one.
        signatory._meta.constraints = [
            *(c for c in signatory._meta.constraints if c.name != old.name),
            new,
        ]
        schema_editor._remake_table(signatory)
        for statement in tally.SQLITE_FORWARD:
            schema_editor.execute(statement)
        return
    table = schema_editor.quote_name(signatory._meta.db_table)
    name = schema_editor.quote_name(new.name)
    check = new.constraint_sql(signatory, schema_editor)  # "CONSTRAINT name CHECK (...)"
    # Each statement commits on its own (atomic = False): the lock of the first two is brief,
    # and VALIDATE reads the rows under a lock that lets inserts and updates go on.
    schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
    schema_editor.execute(f"ALTER TABLE {table} ADD {check} NOT VALID")
    schema_editor.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def widen_check(apps, schema_editor):
    _swap_check(apps, schema_editor, OLD_CHECK, NEW_CHECK)


def narrow_check(apps, schema_editor):
    _swap_check(apps, schema_editor, NEW_CHECK, OLD_CHECK)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("letters", "0011_contacts_exports"),
        ("signatories", "0020_confirmation_reminders"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SigningPause",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "paused",
                    models.BooleanField(
                        help_text="True: signing paused from here on; False: lifted."
                    ),
                ),
                (
                    "message",
                    models.TextField(
                        blank=True,
                        help_text="Shown on every letter page in place of the sign form while signing is paused.",
                        max_length=1000,
                    ),
                ),
                ("changed_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "pause of signing",
                "verbose_name_plural": "pauses of signing",
                "ordering": ["-changed_at", "-id"],
                "permissions": [("pause_signing", "Can pause and resume signing on every letter")],
            },
        ),
        migrations.AddField(
            model_name="moderationaction",
            name="letter",
            field=models.ForeignKey(
                blank=True,
                help_text="The letter of a bot wave's decision.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="letters.letter",
            ),
        ),
        migrations.AddField(
            model_name="moderationaction",
            name="note",
            field=models.CharField(
                blank=True,
                help_text="What was decided on, in words (never an address).",
                max_length=300,
            ),
        ),
        migrations.AddField(
            model_name="moderationaction",
            name="undoes",
            field=models.OneToOneField(
                blank=True,
                help_text="The decision this one undid.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="undone_by",
                to="signatories.moderationaction",
            ),
        ),
        migrations.AddField(
            model_name="moderationentry",
            name="from_suspicion",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Not suspect"),
                    ("shared", "Shares an address with other signers (a meeting, an office)"),
                    ("rate", "More signatures from one address than a meeting makes"),
                    ("honeypot", "Filled in the hidden field bots fill in"),
                    ("too_fast", "Sent faster than a person can type"),
                    ("no_form", "Sent without the signing form"),
                    ("wave", "Held with a bot wave by a moderator"),
                ],
                max_length=20,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="moderationaction",
            name="decision",
            field=models.CharField(
                choices=[
                    ("approve", "Approved"),
                    ("reject", "Rejected"),
                    ("restore", "Restored to the queue"),
                    ("hold", "Held as a bot wave"),
                    ("undo", "Undone"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="signatory",
            name="suspicion",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Not suspect"),
                    ("shared", "Shares an address with other signers (a meeting, an office)"),
                    ("rate", "More signatures from one address than a meeting makes"),
                    ("honeypot", "Filled in the hidden field bots fill in"),
                    ("too_fast", "Sent faster than a person can type"),
                    ("no_form", "Sent without the signing form"),
                    ("wave", "Held with a bot wave by a moderator"),
                ],
                default="",
                help_text=(
                    "Set by the abuse checks. A shared address is only marked (a meeting, an "
                    "office); the others hold the signature for a moderator, even on a "
                    "post-moderated letter."
                ),
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="moderationaction",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("decision", "undo"), ("undoes__isnull", False)),
                    models.Q(
                        models.Q(("decision", "undo"), _negated=True), ("undoes__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="moderation_undo_names_its_decision",
                violation_error_message="An undo names the decision it undoes.",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="signatory", name="signatory_suspicion_valid"
                ),
                migrations.AddConstraint(model_name="signatory", constraint=NEW_CHECK),
            ],
            database_operations=[migrations.RunPython(widen_check, narrow_check)],
        ),
        migrations.AddField(
            model_name="signingpause",
            name="changed_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="signingpause",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("paused", False), models.Q(("message", ""), _negated=True), _connector="OR"
                ),
                name="signing_pause_has_a_message",
                violation_error_message="A pause needs a message for the letter pages.",
            ),
        ),
    ]
