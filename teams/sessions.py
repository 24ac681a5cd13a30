"""A staff member's other signed-in sessions: how many, and ending them all at once.

Sessions live in the database (Django's default engine). Only staff sign in
here (the public site keeps no session for signers), so reading the live
sessions is reading a handful of rows.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone


def _other_sessions(user, current_key):
    for session in Session.objects.filter(expire_date__gt=timezone.now()).exclude(
        session_key=current_key
    ):
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk):
            yield session.session_key


def sessions_other_count(user, current_key):
    return sum(1 for _ in _other_sessions(user, current_key))


def sessions_end_others(user, current_key):
    """Sign the user out everywhere but here; how many sessions ended."""
    keys = list(_other_sessions(user, current_key))
    Session.objects.filter(session_key__in=keys).delete()
    return len(keys)
