"""Taking a signature from the web form, in one INSERT, and owing its confirmation mail."""

import contextlib
import functools
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from letters.models import Letter
from mailing.services import outbox_schedule
from signatories.abuse import hash_ip
from signatories.models import Signatory
from signatories.names import clean_text, normalise_email
from signatories.outboxes import ALREADY_SIGNED, CONFIRMATIONS

logger = logging.getLogger(__name__)


BOT_SUSPICIONS = {
    Signatory.Suspicion.HONEYPOT,
    Signatory.Suspicion.TOO_FAST,
    Signatory.Suspicion.NO_FORM,
}


class LetterNotOpen(ValidationError):
    pass


@dataclass(frozen=True)
class SignResult:
    signatory: Signatory
    created: bool  # True when the name is newly counted on the letter


def ensure_open(letter):
    if not letter.is_open:
        raise LetterNotOpen(
            f"“{letter.title}” is not open for signatures ({letter.get_status_display().lower()}).",
            code="letter_not_open",
        )


def signatory_sign(
    *,
    letter,
    name,
    email,
    affiliation="",
    kind=Signatory.Kind.INDIVIDUAL,
    display=Signatory.Display.FULL,
    consents_to_updates=False,
    ip_address=None,
    suspicion=Signatory.Suspicion.NONE,
    language=None,
):
    """Record a web signature and owe the mail that confirms it.

    Signing twice with one address, in any case, leaves one row; the second
    attempt is owed an "already signed" mail (one a day, however many
    attempts) and the caller gets the same result shape, so no page can
    reveal whether an address has signed.

    A suspect signature is kept and held for a moderator. If it looks like a
    bot (honeypot, no form, too fast) no mail goes out at all: a form that
    mails any address it is given would be a tool for flooding inboxes.
    """
    ensure_open(letter)
    signatory = Signatory(
        letter=letter,
        kind=kind,
        name=clean_text(name),
        affiliation=clean_text(affiliation),
        email=normalise_email(email),
        source=Signatory.Source.WEB,
        display=display,
        consents_to_updates=consents_to_updates,
        ip_hash=hash_ip(ip_address),
        suspicion=suspicion,
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
    )
    signatory.set_sort_name()
    # The database enforces uniqueness; checking it here would only race. The
    # letter is the caller's loaded object: validating it would be a query.
    signatory.full_clean(exclude=["letter"], validate_unique=False, validate_constraints=False)

    mail = suspicion not in BOT_SUSPICIONS
    if mail:
        signatory.confirmation_due_at = signatory.created_at  # into the outbox, with the row
        if settings.UNCONFIRMED_REMINDER_HOURS:
            # Owed now, due later: cleared if it is confirmed or withdrawn first.
            signatory.reminder_due_at = signatory.created_at + timedelta(
                hours=settings.UNCONFIRMED_REMINDER_HOURS
            )
    stored, created = insert_once(signatory)
    if mail and created:
        transaction.on_commit(schedule_confirmations)
    elif mail and ALREADY_SIGNED.owe(stored.pk):
        transaction.on_commit(functools.partial(outbox_schedule, outbox=ALREADY_SIGNED))
    if created:
        logger.info("New signature %s on letter %s", stored.pk, letter.pk)
    else:
        logger.info("Repeat signature on letter %s for signatory %s", letter.pk, stored.pk)
    return SignResult(signatory=stored, created=created)


def schedule_confirmations():
    """A drain of the confirmations outbox, once per burst (bench/app.py undoes this)."""
    outbox_schedule(outbox=CONFIRMATIONS)


