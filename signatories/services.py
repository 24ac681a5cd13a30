import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from letters.models import Letter
from signatories import tokens
from signatories.models import ModerationAction, ModerationEntry, Signatory
from signatories.names import clean_text, normalise_email
from signatories.tasks import (
    requested_now,
    schedule_due_confirmations,
    send_already_signed_email,
    send_confirmation_email,
)

logger = logging.getLogger(__name__)


BOT_SUSPICIONS = {
    Signatory.Suspicion.HONEYPOT,
    Signatory.Suspicion.TOO_FAST,
    Signatory.Suspicion.NO_FORM,
}


class LetterNotOpen(ValidationError):
    pass


class AlreadyDone(Exception):
    """A valid link followed a second time: harmless, and nothing changes."""

    def __init__(self, signatory):
        super().__init__()
        self.signatory = signatory


@dataclass(frozen=True)
class SignResult:
    signatory: Signatory
    created: bool  # True when the name is newly counted on the letter


def hash_ip(ip_address):
    """A keyed hash, so abuse can be traced per address without keeping the address."""
    if not ip_address:
        return ""
    return salted_hmac("signatories.ip", ip_address, algorithm="sha256").hexdigest()


def _ensure_open(letter):
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
    """Record a web signature and send the mail that confirms it.

    Signing twice with one address, in any case, leaves one row; the second
    attempt gets an "already signed" mail and the caller the same result
    shape, so no page can reveal whether an address has signed.

    A suspect signature is kept and held for a moderator. If it looks like a
    bot (honeypot, no form, too fast) no mail goes out at all: a form that
    mails any address it is given would be a tool for flooding inboxes.
    """
    _ensure_open(letter)
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
    stored, created = _insert_once(signatory)
    if mail and created:
        transaction.on_commit(schedule_due_confirmations)
    elif mail:
        requested = requested_now()
        transaction.on_commit(lambda: send_already_signed_email.enqueue(stored.pk, 1, requested))
    if created:
        logger.info("New signature %s on letter %s", stored.pk, letter.pk)
    else:
        logger.info("Repeat signature on letter %s for signatory %s", letter.pk, stored.pk)
    return SignResult(signatory=stored, created=created)


def _insert_once(signatory, *, require_open=True):
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
        _ensure_open(letter)
    already = Signatory.objects.filter(letter_id=signatory.letter_id)
    stored = already.with_email(signatory.email).first()
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


def signatory_get_by_token(*, token, purpose, for_update=False):
    """The signatory a link was sent to, or TokenInvalid / TokenExpired."""
    pk, fingerprint = tokens.read_token(token, purpose)
    queryset = Signatory.objects.select_related("letter")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    signatory = queryset.filter(pk=pk).first()
    if signatory is None or not tokens.matches(signatory, fingerprint):
        raise tokens.TokenInvalid
    return signatory


def signatory_confirm(*, token):
    """Confirm the e-mail address behind a signature; a second click changes nothing."""
    with transaction.atomic():
        signatory = signatory_get_by_token(token=token, purpose=tokens.CONFIRM, for_update=True)
        if signatory.confirmed_at is not None or signatory.withdrawn_at is not None:
            raise AlreadyDone(signatory)
        if not signatory.letter.is_open:
            raise LetterNotOpen(
                "This letter closed before the signature was confirmed.", code="letter_not_open"
            )
        signatory.confirmed_at = timezone.now()
        signatory.save(update_fields=["confirmed_at"])
    logger.info("Signature %s confirmed", signatory.pk)
    return signatory


def signatory_withdraw(*, token):
    """Take a name off the list and out of the count at once."""
    with transaction.atomic():
        signatory = signatory_get_by_token(token=token, purpose=tokens.WITHDRAW, for_update=True)
        if signatory.withdrawn_at is not None:
            raise AlreadyDone(signatory)
        signatory.withdrawn_at = timezone.now()
        signatory.save(update_fields=["withdrawn_at"])
    logger.info("Signature %s withdrawn", signatory.pk)
    return signatory


def signatory_unsubscribe(*, token):
    """Stop updates for this signature; the signature itself stays. Safe to repeat."""
    with transaction.atomic():
        signatory = signatory_get_by_token(token=token, purpose=tokens.UNSUBSCRIBE, for_update=True)
        if signatory.consents_to_updates:
            signatory.consents_to_updates = False
            signatory.save(update_fields=["consents_to_updates"])
    logger.info("Signature %s unsubscribed from updates", signatory.pk)
    return signatory


