"""Two campaigns, two teams, in chromium at 1280x800: each member sees their own campaign,
clicks through it, and meets a 404 at another campaign's copied address."""

import pytest
from playwright.sync_api import expect

from signatories.models import Signatory
from teams.models import Role
from teams.services import team_member_set
from tests.browser.conftest import DESKTOP
from tests.browser.test_organisers import keep_screenshot
from tests.factories import CampaignFactory, LetterFactory, SignatoryFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser_context_args(**DESKTOP),
]
PASSWORD = "a-long-passphrase-for-tests"


@pytest.fixture
def two_teams(roles, django_user_model):
    alpha = LetterFactory(campaign=CampaignFactory(title="Alpha campaign"), title="Alpha letter")
    bravo = LetterFactory(campaign=CampaignFactory(title="Bravo campaign"), title="Bravo letter")
    SignatoryFactory(letter=alpha, name="Ayan Alpha", email="ayan@alpha.example",
                     status=Signatory.Status.PENDING)  # fmt: skip
    SignatoryFactory(letter=bravo, name="Bella Bravo", email="bella@bravo.example",
                     status=Signatory.Status.PENDING)  # fmt: skip
    for username, role in [("alpha-mod", Role.MODERATOR), ("alpha-org", Role.ORGANISER)]:
        user = django_user_model.objects.create_user(username, password=PASSWORD)
        team_member_set(campaign=alpha.campaign, user=user, role=role)
    return alpha, bravo


def log_in(page, live_server, username, lands_on="Campaigns, letters and signatures"):
    """Password sign-in; `lands_on` is the heading of the page it leads to."""
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=lands_on)).to_be_visible()


def test_a_moderator_of_one_campaign_moderates_it_and_nothing_else(
    page, live_server, two_teams, validated
):
    alpha, bravo = two_teams
    log_in(page, live_server, "alpha-mod")
    page.locator("#signatories-signatory").get_by_role("link", name="Signatories").click()
    validated("moderation queue (moderator of one campaign)")
    expect(page.get_by_role("link", name="Ayan Alpha")).to_be_visible()
    assert "Bella Bravo" not in page.content() and "Bravo letter" not in page.content()
    assert "@" not in page.locator("#result_list").inner_text()

    page.get_by_role("row").filter(has_text="Ayan Alpha").get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Approve selected signatures")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved: 1 signature.")
    assert Signatory.objects.get(name="Ayan Alpha").status == Signatory.Status.APPROVED

    page.get_by_role("link", name="Open letters: organisers").click()
    page.locator("#letters-letter").get_by_role("link", name="Letters").click()
    expect(page.get_by_role("link", name="Alpha letter")).to_be_visible()
    assert "Bravo letter" not in page.content()

    # An address of the other campaign, copied from somewhere: not found, nothing shown.
    response = page.goto(live_server.url + f"/admin/letters/letter/{bravo.pk}/change/")
    assert response.status == 404
    assert "Bravo" not in page.content()
    assert Signatory.objects.get(name="Bella Bravo").status == Signatory.Status.PENDING

    # Their own campaign's contacts: not for a moderator, said in the admin's own look.
    response = page.goto(live_server.url + f"/admin/letters/letter/{alpha.pk}/contacts.csv")
    assert response.status == 403
    validated("not for your role (moderator)")
    expect(page.locator("#content")).to_contain_text("Your role does not open this page")
    page.get_by_role("link", name="Back to the admin's home page").click()
    expect(page.get_by_role("heading", name="Campaigns, letters and signatures")).to_be_visible()