def insert_once(signatory, *, require_open=True):
    """Insert unless the address already signed; return (the row, whether it is ours).

    One statement does the work, and the database has the last word:

        INSERT INTO signatory (...) SELECT ... WHERE <the letter is open>
        ON CONFLICT DO NOTHING RETURNING id

    - ON CONFLICT DO NOTHING rather than catching IntegrityError: a unique
      violation makes PostgreSQL write the conflicting key, the e-mail
      address, into its server log. Concurrent signers with one address
      wait on each other inside the database; one row goes in.
    - The open check inside the INSERT: a letter an organiser closed a
      moment ago takes no more names, whatever the caller loaded (the sign
      view reads the letter from a cache).
    - RETURNING gives the new id, so a first signature, the common case
      under load, needs no second query. Only a repeat or a closed letter
      reads back.

    Organisers may add names to a letter in any state (paper sheets come in
    after it closes): they pass require_open=False.
    """
    pk = _insert_returning_pk(signatory, require_open=require_open)
    if pk is not None:
        signatory.pk = pk
        signatory._state.adding = False
        signatory._state.db = DEFAULT_DB_ALIAS
        return signatory, True
    if require_open:
        letter = Letter.objects.only("pk", "title", "status").filter(pk=signatory.letter_id)
        letter = letter.first()
        if letter is None:  # deleted while the form was being filled in
            raise LetterNotOpen("This letter is no longer open.", code="letter_not_open")
        ensure_open(letter)
    already = Signatory.objects.filter(letter_id=signatory.letter_id)
    # Found by the address's hash; the address itself is not read back (nor decrypted).
    stored = already.with_email(signatory.email).defer("email").first()
    if stored is None:
        raise ValidationError(_("This signature could not be saved."), code="not_saved")
    return stored, False


def _insert_returning_pk(signatory, *, require_open):
    """The new row's id; None if the address has signed (or the letter is not open)."""
    sql, params = insert_statement(signatory, require_open=require_open)
    # Inside a caller's transaction a savepoint keeps it usable if a check
    # constraint refuses the row; on its own (a web request) none is needed.
    nested = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with nested, connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
    except IntegrityError:
        # full_clean checks the fields first; a check constraint is the last line, not the path.
        raise ValidationError(_("This signature could not be saved."), code="not_saved") from None
    return row[0] if row else None


def insert_statement(signatory, *, require_open=True):
    """(sql, params) of the sign request's one INSERT; bench/load.py prints its plan.

    The ORM's bulk_create(ignore_conflicts=True) can express neither the
    condition nor RETURNING. PostgreSQL and SQLite (3.35+) both take this SQL;
    SQLite needs a WHERE to tell the SELECT from the ON CONFLICT clause.
    Only quoted names from the models' metadata go into the text; every
    value is a parameter.
    """
    meta, quote = Signatory._meta, connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(signatory, add=True), connection) for field in fields
    ]
    condition, condition_params = "TRUE", []
    if require_open:
        letters, status = Letter._meta, Letter._meta.get_field("status")
        condition = (
            f"EXISTS (SELECT 1 FROM {quote(letters.db_table)} "  # noqa: S608
            f"WHERE {quote(letters.pk.column)} = %s AND {quote(status.column)} = %s)"
        )
        condition_params = [signatory.letter_id, Letter.Status.OPEN]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"SELECT {', '.join(['%s'] * len(fields))} WHERE {condition} "
        f"ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    return sql, [*values, *condition_params]


def signatories_resend_confirmations(*, letter=None, older_than_minutes=10):
    """Owe the confirmation mail again to signatures still unconfirmed; returns how many.

    For after a mail outage. Signatures held as bots never get mail; recent
    ones are left alone, their first mail may still be on its way. A mail a
    worker is sending right now is left to it (mailing/outbox.py, `add`).
    """
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    pending = (
        Signatory.objects.unconfirmed()
        .mailable()
        .filter(created_at__lt=cutoff, letter__status=Letter.Status.OPEN)
        .exclude(suspicion__in=BOT_SUSPICIONS)
    )
    if letter is not None:
        pending = pending.filter(letter=letter)
    count = CONFIRMATIONS.add(pending, confirmation_sent_at=None)
    if count:
        transaction.on_commit(schedule_confirmations)
    logger.info("Queued %s confirmation mails again", count)
    return count
