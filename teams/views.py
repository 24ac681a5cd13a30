"""The staff's second factor pages, inside the admin's look: set up the app or a passkey, prove
one at sign-in, see new recovery codes once, remove a passkey."""

import math

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_permissions_policy import PermissionsPolicyMiddleware

from config.admin import ADMIN_PATH
from teams.second_factor import (
    RECOVERY,
    app_enrolled,
    passkey_remove,
    passkeys,
    recovery_codes_left,
    recovery_codes_new,
    second_factor_enrolled,
    second_factor_match,
    second_factor_wait,
    totp_confirm,
    totp_device_pending,
    totp_qr_svg,
    totp_secret,
)
from teams.sessions import sessions_end_others, sessions_other_count

SHOWN_CODES = "second-factor-new-codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


def _wrong_code(devices, message):
    wait = second_factor_wait(devices)
    if wait:
        return f"{message} After a wrong code, wait {math.ceil(wait)} s before the next."
    return message


def _next(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ADMIN_PATH


def _page(request, template, title, status=200, **extra):
    context = {**admin.site.each_context(request), "title": title, "next": _next(request), **extra}
    response = TemplateResponse(request, f"admin/second_factor/{template}", context, status=status)
    # These pages alone may make or ask for a passkey; every other page still may not.
    response._permissions_policy_override = PermissionsPolicyMiddleware.compute_header_value(
        settings.PERMISSIONS_POLICY_PASSKEYS, name="PERMISSIONS_POLICY_PASSKEYS"
    )
    return response


@never_cache
@staff_member_required
def second_factor(request):
    """Set up the app if there is none; else ask for a code from it or a recovery code."""
    user = request.user
    form = CodeForm(request.POST or None)
    if not second_factor_enrolled(user):
        device = totp_device_pending(user)
        if request.method == "POST" and form.is_valid():
            codes = totp_confirm(device, form.cleaned_data["code"])
            if codes:
                otp_login(request, device)
                request.session[SHOWN_CODES] = codes
                return redirect(f"{request.path}codes/?next={_next(request)}")
            form.add_error(
                "code",
                _wrong_code([device], "That code is not the one the app shows now. Try the next."),
            )
        return _page(
            request,
            "enrol.html",
            "Set up your second factor",
            status=400 if form.errors else 200,
            form=form,
            qr=totp_qr_svg(device),
            secret=totp_secret(device),
        )
    if request.method == "POST" and form.is_valid():
        device = second_factor_match(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if device.name == RECOVERY:
                left = recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You used a recovery code; {left} left. Make new ones under "
                    "“Second factor” when you can.",
                )
            return redirect(_next(request))
        form.add_error(
            "code",
            _wrong_code(
                devices_for_user(user), "That code did not work. Use the code the app shows now."
            ),
        )
    return _page(
        request,
        "verify.html",
        "Your second factor",
        status=400 if form.errors else 200,
        form=form,
        has_app=app_enrolled(user),
        has_passkey=passkeys(user).exists(),
    )


@never_cache
@staff_member_required
def recovery_codes(request):
    """The codes just made, shown once; a button makes new ones (the old stop working)."""
    codes = request.session.pop(SHOWN_CODES, None)
    return _page(
        request,
        "codes.html",
        "Your recovery codes" if codes else "Your second factor and sessions",
        codes=codes,
        left=recovery_codes_left(request.user),
        passkeys=passkeys(request.user),
        # Add or remove a passkey: only once this session has proven a factor (or there is
        # none yet), as this page opens before the second factor.
        verified=request.user.is_verified() or not second_factor_enrolled(request.user),
        other_sessions=sessions_other_count(request.user, request.session.session_key),
    )


@never_cache
@staff_member_required
@require_POST
def sessions_end(request):
    """Sign out on every other browser: a laptop left somewhere, a phone lost."""
    ended = sessions_end_others(request.user, request.session.session_key)
    messages.success(request, f"Signed out of {ended} other session{'s' if ended != 1 else ''}.")
    return redirect("second_factor_codes")


@never_cache
@staff_member_required
@require_POST
def recovery_codes_renew(request):
    if not request.user.is_verified():
        return redirect("second_factor")
    request.session[SHOWN_CODES] = recovery_codes_new(request.user)
    return redirect("second_factor_codes")


@never_cache
@staff_member_required
def passkey_added(request):
    """Where the browser goes once django-otp-webauthn has saved a passkey (and, if it was the
    first factor, marked this session verified): recovery codes if there are none yet."""
    if not request.user.is_verified():
        return redirect("second_factor")
    if not recovery_codes_left(request.user):
        request.session[SHOWN_CODES] = recovery_codes_new(request.user)
    else:
        messages.success(request, "Passkey added.")
    return redirect(f"{reverse('second_factor_codes')}?{urlencode({'next': _next(request)})}")


@never_cache
@staff_member_required
@require_POST
def passkey_delete(request, pk):
    """Only in a session that has proven its second factor: a password alone must not be
    enough to take a passkey away (and then set up a factor of one's own)."""
    if not request.user.is_verified():
        return redirect("second_factor")
    if passkey_remove(request.user, pk):
        messages.success(request, "Passkey removed.")
    return redirect("second_factor_codes")
