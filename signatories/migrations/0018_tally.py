"""Counts kept by the database: a journal of changes to each letter's counts (`Tally`).

Triggers add a row to signatories_tally for every statement that moves
signatures between the states of `signatories.models.States`, and for a
letter whose moderation changes (post-moderation publishes what awaits a
decision). The states are written out below in SQL, once, for both
databases; `tests/signatories/test_tally.py` holds them to `States` on random
histories, so a change to `States` without a new migration fails there.

- PostgreSQL: statement-level triggers with transition tables, so a bulk
  approval of 100,000 rows writes one journal row, not 100,000.
- SQLite (development): row-level triggers (SQLite has no other kind).

The journal starts with each letter's counts as they stand, computed in the
same transaction that creates the triggers: on PostgreSQL creating a trigger
locks out writes to the table until the commit, so no signature falls
between the two.
"""

from django.db import migrations, models

COUNTS = (
    "published",
    "hidden",
    "awaiting",
    "approved",
    "rejected",
    "unconfirmed",
    "withdrawn",
    "suspect",
)


def states(s, letter):
    """Each count's condition for a signatory row `s` of a letter row `letter`, as SQL."""
    standing = f"{s}.confirmed_at IS NOT NULL AND {s}.withdrawn_at IS NULL"
    not_held = f"{s}.suspicion IN ('', 'shared')"
    published = (
        f"{standing} AND ({s}.status = 'approved' OR ({s}.status = 'pending' "
        f"AND {letter}.moderation = 'post' AND {not_held}))"
    )
    return {
        "published": published,
        "hidden": f"{published} AND {s}.display = 'hidden'",
        "awaiting": f"{standing} AND {s}.status = 'pending'",
        "approved": f"{standing} AND {s}.status = 'approved'",
        "rejected": f"{standing} AND {s}.status = 'rejected'",
        "unconfirmed": f"{s}.confirmed_at IS NULL AND {s}.withdrawn_at IS NULL",
        "withdrawn": f"{s}.withdrawn_at IS NOT NULL",
        "suspect": f"{s}.withdrawn_at IS NULL AND {s}.status = 'pending' AND NOT ({not_held})",
    }


def counted(s, letter, sign=""):
    """`sign`1 or 0 per count, as columns named after the counts."""
    return ", ".join(
        f"{sign}(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {name}"
        for name, condition in states(s, letter).items()
    )


COLUMNS = ", ".join(COUNTS)
SUMS = ", ".join(f"SUM({name})" for name in COUNTS)
ANY_CHANGE = " OR ".join(f"SUM({name}) <> 0" for name in COUNTS)
INSERT = f"INSERT INTO signatories_tally (letter_id, {COLUMNS})"
LETTER = "JOIN letters_letter l ON l.id = s.letter_id"


def _pg_changes(*parts):
    rows = " UNION ALL ".join(parts)
    return f"{INSERT} SELECT letter_id, {SUMS} FROM ({rows}) d GROUP BY letter_id HAVING {ANY_CHANGE};"


PG_NEW = f"SELECT s.letter_id, {counted('s', 'l')} FROM new_rows s {LETTER}"
PG_OLD = f"SELECT s.letter_id, {counted('s', 'l', '-')} FROM old_rows s {LETTER}"

PG_FUNCTION = """
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {body}
    RETURN NULL;
END;
$$;
"""

# On a letter's change of moderation, what awaits a decision (confirmed, not
# held) enters the published count (to post-moderation) or leaves it.
MODERATION_DELTA = """
SELECT {letter}.id AS letter_id,
       {sign} * COUNT(*) AS published,
       {sign} * SUM(CASE WHEN s.display = 'hidden' THEN 1 ELSE 0 END) AS hidden
FROM signatories_signatory s
WHERE s.letter_id = {letter}.id AND s.confirmed_at IS NOT NULL AND s.withdrawn_at IS NULL
  AND s.status = 'pending' AND s.suspicion IN ('', 'shared')
"""
MODERATION_SIGN = "(CASE WHEN {letter}.moderation = 'post' THEN 1 ELSE -1 END)"


def _moderation_insert(letter):
    delta = MODERATION_DELTA.format(letter=letter, sign=MODERATION_SIGN.format(letter=letter))
    return (
        "INSERT INTO signatories_tally (letter_id, published, hidden) "
        f"SELECT letter_id, published, hidden FROM ({delta}) d WHERE published <> 0;"
    )


