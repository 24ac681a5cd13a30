"""A second factor for staff who can see contact details: nothing of the admin before it,
an authenticator app set up and used with real TOTP codes (pyotp), recovery codes that
work once, `check --deploy` refusing it off, and idle sessions that end."""

import time

import pyotp
import pytest
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse

from teams.middleware import LAST_SEEN
from teams.models import Role
from tests.teams.conftest import member_client

pytestmark = [pytest.mark.django_db, pytest.mark.second_factor]
SECOND_FACTOR = "/admin/second-factor/"


def app_for(client):
    """The authenticator app: the key read off the set-up page, as a person would scan it."""
    page = client.get(SECOND_FACTOR).content.decode()
    key = page.split('class="second-factor-secret">')[1].split("<")[0].replace(" ", "")
    return pyotp.TOTP(key)


def enrol(client):
    app = app_for(client)
    response = client.post(SECOND_FACTOR, {"code": app.now(), "next": "/admin/"})
    assert response.status_code == 302 and response["Location"].startswith(SECOND_FACTOR + "codes/")
    page = client.get(response["Location"]).content.decode()
    codes = [part.split("</code>")[0] for part in page.split("<li><code>")[1:]]
    assert len(codes) == 10
    return app, codes


def fresh_session(user):
    client = Client()
    client.force_login(user)
    return client


def test_staff_who_see_contacts_reach_no_admin_page_before_the_second_factor(
    alpha_organiser, two_campaigns
):
    letter, signer = two_campaigns["letters"]["a"], two_campaigns["signers"]["a"]
    for url in [
        reverse("admin:index"),
        reverse("admin:letters_letter_csv", args=[letter.pk]),
        reverse("admin:signatories_signatory_change", args=[signer.pk]),
        reverse("admin:signatories_signatory_changelist"),
        reverse("admin:teams_contactview_changelist"),
    ]:
        response = alpha_organiser.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{SECOND_FACTOR}?next="), url
    assert b"ayan@alpha.example" not in alpha_organiser.get(SECOND_FACTOR).content


def test_a_moderator_who_never_sees_an_address_needs_no_second_factor(alpha_moderator):
    assert alpha_moderator.get(reverse("admin:index")).status_code == 200


def test_setting_up_the_app_and_signing_in_again_with_its_codes(alpha_organiser, two_campaigns):
    page = alpha_organiser.get(SECOND_FACTOR)
    assert page.status_code == 200 and b"Set up your second factor" in page.content
    assert b"<svg" in page.content  # the QR code, drawn here

    wrong = alpha_organiser.post(SECOND_FACTOR, {"code": "000000"})
    assert wrong.status_code == 400 and b"not the one the app shows" in wrong.content
    assert b"wait 1 s before the next" in wrong.content
    time.sleep(1.1)  # django-otp's wait after a wrong code, as a person would wait
    app, _codes = enrol(alpha_organiser)
    letter = two_campaigns["letters"]["a"]
    csv = alpha_organiser.get(reverse("admin:letters_letter_csv", args=[letter.pk]))
    assert b"ayan@alpha.example" in b"".join(csv.streaming_content)

    later = fresh_session(alpha_organiser.user)
    assert later.get(reverse("admin:index"))["Location"].startswith(SECOND_FACTOR)
    asked = later.get(SECOND_FACTOR)
    assert b"Your second factor" in asked.content
    assert b"second-factor-qr" not in asked.content  # no key shown again
    # The code of the next time step (the one just used is spent: no replay).
    code = app.at(time.time() + 30)
    assert later.post(SECOND_FACTOR, {"code": code, "next": "/admin/"})["Location"] == "/admin/"
    assert later.get(reverse("admin:index")).status_code == 200
    again = fresh_session(alpha_organiser.user)
    assert again.post(SECOND_FACTOR, {"code": code}).status_code == 400  # a replayed code


def test_a_recovery_code_works_once(alpha_organiser):
    _app, codes = enrol(alpha_organiser)
    first = fresh_session(alpha_organiser.user)
    response = first.post(SECOND_FACTOR, {"code": codes[0].upper(), "next": "/admin/"})
    assert response.status_code == 302
    assert "9 left" in first.get(reverse("admin:index")).content.decode()
    second = fresh_session(alpha_organiser.user)
    assert second.post(SECOND_FACTOR, {"code": codes[0]}).status_code == 400
    assert second.get(reverse("admin:index")).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(alpha_organiser):
    _app, old = enrol(alpha_organiser)
    response = alpha_organiser.post(reverse("second_factor_codes_new"))
    page = alpha_organiser.get(response["Location"]).content.decode()
    new = [part.split("</code>")[0] for part in page.split("<li><code>")[1:]]
    assert len(new) == 10 and not set(new) & set(old)
    assert b"shown only when" in alpha_organiser.get(reverse("second_factor_codes")).content
    later = fresh_session(alpha_organiser.user)
    assert later.post(SECOND_FACTOR, {"code": old[1]}).status_code == 400
    time.sleep(1.1)  # the wait after a wrong code
    assert later.post(SECOND_FACTOR, {"code": new[1]}).status_code == 302


def test_a_superuser_needs_it_too(django_user_model):
    user = django_user_model.objects.create_superuser("root", "r@example.org", "x")
    assert fresh_session(user).get(reverse("admin:index")).status_code == 302


def test_the_next_address_stays_on_this_site(alpha_organiser):
    app = app_for(alpha_organiser)
    response = alpha_organiser.post(
        SECOND_FACTOR, {"code": app.now(), "next": "https://evil.example/"}
    )
    assert "evil" not in response["Location"]


def test_check_deploy_refuses_it_off(settings):
    settings.SECOND_FACTOR_REQUIRED = False
    assert "teams.E001" in {e.id for e in run_checks(include_deployment_checks=True)}
    settings.SECOND_FACTOR_REQUIRED = True
    assert "teams.E001" not in {e.id for e in run_checks(include_deployment_checks=True)}


def test_an_idle_admin_session_ends(alpha_moderator, settings):
    settings.ADMIN_IDLE_MINUTES = 30
    assert alpha_moderator.get(reverse("admin:index")).status_code == 200
    session = alpha_moderator.session
    session[LAST_SEEN] = time.time() - 31 * 60
    session.save()
    response = alpha_moderator.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert alpha_moderator.get(reverse("admin:index"))["Location"].startswith("/admin/login/")


def test_each_person_gets_a_key_of_their_own(alpha_organiser, two_campaigns, django_user_model):
    other = member_client(django_user_model, two_campaigns["a"], Role.ORGANISER, "other-org")
    assert app_for(alpha_organiser).secret != app_for(other).secret


def test_ending_ones_other_sessions_leaves_this_one_and_other_peoples(
    alpha_moderator, alpha_organiser
):
    from django.contrib.sessions.models import Session

    laptop = fresh_session(alpha_moderator.user)
    phone = fresh_session(alpha_moderator.user)
    page = alpha_moderator.get(reverse("second_factor_codes")).content.decode()
    assert "also signed in 2 other times" in page
    response = alpha_moderator.post(reverse("sessions_end_others"))
    assert response.status_code == 302
    alive = set(Session.objects.values_list("session_key", flat=True))
    assert alpha_moderator.session.session_key in alive
    assert laptop.session.session_key not in alive and phone.session.session_key not in alive
    assert alpha_organiser.session.session_key in alive
    assert laptop.get(reverse("admin:index"))["Location"].startswith("/admin/login/")