def signatory_erase(*, token):
    """Remove a signature and everything it held: name, address, IP hash, audit entries.

    Returns the letter, so the page can say what happens to a copy already
    handed in (nothing can recall it).
    """
    with transaction.atomic():
        signatory = signatory_get_by_token(token=token, purpose=tokens.ERASE, for_update=True)
        letter, pk = signatory.letter, signatory.pk
        signatory.delete()
    logger.info("Signature %s erased", pk)
    return letter


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
):
    """Add a signature an organiser vouches for (paper form, a name given in person).

    It is approved and counted at once. Entering the same sheet twice adds
    nothing: an address already on the letter is not added again, and without
    an address the same name and affiliation (in any case) is taken for the
    same person; the summary reports it as skipped, and the admin's add form
    can still add a true namesake. An address that signed online but never
    confirmed is confirmed by the paper form the organiser vouches for.
    """
    signatory = Signatory(
        letter=letter,
        kind=kind,
        name=clean_text(name),
        affiliation=clean_text(affiliation),
        email=normalise_email(email) if email.strip() else "",
        source=source,
        paper_sheet=paper_sheet.strip(),
        status=Signatory.Status.APPROVED,
        confirmed_at=timezone.now(),
    )
    signatory.set_sort_name(sort_name)
    signatory.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        if signatory.email:
            stored, created = _insert_once(signatory, require_open=False)
            if not created and stored.confirmed_at is None and stored.withdrawn_at is None:
                stored.confirmed_at = signatory.confirmed_at
                stored.status = Signatory.Status.APPROVED
                stored.save(update_fields=["confirmed_at", "status"])
                created = True
            return SignResult(signatory=stored, created=created)
        existing = Signatory.objects.filter(
            letter=letter,
            email="",
            name__iexact=signatory.name,
            affiliation__iexact=signatory.affiliation,
        ).first()
        if existing is not None:
            return SignResult(signatory=existing, created=False)
        signatory.save(force_insert=True)
    return SignResult(signatory=signatory, created=True)


Decision = ModerationAction.Decision
Status = Signatory.Status

# Which statuses each decision applies to, and what it makes them.
DECISIONS = {
    Decision.APPROVE: ({Status.PENDING, Status.REJECTED}, Status.APPROVED),
    Decision.REJECT: ({Status.PENDING, Status.APPROVED}, Status.REJECTED),
    Decision.RESTORE: ({Status.APPROVED, Status.REJECTED}, Status.PENDING),
}


def signatories_decide(*, queryset, decision, moderator):
    """Approve, reject or restore many signatures at once, with an audit entry for each.

    Two statements whatever the number of rows: an INSERT ... SELECT writes the
    audit entries (with each row's status before), then one UPDATE changes
    exactly the rows that were audited. No Python loop over rows.
    """
    decision = Decision(decision)
    from_statuses, to_status = DECISIONS[decision]
    with transaction.atomic():
        action = ModerationAction.objects.create(decision=decision, moderator=moderator)
        source = (
            Signatory.objects.filter(
                pk__in=queryset.order_by().values("pk"), status__in=from_statuses
            )
            .annotate(action_id=Value(action.pk))
            .order_by()
            .values_list("pk", "status", "action_id")
        )
        select_sql, params = source.query.sql_with_params()
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(ModerationEntry._meta.db_table)} "
                f"({quote('signatory_id')}, {quote('from_status')}, {quote('action_id')}) "
                f"{select_sql}",
                params,
            )
        count = Signatory.objects.filter(moderation_entries__action=action).update(status=to_status)
        action.count = count
        action.save(update_fields=["count"])
    logger.info("%s: %s signatures by user %s", decision.label, count, moderator.pk)
    return action


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


def signatories_purge_unconfirmed(*, older_than_days):
    """Delete signatures never confirmed within the retention period; safe to run again."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    count, _ = Signatory.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff).delete()
    logger.info("Purged %s unconfirmed signatures older than %s days", count, older_than_days)
    return count


def signatories_resend_confirmations(*, letter=None, older_than_minutes=10):
    """Queue the confirmation mail again for signatures still unconfirmed.

    For after a mail outage. Signatures held as bots never get mail; recent
    ones are left alone, their first mail may still be on its way.
    """
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    pending = (
        Signatory.objects.filter(
            confirmed_at__isnull=True,
            withdrawn_at__isnull=True,
            created_at__lt=cutoff,
            letter__status=Letter.Status.OPEN,
        )
        .exclude(email="")
        .exclude(suspicion__in=BOT_SUSPICIONS)
    )
    if letter is not None:
        pending = pending.filter(letter=letter)
    ids = list(pending.values_list("pk", flat=True))
    requested = requested_now()
    for pk in ids:
        send_confirmation_email.enqueue(pk, 1, requested)
    logger.info("Queued %s confirmation mails again", len(ids))
    return len(ids)


def signatories_set_notable(*, queryset, notable):
    """Mark or unmark signatures as notable (listed first on the page); one UPDATE."""
    return Signatory.objects.filter(pk__in=queryset.order_by().values("pk")).update(
        is_notable=notable
    )
