"""The admin's door for staff: a second factor before anything, and an end to idle sessions."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from config.admin import ADMIN_PATH, is_admin_path
from teams.second_factor import second_factor_required

# Pages a signed-in staff member may reach before their second factor.
OPEN_BEFORE_SECOND_FACTOR = tuple(
    f"{ADMIN_PATH}{page}" for page in ("second-factor/", "logout/", "login/")
)
LAST_SEEN = "staff-last-seen"


class StaffSecondFactor:
    """Staff who can see contact details reach no admin page until their second factor is
    proven in this session (django_otp's OTPMiddleware, above this, says whether it is)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if (
            is_admin_path(path)
            and not path.startswith(OPEN_BEFORE_SECOND_FACTOR)
            and second_factor_required(request.user)
            and not request.user.is_verified()
        ):
            return redirect(f"{reverse('second_factor')}?{urlencode({'next': path})}")
        return self.get_response(request)


class StaffIdleTimeout:
    """An admin session left alone for ADMIN_IDLE_MINUTES ends: the next request signs out.

    A laptop left open in a meeting room is not an open door to signatories'
    addresses. Only staff sessions; the public site keeps no login.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = time.time()
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > settings.ADMIN_IDLE_MINUTES * 60:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {settings.ADMIN_IDLE_MINUTES} minutes "
                    "without using the admin. Sign in again to go on.",
                )
                return redirect(f"{reverse('admin:login')}?{urlencode({'next': request.path})}")
            # Written at most once a minute: not a session save on every click.
            if last is None or now - last > 60:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