PG_FORWARD = [
    PG_FUNCTION.format(name="signatories_tally_inserted", body=_pg_changes(PG_NEW)),
    PG_FUNCTION.format(name="signatories_tally_updated", body=_pg_changes(PG_NEW, PG_OLD)),
    PG_FUNCTION.format(name="signatories_tally_deleted", body=_pg_changes(PG_OLD)),
    PG_FUNCTION.format(name="signatories_tally_moderation", body=_moderation_insert("NEW")),
    """CREATE TRIGGER signatories_tally_insert AFTER INSERT ON signatories_signatory
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION signatories_tally_inserted();""",
    """CREATE TRIGGER signatories_tally_update AFTER UPDATE ON signatories_signatory
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION signatories_tally_updated();""",
    """CREATE TRIGGER signatories_tally_delete AFTER DELETE ON signatories_signatory
       REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION signatories_tally_deleted();""",
    """CREATE TRIGGER signatories_tally_moderation AFTER UPDATE OF moderation ON letters_letter
       FOR EACH ROW WHEN (OLD.moderation IS DISTINCT FROM NEW.moderation)
       EXECUTE FUNCTION signatories_tally_moderation();""",
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS signatories_tally_insert ON signatories_signatory;",
    "DROP TRIGGER IF EXISTS signatories_tally_update ON signatories_signatory;",
    "DROP TRIGGER IF EXISTS signatories_tally_delete ON signatories_signatory;",
    "DROP TRIGGER IF EXISTS signatories_tally_moderation ON letters_letter;",
    "DROP FUNCTION IF EXISTS signatories_tally_inserted();",
    "DROP FUNCTION IF EXISTS signatories_tally_updated();",
    "DROP FUNCTION IF EXISTS signatories_tally_deleted();",
    "DROP FUNCTION IF EXISTS signatories_tally_moderation();",
]


def _sqlite_row(s, sign=""):
    """One journal row for row `s` (NEW or OLD, `sign` "-" to take it away) unless it counts nowhere."""
    return (
        f"{INSERT} SELECT * FROM (SELECT {s}.letter_id AS letter_id, {counted(s, 'l', sign)} "
        f"FROM letters_letter l WHERE l.id = {s}.letter_id) "
        f"WHERE {' OR '.join(f'{name} <> 0' for name in COUNTS)};"
    )


def _sqlite_difference():
    """NEW minus OLD in one row, when both are of the same letter."""
    new, old = states("NEW", "l"), states("OLD", "l")
    values = ", ".join(
        f"(CASE WHEN {new[name]} THEN 1 ELSE 0 END) - (CASE WHEN {old[name]} THEN 1 ELSE 0 END)"
        f" AS {name}"
        for name in COUNTS
    )
    return (
        f"{INSERT} SELECT * FROM (SELECT NEW.letter_id AS letter_id, {values} "
        "FROM letters_letter l WHERE l.id = NEW.letter_id) "
        f"WHERE {' OR '.join(f'{name} <> 0' for name in COUNTS)};"
    )


SQLITE_FORWARD = [
    f"""CREATE TRIGGER signatories_tally_insert AFTER INSERT ON signatories_signatory
        BEGIN {_sqlite_row("NEW")} END;""",
    f"""CREATE TRIGGER signatories_tally_update AFTER UPDATE ON signatories_signatory
        WHEN NEW.letter_id = OLD.letter_id
        BEGIN {_sqlite_difference()} END;""",
    f"""CREATE TRIGGER signatories_tally_move AFTER UPDATE ON signatories_signatory
        WHEN NEW.letter_id <> OLD.letter_id
        BEGIN {_sqlite_row("OLD", "-")} {_sqlite_row("NEW")} END;""",
    f"""CREATE TRIGGER signatories_tally_delete AFTER DELETE ON signatories_signatory
        BEGIN {_sqlite_row("OLD", "-")} END;""",
    f"""CREATE TRIGGER signatories_tally_moderation AFTER UPDATE OF moderation ON letters_letter
        WHEN OLD.moderation <> NEW.moderation
        BEGIN {_moderation_insert("NEW")} END;""",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "signatories_tally_insert",
        "signatories_tally_update",
        "signatories_tally_move",
        "signatories_tally_delete",
        "signatories_tally_moderation",
    )
]

# The counts as they stand when the journal starts: one row per letter.
SEED = (
    f"{INSERT} SELECT letter_id, {SUMS} FROM "
    f"(SELECT s.letter_id, {counted('s', 'l')} FROM signatories_signatory s {LETTER}) d "
    f"GROUP BY letter_id HAVING {ANY_CHANGE}"
)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"No tally triggers written for {vendor}.")
    for statement in statements:
        schema_editor.execute(statement)
    schema_editor.execute(SEED)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}[vendor]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0009_delivery_hand_in"),
        ("signatories", "0017_email_encrypted_at_rest"),
    ]

    operations = [
        migrations.CreateModel(
            name="Tally",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("published", models.IntegerField(db_default=0)),
                ("hidden", models.IntegerField(db_default=0)),
                ("awaiting", models.IntegerField(db_default=0)),
                ("approved", models.IntegerField(db_default=0)),
                ("rejected", models.IntegerField(db_default=0)),
                ("unconfirmed", models.IntegerField(db_default=0)),
                ("withdrawn", models.IntegerField(db_default=0)),
                ("suspect", models.IntegerField(db_default=0)),
                (
                    "letter",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="letters.letter",
                    ),
                ),
            ],
            options={"verbose_name_plural": "tallies"},
        ),
        migrations.RunPython(forward, backward),
    ]
