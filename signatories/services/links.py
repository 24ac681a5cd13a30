"""What the links in a signatory's mails do: confirm, withdraw, unsubscribe, erase.

Each takes the signed token from the link (signatories/tokens.py) and
changes one row in one transaction; a link followed a second time changes
nothing (AlreadyDone).
"""

import logging

from django.db import transaction
from django.utils import timezone

from signatories import tokens
from signatories.selectors import signatory_get_by_token
from signatories.services.signing import LetterNotOpen
from signatories.signals import addresses_removed_send

logger = logging.getLogger(__name__)


class AlreadyDone(Exception):
    """A valid link followed a second time: harmless, and nothing changes."""

    def __init__(self, signatory):
        super().__init__()
        self.signatory = signatory


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
        signatory.reminder_due_at = None  # no reminder owed any more
        signatory.save(update_fields=["confirmed_at", "reminder_due_at"])
    logger.info("Signature %s confirmed", signatory.pk)
    return signatory


def signatory_withdraw(*, token):
    """Take a name off the list and out of the count at once."""
    with transaction.atomic():
        signatory = signatory_get_by_token(token=token, purpose=tokens.WITHDRAW, for_update=True)
        if signatory.withdrawn_at is not None:
            raise AlreadyDone(signatory)
        signatory.withdrawn_at = timezone.now()
        signatory.reminder_due_at = None
        signatory.save(update_fields=["withdrawn_at", "reminder_due_at"])
    logger.info("Signature %s withdrawn", signatory.pk)
    return signatory


def signatory_restore(*, token):
    """Put a withdrawn signature back: the same row, its first date, as it was before.

    Only from the link in the mail a withdrawn signer gets when they sign
    again; a signature that is not withdrawn has nothing to restore.
    """
    with transaction.atomic():
        signatory = signatory_get_by_token(token=token, purpose=tokens.RESTORE, for_update=True)
        if signatory.withdrawn_at is None:
            raise AlreadyDone(signatory)
        signatory.withdrawn_at = None
        signatory.save(update_fields=["withdrawn_at"])
    logger.info("Signature %s restored", signatory.pk)
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
        addresses_removed_send(letter.pk)
    logger.info("Signature %s erased", pk)
    return letter