def test_an_organiser_of_one_campaign_sees_its_addresses_and_not_the_others(
    page, live_server, two_teams, validated
):
    _alpha, bravo = two_teams
    log_in(page, live_server, "alpha-org")
    page.locator("#signatories-signatory").get_by_role("link", name="Signatories").click()
    page.get_by_role("link", name="Ayan Alpha").click()
    validated("a signature (organiser of one campaign)")
    expect(page.get_by_label("Email:")).to_have_value("ayan@alpha.example")

    # A signer's whole address, typed as they wrote it to the campaign: found by its hash.
    page.locator(".breadcrumbs").get_by_role("link", name="Signatories").last.click()
    expect(page.locator("#searchbar_helptext")).to_contain_text("a whole e-mail address")
    page.get_by_label("Search signatures").fill("AYAN@Alpha.example")
    page.get_by_role("button", name="Search").click()
    validated("search by a whole address (organiser of one campaign)")
    keep_screenshot(page, "admin-search-by-address")
    expect(page.locator("#result_list")).to_contain_text("Ayan Alpha")
    expect(page.locator("#result_list")).to_contain_text("ayan@alpha.example")
    # The other campaign's address: nothing, as if nobody had signed with it.
    page.get_by_label("Search signatures").fill("bella@bravo.example")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#changelist")).to_contain_text("0 signatories")
    assert "Bella" not in page.locator("#changelist").inner_text()
    response = page.goto(live_server.url + f"/admin/letters/letter/{bravo.pk}/contacts.csv")
    assert response.status == 404

    # What they looked at is in their campaign's access log, for its organisers to read.
    page.goto(live_server.url + "/admin/")
    page.get_by_role("link", name="Looks at contact details").click()
    validated("access log (organiser of one campaign)")
    row = page.get_by_role("row").filter(has_text="a signature's page")
    expect(row).to_contain_text("alpha-org")
    expect(row).to_contain_text("Alpha letter")
    expect(page.get_by_role("link", name="Add")).to_have_count(0)


def test_a_superuser_puts_a_volunteer_on_a_campaigns_team(
    page, live_server, two_teams, django_user_model, validated
):
    alpha, _bravo = two_teams
    django_user_model.objects.create_superuser("admin", "a@example.org", PASSWORD)
    volunteer = django_user_model.objects.create_user("aigerim", password=PASSWORD)
    log_in(page, live_server, "admin")
    page.goto(live_server.url + f"/admin/campaign/campaign/{alpha.campaign.pk}/change/")
    validated("a campaign with its team (superuser)")
    team = page.locator("#team-group")
    team.get_by_role("button", name="Add another team member").click()
    row = team.locator("tr.dynamic-team").last
    row.get_by_role("combobox").first.select_option(label="aigerim")
    row.get_by_role("combobox").nth(1).select_option(value="moderator")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    volunteer.refresh_from_db()
    assert volunteer.is_staff
    assert list(volunteer.groups.values_list("name", flat=True)) == ["Moderators"]
    assert alpha.campaign.team.get(user=volunteer).role == "moderator"

    # The volunteer logs in and finds the campaign's queue, and only it.
    page.context.clear_cookies()
    log_in(page, live_server, "aigerim")
    page.locator("#signatories-signatory").get_by_role("link", name="Signatories").click()
    expect(page.get_by_role("link", name="Ayan Alpha")).to_be_visible()
    assert "Bella Bravo" not in page.content()


@pytest.mark.second_factor
def test_an_organiser_sets_up_an_authenticator_app_and_signs_in_with_it(
    page, live_server, two_teams, validated
):

    import pyotp

    log_in(page, live_server, "alpha-org", lands_on="Set up your second factor")
    validated("second factor: set up")
    keep_screenshot(page, "admin-second-factor-setup")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    app = pyotp.TOTP(page.locator(".second-factor-secret").inner_text().replace(" ", ""))
    page.get_by_label("Code from the app").fill(app.now())
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    validated("second factor: recovery codes")
    keep_screenshot(page, "admin-second-factor-codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", name="Campaigns, letters and signatures")).to_be_visible()

    # Next day, a new session: password, then a code from the app.
    page.context.clear_cookies()
    log_in(page, live_server, "alpha-org", lands_on="Your second factor")
    validated("second factor: sign in")
    # The app's code for the step after the one used at setup: a code is never taken twice,
    # and a setup that straddled a step's end leaves the device's clock a step behind
    # (django-otp's drift), so "30 s from now" was sometimes two steps ahead of it.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username="alpha-org")
    code = app.at((device.last_t + 1) * device.step)  # the counter is what the app counts
    page.get_by_label("Code from the app, or a recovery code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Campaigns, letters and signatures")).to_be_visible()

    # Lost the paper with the codes: new ones from the header's link.
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.test import Client

    elsewhere = Client()
    elsewhere.force_login(get_user_model().objects.get(username="alpha-org"))  # another laptop
    page.get_by_role("link", name="Second factor").click()
    validated("second factor and sessions")
    expect(page.locator("main")).to_contain_text("You have 10 unused recovery codes")
    # The laptop, and this browser's first session (its cookies were cleared, not signed out).
    expect(page.locator("main")).to_contain_text("also signed in 2 other times")
    page.get_by_role("button", name="Sign out everywhere else").click()
    expect(page.locator(".messagelist")).to_contain_text("Signed out of 2 other sessions.")
    assert not Session.objects.filter(session_key=elsewhere.session.session_key).exists()
    expect(page.locator("main")).to_contain_text("You are signed in only here")
    page.get_by_role("button", name="Make new recovery codes").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    codes = page.locator(".recovery-codes code").all_inner_texts()
    from django_otp.plugins.otp_static.models import StaticToken

    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(codes)


