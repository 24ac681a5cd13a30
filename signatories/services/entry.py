"""Names organisers vouch for: paper forms typed in or imported, and edits in the admin."""

import itertools

from django.db import connection, transaction
from django.utils import timezone

from signatories.crypto import blind_index
from signatories.models import Signatory
from signatories.names import clean_text, normalise_email
from signatories.services.signing import SignResult, insert_once


def approved_entry(
    *,
    letter,
    name,
    affiliation,
    email,
    kind,
    source,
    paper_sheet,
    consents_to_updates,
    confirmed_at,
    sort_name=None,
):
    """A signature an organiser vouches for, built (not saved): cleaned text, the address
    normalised, approved and confirmed, its sort name set, consent kept only with an address."""
    signatory = Signatory(
        letter=letter,
        kind=kind,
        name=clean_text(name),
        affiliation=clean_text(affiliation),
        email=normalise_email(email) if email.strip() else "",
        source=source,
        paper_sheet=paper_sheet.strip(),
        status=Signatory.Status.APPROVED,
        confirmed_at=confirmed_at,
    )
    signatory.consents_to_updates = consents_to_updates and bool(signatory.email)
    signatory.set_sort_name(sort_name)
    return signatory


def signatory_add_approved(
    *,
    letter,
    name,
    affiliation="",
    email="",
    kind=Signatory.Kind.INDIVIDUAL,
    source=Signatory.Source.ORGANISER,
    sort_name=None,
    paper_sheet="",
    consents_to_updates=False,
    namesake=False,
):
    """Add a signature an organiser vouches for (paper form, a name given in person).

    It is approved and counted at once. Entering the same sheet twice adds
    nothing: an address already on the letter is not added again, and without
    an address the same name and affiliation (in any case) is taken for the
    same person, unless the organiser says it is a namesake (`namesake`,
    after the preview showed the likely duplicate: signatories/paper.py). An
    address that signed online but never confirmed is confirmed by the paper
    form the organiser vouches for. Consent to updates is kept only with an
    address to send them to.
    """
    signatory = approved_entry(
        letter=letter,
        name=name,
        affiliation=affiliation,
        email=email,
        kind=kind,
        source=source,
        sort_name=sort_name,
        paper_sheet=paper_sheet,
        consents_to_updates=consents_to_updates,
        confirmed_at=timezone.now(),
    )
    signatory.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        if signatory.email:
            stored, created = insert_once(signatory, require_open=False)
            if not created and stored.confirmed_at is None and stored.withdrawn_at is None:
                stored.confirmed_at = signatory.confirmed_at
                stored.status = Signatory.Status.APPROVED
                stored.consents_to_updates |= signatory.consents_to_updates
                stored.reminder_due_at = None  # vouched for on paper: nothing to remind
                stored.save(
                    update_fields=[
                        "confirmed_at",
                        "status",
                        "consents_to_updates",
                        "reminder_due_at",
                    ]
                )
                created = True
            return SignResult(signatory=stored, created=created)
        existing = (
            None
            if namesake
            else Signatory.objects.filter(
                letter=letter,
                email="",
                name__iexact=signatory.name,
                affiliation__iexact=signatory.affiliation,
            ).first()
        )
        if existing is not None:
            return SignResult(signatory=existing, created=False)
        signatory.save(force_insert=True)
    return SignResult(signatory=signatory, created=True)


def signatory_admin_save(*, signatory, changed_fields, created):
    """Save an organiser's edit from the admin form or changelist.

    A new entry is an organiser's: approved, counted at once. An edited sort
    name is kept (a blank one is derived again); an edited name or kind
    re-derives the sort name unless the organiser set one in the same edit.
    """
    if created:
        signatory.source = Signatory.Source.ORGANISER
        signatory.confirmed_at = timezone.now()
    signatory.name = clean_text(signatory.name)
    signatory.affiliation = clean_text(signatory.affiliation)
    if "sort_name" in changed_fields:
        signatory.set_sort_name(clean_text(signatory.sort_name))
    elif created or {"name", "kind"} & set(changed_fields):
        signatory.set_sort_name()
    signatory.save()
    return signatory


INSERT_ROWS_PER_STATEMENT = 500


def signatories_insert_many(rows):
    """INSERT many signatures at once, skipping addresses already on the letter.

    Each row is a dict of field values (what `approved_entry` would set: a
    paper import's rows). Every other field takes its default, and every
    value goes through its field's own preparation, as a save's does: the
    address is encrypted by its field, its keyed hash is taken from it here
    as the hash field would, and the database's constraints check each row.
    What is skipped is building a model instance and compiling an INSERT
    for each: a hundred thousand rows go in seconds. ON CONFLICT DO NOTHING
    for an address on the letter already (it signed online meanwhile): never
    a second row, and no address in PostgreSQL's log. Returns how many rows
    were sent.

    On PostgreSQL the rows are COPYed into a temporary table and go from there
    in one INSERT: psycopg writes COPY's rows in C, where an array per column
    (`unnest`) was built in Python, and the count journal's trigger still runs
    once per batch. Elsewhere, 500 rows to a multi-row VALUES.
    """
    if not rows:
        return 0
    fields = [f for f in Signatory._meta.concrete_fields if not f.primary_key]
    # Defaults prepared once (created_at is one moment for the batch); given values each time.
    defaults = [f.get_db_prep_save(f.get_default(), connection) for f in fields]
    prepared = []
    for row in rows:
        row = {**row, "email_hash": blind_index(row.get("email", ""))}
        prepared.append(
            [
                f.get_db_prep_save(row[f.attname], connection) if f.attname in row else default
                for f, default in zip(fields, defaults, strict=True)
            ]
        )
    quote = connection.ops.quote_name
    table = quote(Signatory._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    if connection.vendor == "postgresql":
        # In a transaction (a savepoint inside a caller's): a batch cut short takes its
        # temporary table with it, and one that succeeds drops it, so the next can begin.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE incoming_signatories AS "  # noqa: S608
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            with cursor.copy(f"COPY incoming_signatories ({columns}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608
                "FROM incoming_signatories ON CONFLICT DO NOTHING"
            )
            cursor.execute("DROP TABLE incoming_signatories")
        return len(prepared)
    with connection.cursor() as cursor:
        marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for chunk in itertools.batched(prepared, INSERT_ROWS_PER_STATEMENT):
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                + ", ".join([marks] * len(chunk))
                + " ON CONFLICT DO NOTHING",
                [value for row in chunk for value in row],
            )
    return len(prepared)
