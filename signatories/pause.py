"""Is signing paused on every letter? Read on every sign request and letter page, from the cache.

The state is the newest `SigningPause` row. It is kept in the shared cache
(Redis in production, so a pause set on one host is seen by all at once:
`signatories.services.pause` writes it there as it commits); a sign request
or a letter page costs one cache read and no query. If the entry is gone
(evicted, or Redis down and each process on its own cache) the row is read
again, at most once a PAUSE_CACHE_SECONDS per cache.
"""

from dataclasses import dataclass

from django.core.cache import cache

from signatories.models import SigningPause

PAUSE_KEY = "signing-pause"
PAUSE_CACHE_SECONDS = 60


@dataclass(frozen=True)
class PauseState:
    paused: bool
    message: str = ""
    since: object = None
    record_id: int = 0

    @property
    def page_mark(self):
        """What the letter page's cache keys add: a new pause (or message) is a new page."""
        return f"paused{self.record_id}" if self.paused else "open"


OPEN = PauseState(paused=False)


def pause_state_of(record):
    if record is None:
        return OPEN
    return PauseState(record.paused, record.message, record.changed_at, record.pk)


def signing_pause_current():
    """The site's pause state: one read of the shared cache, a query only when it is not there."""
    state = cache.get(PAUSE_KEY)
    if state is None:
        state = pause_state_of(SigningPause.objects.first())
        cache.set(PAUSE_KEY, state, PAUSE_CACHE_SECONDS)
    return state


def signing_pause_remember(state):
    cache.set(PAUSE_KEY, state, PAUSE_CACHE_SECONDS)


def signing_pause_forget():
    cache.delete(PAUSE_KEY)
