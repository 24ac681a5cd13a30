import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from signatories import tokens
from signatories.models import Signatory
from signatories.names import clean_text
from signatories.tasks import send_already_signed_email, send_confirmation_email

logger = logging.getLogger(__name__)


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
    created: bool


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
    consents_to_updates=False,
    ip_address=None,
):
    """Record a web signature and send the mail that confirms it.

    Signing twice with one address, in any case, leaves one row; the second
    attempt gets an "already signed" mail and the caller the same result
    shape, so no page can reveal whether an address has signed.
    """
    _ensure_open(letter)
    signatory = Signatory(
        letter=letter,
        kind=kind,
        name=clean_text(name),
        affiliation=clean_text(affiliation),
        email=email.strip(),
        source=Signatory.Source.WEB,
        consents_to_updates=consents_to_updates,
        ip_hash=hash_ip(ip_address),
    )
    signatory.set_sort_name()
    # The database enforces uniqueness; checking it here would only race.
    signatory.full_clean(validate_unique=False, validate_constraints=False)

    with transaction.atomic():
        try:
            with transaction.atomic():
                signatory.save(force_insert=True)
        except IntegrityError:
            existing = Signatory.objects.filter(letter=letter).with_email(signatory.email).first()
            if existing is None:
                raise
            transaction.on_commit(lambda: send_already_signed_email.enqueue(existing.pk))
            logger.info("Repeat signature on letter %s for signatory %s", letter.pk, existing.pk)
            return SignResult(signatory=existing, created=False)
        transaction.on_commit(lambda: send_confirmation_email.enqueue(signatory.pk))
    logger.info("New signature %s on letter %s", signatory.pk, letter.pk)
    return SignResult(signatory=signatory, created=True)


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


def signatory_add_approved(
    *,
    letter,
    name,
    affiliation="",
    email="",
    kind=Signatory.Kind.INDIVIDUAL,
    source=Signatory.Source.ORGANISER,
    sort_name=None,
):
    """Add a signature an organiser vouches for (paper form, a name given in person).

    It is approved and counted at once. An address already on the letter
    returns the existing row untouched, so entering the same sheet twice adds
    nothing.
    """
    signatory = Signatory(
        letter=letter,
        kind=kind,
        name=clean_text(name),
        affiliation=clean_text(affiliation),
        email=email.strip(),
        source=source,
        status=Signatory.Status.APPROVED,
        confirmed_at=timezone.now(),
    )
    signatory.set_sort_name(sort_name)
    signatory.full_clean(validate_unique=False, validate_constraints=False)
    if signatory.email:
        same = Signatory.objects.filter(letter=letter).with_email(signatory.email)
    else:
        same = Signatory.objects.filter(
            letter=letter, email="", name=signatory.name, affiliation=signatory.affiliation
        )
    with transaction.atomic():
        existing = same.first()
        if existing is not None:
            return SignResult(signatory=existing, created=False)
        try:
            with transaction.atomic():
                signatory.save(force_insert=True)
        except IntegrityError:
            # Someone entered the same address a moment ago.
            existing = same.first()
            if existing is None:
                raise
            return SignResult(signatory=existing, created=False)
    return SignResult(signatory=signatory, created=True)
