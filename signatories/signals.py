"""What signatories tells other apps without importing them.

`addresses_removed` is sent (with `letter_id`) once addresses of a letter's
signatories are gone from the database: a signature erased by its signer or
deleted in the admin, a letter anonymised. Anything that keeps a copy of
those addresses elsewhere (letters' contacts exports) drops it on this
signal; the sender runs after its own transaction has committed.
"""

from django.db import transaction
from django.dispatch import Signal

addresses_removed = Signal()


def addresses_removed_send(letter_id):
    """Tell receivers once the current transaction commits (at once outside one)."""
    transaction.on_commit(
        lambda: addresses_removed.send(sender="signatories", letter_id=letter_id), robust=False
    )
