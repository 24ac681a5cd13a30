"""A ceiling on sign-ups from one network address, so the form cannot flood inboxes.

Each address typed in gets at most one mail per ATTENDANCE_NOTICE_HOURS
however often it is sent (services.py); this stops one client typing in
thousands of different addresses. A union office or a phone network shares
one address, so the ceiling is high, and past it the page says so (429).
Counted in the shared cache under a keyed hash of the address, as
signatories/abuse.py does.
"""

import time

from django.conf import settings
from django.core.cache import cache

from signatories.abuse import hash_ip

PERIOD = 3600


def sign_up_blocked(ip):
    """Count one sign-up from this address; True once past the hourly ceiling."""
    key = f"abuse:attendance:{hash_ip(ip)}:{int(time.time() // PERIOD)}"
    cache.add(key, 0, timeout=PERIOD + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=PERIOD + 5)
        count = 1
    return count > settings.ATTENDANCE_SIGN_UPS_PER_IP_PER_HOUR
