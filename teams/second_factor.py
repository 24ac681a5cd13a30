"""A second factor for staff who can see contact details: an authenticator app (TOTP), passkeys
(django-otp-webauthn) and single-use recovery codes, all django-otp devices.

Who must use one: superusers and anyone with the contact permission, while
SECOND_FACTOR_REQUIRED is on (the default wherever DEBUG is off; `check
--deploy` refuses it off). Moderators, who never see an address, may.
"""

import base64
from binascii import unhexlify

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from signatories.roles import CONTACT_PERMISSION

APP = "authenticator app"
RECOVERY = "recovery codes"
RECOVERY_CODE_COUNT = 10


def second_factor_required(user):
    return bool(
        settings.SECOND_FACTOR_REQUIRED
        and user.is_authenticated
        and user.is_staff
        and (user.is_superuser or user.has_perm(CONTACT_PERMISSION))
    )


def second_factor_enrolled(user):
    """An app or a passkey; recovery codes alone are no second factor."""
    return app_enrolled(user) or passkeys(user).exists()


def app_enrolled(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def passkeys(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def passkey_remove(user, pk):
    """Only one's own; True if one went. The gate is back if it was the last factor."""
    deleted, _ = WebAuthnCredential.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)


class PasskeyHelper(WebAuthnHelper):
    """django-otp-webauthn's ceremonies as the package does them; a passkey gets a name to
    tell it from the others in the list ("Passkey 2"), which the package leaves empty."""

    def create_credential(self, user, *args, **kwargs):
        device = super().create_credential(user, *args, **kwargs)
        if not device.name:
            taken = set(WebAuthnCredential.objects.filter(user=user).values_list("name", flat=True))
            number = len(taken) + 1
            while f"Passkey {number}" in taken:
                number += 1
            device.name = f"Passkey {number}"
        return device


def totp_device_pending(user):
    """The app being set up: one unconfirmed device per user, made on first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=APP, confirmed=False)


def totp_secret(device):
    """The key as people type it into an app: base32, in groups of four."""
    text = base64.b32encode(unhexlify(device.key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_qr_svg(device):
    """The otpauth:// address as an SVG QR code, drawn here: no third-party request."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app", dark="#000", light="#fff"
    )


@transaction.atomic
def totp_confirm(device, code):
    """The first code from the app: the device is confirmed and recovery codes are made."""
    if not device.verify_token(_digits(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_new(device.user)


@transaction.atomic
def recovery_codes_new(user):
    """Ten fresh single-use codes, replacing any earlier ones; shown once (django-otp
    deletes a code when it is used)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def second_factor_match(user, code):
    """The confirmed device this code is good for (and spends, if a recovery code), or None."""
    code = (code or "").strip()
    for device in devices_for_user(user, confirmed=True):
        token = _digits(code) if isinstance(device, TOTPDevice) else code.lower()
        if token and device.verify_token(token):
            return device
    return None


def second_factor_wait(devices):
    """Seconds until a wrong code's wait is over (django-otp doubles it after each), or 0."""
    now = timezone.now()
    waits = [
        (data["locked_until"] - now).total_seconds()
        for allowed, data in (device.verify_is_allowed() for device in devices)
        if not allowed and data and data.get("locked_until")
    ]
    return max([0, *waits])


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY).count()


def _digits(code):
    return "".join(ch for ch in (code or "") if ch.isdigit())[:8]
