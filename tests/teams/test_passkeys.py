"""Passkeys (django-otp-webauthn) as a second factor: one counts as enrolled, one is removed
only from a session that proved its factor, removing the last puts the gate back, and only
the second factor's pages may ask the browser for one (Permissions-Policy). The ceremony
itself, with Chromium's virtual authenticator: tests/browser/test_teams.py."""

import secrets

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp_webauthn.models import WebAuthnCredential

from teams.models import Role
from teams.second_factor import second_factor_enrolled
from tests.teams.conftest import member_client

pytestmark = [pytest.mark.django_db, pytest.mark.second_factor]
SECOND_FACTOR = "/admin/second-factor/"


def passkey_for(user, name="Passkey 1"):
    """A stored credential as the package saves one; the keys are never checked here."""
    return WebAuthnCredential.objects.create(
        user=user,
        name=name,
        confirmed=True,
        credential_id=secrets.token_bytes(32),
        public_key=secrets.token_bytes(77),
        aaguid="00000000-0000-0000-0000-000000000000",
    )


def verified_with(client, device):
    """This session has proven the device, as django_otp.login records it."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def test_a_passkey_counts_as_enrolled(alpha_organiser):
    user = alpha_organiser.user
    assert not second_factor_enrolled(user)
    passkey_for(user)
    assert second_factor_enrolled(user)
    # Enrolled, not yet proven in this session: the sign-in step, with the passkey button.
    response = alpha_organiser.get(reverse("admin:index"))
    assert response["Location"].startswith(f"{SECOND_FACTOR}?next=")
    page = alpha_organiser.get(SECOND_FACTOR).content.decode()
    assert "Use a passkey" in page and "Set up your second factor" not in page
    assert 'id="otp_webauthn_config" type="application/json"' in page
    assert "<script>" not in page  # no inline script: the CSP would refuse it


def test_a_passkey_proven_opens_the_admin(alpha_organiser):
    verified_with(alpha_organiser, passkey_for(alpha_organiser.user))
    assert alpha_organiser.get(reverse("admin:index")).status_code == 200


def test_removing_the_last_factor_puts_the_gate_back(alpha_organiser):
    passkey = passkey_for(alpha_organiser.user)
    verified_with(alpha_organiser, passkey)
    page = alpha_organiser.get(reverse("second_factor_codes")).content.decode()
    assert "Passkey 1" in page and "Add a passkey" in page
    response = alpha_organiser.post(reverse("second_factor_passkey_remove", args=[passkey.pk]))
    assert response.status_code == 302
    assert not WebAuthnCredential.objects.exists()
    assert not second_factor_enrolled(alpha_organiser.user)
    # The session's device is gone, so it is no longer verified: set a factor up again.
    response = alpha_organiser.get(reverse("admin:index"))
    assert response["Location"].startswith(f"{SECOND_FACTOR}?next=")
    assert b"Set up your second factor" in alpha_organiser.get(SECOND_FACTOR).content


def test_removing_one_of_two_keeps_the_other_and_the_session(alpha_organiser):
    first = passkey_for(alpha_organiser.user)
    second = passkey_for(alpha_organiser.user, name="Passkey 2")
    verified_with(alpha_organiser, first)
    alpha_organiser.post(reverse("second_factor_passkey_remove", args=[second.pk]))
    assert list(WebAuthnCredential.objects.all()) == [first]
    assert alpha_organiser.get(reverse("admin:index")).status_code == 200


def test_a_password_alone_cannot_remove_or_add_a_passkey(alpha_organiser):
    """Else a stolen password would take the passkey away and set up a factor of its own."""
    passkey = passkey_for(alpha_organiser.user)
    page = alpha_organiser.get(reverse("second_factor_codes")).content.decode()
    assert "Passkey 1" in page and "Remove Passkey 1" not in page and "Add a passkey" not in page
    response = alpha_organiser.post(reverse("second_factor_passkey_remove", args=[passkey.pk]))
    assert response["Location"] == reverse("second_factor")
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    begin = alpha_organiser.post(reverse("otp_webauthn:credential-registration-begin"))
    assert begin.status_code == 403
    added = alpha_organiser.get(reverse("second_factor_passkey_added"))
    assert added["Location"] == reverse("second_factor")


def test_nobody_removes_anothers_passkey(alpha_organiser, two_campaigns, django_user_model):
    other = member_client(django_user_model, two_campaigns["a"], Role.ORGANISER, "other-org")
    theirs = passkey_for(other.user)
    verified_with(alpha_organiser, passkey_for(alpha_organiser.user))
    alpha_organiser.post(reverse("second_factor_passkey_remove", args=[theirs.pk]))
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()


def test_a_first_passkey_brings_recovery_codes(alpha_organiser):
    verified_with(alpha_organiser, passkey_for(alpha_organiser.user))
    response = alpha_organiser.get(reverse("second_factor_passkey_added") + "?next=/admin/")
    assert response["Location"].startswith(reverse("second_factor_codes"))
    page = alpha_organiser.get(response["Location"]).content.decode()
    assert page.count("<li><code>") == 10
    # Later passkeys keep the codes one has.
    alpha_organiser.get(reverse("second_factor_passkey_added"))
    page = alpha_organiser.get(reverse("second_factor_codes")).content.decode()
    assert "<li><code>" not in page and "Passkey added." in page


def test_only_the_second_factor_pages_may_ask_for_a_passkey(alpha_organiser):
    policy = alpha_organiser.get(SECOND_FACTOR)["Permissions-Policy"]
    assert "publickey-credentials-create=(self)" in policy
    assert "publickey-credentials-get=(self)" in policy
    assert "camera=()" in policy
    for url in ["/admin/login/", "/"]:
        policy = alpha_organiser.get(url)["Permissions-Policy"]
        assert "publickey-credentials-create=()" in policy, url
        assert "publickey-credentials-get=()" in policy, url


def test_passwordless_sign_in_is_off(client):
    """A passkey is a second factor here, never instead of the password."""
    response = client.post(reverse("otp_webauthn:credential-authentication-begin"))
    assert response.status_code == 403


def test_a_superuser_finds_and_removes_someones_passkey_in_the_admin(
    alpha_organiser, django_user_model
):
    """The lost-phone way out, as with TOTP devices: System: OTP WebAuthn."""
    from django.test import Client

    lost = passkey_for(alpha_organiser.user)
    root = django_user_model.objects.create_superuser("root", "r@example.org", "x")
    superuser = Client()
    superuser.force_login(root)
    verified_with(superuser, passkey_for(root, name="Root's key"))
    changelist = reverse("admin:django_otp_webauthn_webauthncredential_changelist")
    assert b"alpha-org" in superuser.get(changelist).content
    change = reverse("admin:django_otp_webauthn_webauthncredential_change", args=[lost.pk])
    assert superuser.get(change).status_code == 200
    delete = reverse("admin:django_otp_webauthn_webauthncredential_delete", args=[lost.pk])
    assert superuser.post(delete, {"post": "yes"}).status_code == 302
    assert not second_factor_enrolled(alpha_organiser.user)
    # An organiser has no such page.
    verified_with(alpha_organiser, passkey_for(alpha_organiser.user))
    assert alpha_organiser.get(changelist).status_code == 403


def test_each_new_passkey_gets_a_name_of_its_own(alpha_organiser, monkeypatch):
    from django_otp_webauthn.helpers import WebAuthnHelper

    from teams.second_factor import PasskeyHelper

    user = alpha_organiser.user
    monkeypatch.setattr(
        WebAuthnHelper,
        "create_credential",
        lambda self, user, *a, **k: WebAuthnCredential(user=user),
    )
    passkey_for(user, name="Passkey 2")  # Passkey 1 was removed
    assert PasskeyHelper(request=None).create_credential(user).name == "Passkey 3"
