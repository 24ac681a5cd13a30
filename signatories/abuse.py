"""Quiet limits for a public form, in two tiers.

People behind one address (a union office, a phone network at a demo) must
never be turned away, so past the soft limit a signature is still taken and
the signer sees the normal flow; it is only held for a moderator. Only a
flood past the hard ceiling gets a polite 429. Counters live in Django's
cache (Redis in production, so every app host shares them), keyed by a hash
of the address, never the address itself.
"""

import functools
import hashlib
import ipaddress
import secrets
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.shortcuts import render
from django.utils.crypto import salted_hmac

from signatories.models import Signatory

Suspicion = Signatory.Suspicion
_STAMP_SALT = "signatories.form-rendered"


def hash_ip(ip_address):
    """A keyed hash, so abuse can be traced per address without keeping the address."""
    if not ip_address:
        return ""
    return salted_hmac("signatories.ip", ip_address, algorithm="sha256").hexdigest()


@functools.cache
def _trusted_networks(proxies):
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(address):
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request):
    """The signer's address: X-Forwarded-For is believed only from a trusted proxy.

    Walk the chain from the nearest hop back, skipping our own proxies; the
    first address we did not put there is the client's. Without trusted
    proxies configured, a forged header changes nothing.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a mangled header: trust only what we saw
        if not _is_trusted(hop):
            return hop
    return remote


def _window_key(name, key, period):
    return f"abuse:{name}:{key}:{period}:{int(time.time() // period)}"


def _hit_all(*counters):
    """Count one event in each (name, key, period) fixed window; returns the counts so far.

    On Redis this is one round trip (see config/cache.py); any other cache
    (one process, development) counts with add and incr.
    """
    keys = [(_window_key(name, key, period), period + 5) for name, key, period in counters]
    if hasattr(cache, "count_in_windows"):
        return cache.count_in_windows(keys)
    return [_hit_one(cache_key, timeout) for cache_key, timeout in keys]


def _hit_one(cache_key, timeout):
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=timeout)
        return 1


def _peek(name, key, period):
    return cache.get(_window_key(name, key, period), 0)


def sign_attempt_blocked(ip):
    """Count a sign request from this address; True past the hard ceiling."""
    [count] = _hit_all(("sign-any", hash_ip(ip), 60))
    return count > settings.SIGN_HARD_LIMIT_PER_MINUTE


def sign_rate_suspicion(ip, letter):
    """Count a signature from this address on this letter, and say what its rate means.

    Past the soft limits the address is shared (a branch meeting on one Wi-Fi,
    an office): the signature is marked so for moderators, but each person
    who confirms from their own inbox is published at once. Past the hourly
    limit it is a flood no meeting makes: held for a moderator.
    """
    key = f"{letter.pk}:{hash_ip(ip)}"
    per_minute, per_five, per_hour = _hit_all(
        ("sign-letter", key, 60), ("sign-letter", key, 300), ("sign-letter", key, 3600)
    )
    if per_hour > settings.SIGN_HELD_LIMIT_PER_HOUR:
        return Suspicion.RATE
    if (
        per_minute > settings.SIGN_SOFT_LIMIT_PER_MINUTE
        or per_five > settings.SIGN_SOFT_LIMIT_PER_5_MINUTES
    ):
        return Suspicion.SHARED
    return Suspicion.NONE


def report_attempt_blocked(ip):
    """Count a resolution report from this address (resolutions/); True past the hourly limit."""
    [count] = _hit_all(("report", hash_ip(ip), 3600))
    return count > settings.REPORTS_PER_HOUR_PER_IP


def limit_guessing(view):
    """For the views of links in our mails (a signature's, a sign-up's, a report's): links
    are unguessable, but repeated wrong guesses from one address still get a 429."""

    @functools.wraps(view)
    def wrapped(request, token):
        ip = client_ip(request)
        if token_guessing_blocked(ip):
            response = render(request, "429.html", status=429)
            response["Retry-After"] = "600"
            return response
        response = view(request, token)
        if getattr(response, "invalid_token", False):
            token_guess_failed(ip)
        return response

    return wrapped


def token_guessing_blocked(ip):
    return _peek("token", hash_ip(ip), 600) >= settings.TOKEN_GUESS_LIMIT_PER_10_MINUTES


def token_guess_failed(ip):
    _hit_all(("token", hash_ip(ip), 600))


def form_stamp(rendered_at=None, *, key=None):
    """A signed note of when the form was rendered, unique to this rendering.

    The random part makes every stamp its own, so one can be spent once
    (`form_stamp_spend`). `key` is for the benchmark, which signs stamps for
    a server with another SECRET_KEY.
    """
    when = time.time() if rendered_at is None else rendered_at
    signer = signing.TimestampSigner(key=key, salt=_STAMP_SALT)
    return signer.sign(f"{when:.3f}-{secrets.token_hex(6)}")


def _rendered_at(value):
    """When the stamp says the form was rendered, or None if it is not ours."""
    try:
        text = signing.TimestampSigner(salt=_STAMP_SALT).unsign(value or "")
        return float(text.partition("-")[0])
    except (signing.BadSignature, ValueError):
        return None


def form_stamp_suspicion(value):
    """Too fast to be typed by a person, or not from our form at all."""
    rendered = _rendered_at(value)
    if rendered is None:
        return Suspicion.NO_FORM
    if time.time() - rendered < settings.SIGN_MIN_FORM_SECONDS:
        return Suspicion.TOO_FAST
    return Suspicion.NONE


def form_stamp_expired(value):
    """A form of ours, open longer than SIGN_FORM_MAX_AGE_HOURS: sent again, it is refused."""
    rendered = _rendered_at(value)
    return rendered is not None and time.time() - rendered > settings.SIGN_FORM_MAX_AGE_HOURS * 3600


def form_stamp_renewed(value):
    """A fresh stamp for a form shown again (after an error): the same render time, or
    for an expired form, as if rendered a moment ago by someone who has already typed."""
    rendered = _rendered_at(value)
    if rendered is None:
        return value  # not ours: stays what it was
    if form_stamp_expired(value):
        rendered = time.time() - settings.SIGN_MIN_FORM_SECONDS
    return form_stamp(rendered)


def form_stamp_spend(value):
    """True the first time a stamp of ours is sent; False for a stamp sent before.

    A replayed form (a script posting one stamp for many addresses, a double
    tap) signs nothing a second time. Kept in the shared cache under a hash of
    the stamp for as long as the stamp is valid. A value that is not our
    stamp is not tracked: it is held as a bot anyway.
    """
    if _rendered_at(value) is None:
        return True
    key = f"stamp-spent:{hashlib.sha256(value.encode()).hexdigest()[:32]}"
    return cache.add(key, 1, timeout=settings.SIGN_FORM_MAX_AGE_HOURS * 3600 + 60)