def test_an_organiser_is_told_plainly_when_addresses_cannot_be_opened(
    page, live_server, two_teams, settings, validated
):
    from signatories import crypto

    log_in(page, live_server, "alpha-org")
    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key()]  # the key that sealed them is gone
    page.locator("#signatories-signatory").get_by_role("link", name="Signatories").click()
    validated("addresses cannot be opened (organiser)")
    expect(page.get_by_role("heading", name="E-mail addresses cannot be opened")).to_be_visible()
    expect(page.locator("#content")).to_contain_text("Waiting will not help")
    page.get_by_role("link", name="Back to the admin's home page").click()
    expect(page.get_by_role("heading", name="Campaigns, letters and signatures")).to_be_visible()
    assert Signatory.objects.filter(name="Ayan Alpha").exists()  # nothing was lost


@pytest.mark.second_factor
def test_an_organiser_adds_a_passkey_and_signs_in_with_it(
    page, live_server, two_teams, validated, settings
):
    from django_otp_webauthn.models import WebAuthnCredential

    # A passkey belongs to a host name and an origin: here the test server's.
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    # Chromium's own virtual authenticator (DevTools' WebAuthn domain): a platform passkey
    # whose fingerprint check always passes.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )["authenticatorId"]
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    log_in(page, live_server, "alpha-org", lands_on="Set up your second factor")
    expect(page.get_by_role("button", name="Add a passkey")).to_be_visible()
    validated("second factor: set up, with a passkey")
    page.get_by_role("button", name="Add a passkey").click()
    # The first factor: recovery codes as with the app, and the passkey listed.
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("table.passkeys")).to_contain_text("Passkey 1")
    validated("second factor: recovery codes, with a passkey")
    passkey = WebAuthnCredential.objects.get()
    assert passkey.user.username == "alpha-org" and passkey.confirmed
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", name="Campaigns, letters and signatures")).to_be_visible()

    # Signed out; back with the password, then the passkey.
    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server, "alpha-org", lands_on="Your second factor")
    validated("second factor: sign in with a passkey")
    keep_screenshot(page, "admin-passkey-sign-in")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name="Campaigns, letters and signatures")).to_be_visible()
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None

    signature = Signatory.objects.get(name="Ayan Alpha")
    page.goto(live_server.url + f"/admin/signatories/signatory/{signature.pk}/change/")
    expect(page.get_by_label("Email:")).to_have_value("ayan@alpha.example")

    # The list on the "Second factor" page; removing the passkey leaves recovery codes only,
    # and the next admin page asks for a factor again.
    page.get_by_role("link", name="Second factor").click()
    expect(page.locator("table.passkeys")).to_contain_text("Passkey 1")
    validated("second factor and sessions, with a passkey")
    keep_screenshot(page, "admin-passkeys-list")
    page.get_by_role("button", name="Remove Passkey 1").click()
    expect(page.locator(".messagelist")).to_contain_text("Passkey removed.")
    assert not WebAuthnCredential.objects.exists()
    page.goto(live_server.url + "/admin/")
    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    assert console_errors == []
