"""Pausing signing on every letter, and lifting the pause: each one row of the record.

For an emergency (a bot wave on every letter at once, a legal threat): the
sign form gives way to the organisers' message on every letter page, and a
sign request gets that message with a 503. Confirmation links keep working:
whoever signed before the pause gave their address already, a bot seldom
reads an inbox, and a wave that did confirm is rejected by its clusters.
"""

import functools
import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from signatories.models import SigningPause
from signatories.names import clean_text
from signatories.pause import (
    pause_state_of,
    signing_pause_current,
    signing_pause_forget,
    signing_pause_remember,
)

logger = logging.getLogger(__name__)


class AlreadyThat(ValidationError):
    """Pausing while paused with the same words, or lifting a pause that is not there."""


def signing_pause(*, message, by):
    """Pause signing on every letter, showing `message`; a new message replaces the old one."""
    message = clean_text(message or "").strip()
    if not message:
        raise ValidationError("Write the message signers will see while signing is paused.")
    current = signing_pause_current()
    if current.paused and current.message == message:
        raise AlreadyThat("Signing is already paused with this message.")
    return _record(paused=True, message=message, by=by)


def signing_resume(*, by):
    """Lift the pause: every open letter takes signatures again."""
    if not signing_pause_current().paused:
        raise AlreadyThat("Signing is not paused.")
    return _record(paused=False, message="", by=by)


def _record(*, paused, message, by):
    record = SigningPause(paused=paused, message=message, changed_by=by)
    record.full_clean()
    record.save()
    # Forgotten now (this transaction reads its own row again), and into the shared cache
    # as the row commits, over whatever a reader cached in between: every host sees it
    # on its next request.
    signing_pause_forget()
    transaction.on_commit(functools.partial(signing_pause_remember, pause_state_of(record)))
    logger.info("Signing %s on every letter by user %s", "paused" if paused else "resumed", by.pk)
    return record
