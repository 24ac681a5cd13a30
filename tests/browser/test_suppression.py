"""Bounces and complaints in the admin, in chromium at 1280x800: a signed Mailgun bounce
marks a signature "Mail undeliverable" for the moderator, who filters by it; an organiser
sees the suppression list, adds an address by typing it, and lifts a suppression."""

import pytest
from django.test import Client
from django.test.utils import override_settings
from playwright.sync_api import expect

from mailing.models import Suppression, SuppressionReason
from mailing.suppression import address_hash, is_suppressed
from signatories.models import Signatory
from teams.models import Role
from teams.services import team_member_set
from tests.browser.conftest import DESKTOP
from tests.browser.test_organisers import keep_screenshot
from tests.browser.test_teams import PASSWORD, log_in
from tests.factories import LetterFactory, SignatoryFactory
from tests.mailing import mailgun

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser_context_args(**DESKTOP),
]

BOUNCED = "no.such.mailbox@unite.example"


@pytest.fixture
def bounced_signature(roles, django_user_model):
    letter = LetterFactory(title="Free the Zhanaozen oil workers", status="open")
    SignatoryFactory(letter=letter, name="Dana Bounced", email=BOUNCED,
                     confirmed_at=None, status=Signatory.Status.PENDING)  # fmt: skip
    SignatoryFactory(letter=letter, name="Erlan Delivered", email="erlan@example.kz",
                     confirmed_at=None, status=Signatory.Status.PENDING)  # fmt: skip
    for username, role in [("the-mod", Role.MODERATOR), ("the-org", Role.ORGANISER)]:
        user = django_user_model.objects.create_user(username, password=PASSWORD)
        team_member_set(campaign=letter.campaign, user=user, role=role)
    # Mailgun reports the bounce, signed, through the real webhook.
    with override_settings(ANYMAIL={"MAILGUN_WEBHOOK_SIGNING_KEY": mailgun.SIGNING_KEY}):
        response = mailgun.post(Client(), mailgun.payload(mailgun.hard_bounce(BOUNCED)))
    assert response.status_code == 200
    return letter


def test_a_moderator_filters_the_signatures_whose_mail_bounced(
    page, live_server, bounced_signature, validated
):
    log_in(page, live_server, "the-mod")
    page.locator("#signatories-signatory").get_by_role("link", name="Signatories").click()
    page.get_by_role("link", name="Not confirmed yet").click()
    row = page.get_by_role("row").filter(has_text="Dana Bounced")
    expect(row).to_contain_text("✉ Mail undeliverable")
    expect(page.get_by_role("row").filter(has_text="Erlan Delivered")).not_to_contain_text(
        "undeliverable"
    )

    page.get_by_role("link", name="Mail undeliverable", exact=True).click()
    validated("signatures whose mail is undeliverable")
    expect(page.get_by_role("link", name="Dana Bounced")).to_be_visible()
    assert "Erlan Delivered" not in page.locator("#result_list").inner_text()
    assert "@" not in page.locator("#result_list").inner_text()
    # Moderators have no suppression list of their own.
    assert page.locator("#mailing-suppression").count() == 0


def test_an_organiser_adds_an_address_and_lifts_a_suppression(
    page, live_server, bounced_signature, validated
):
    log_in(page, live_server, "the-org")
    page.get_by_role("link", name="Suppressed addresses").first.click()
    validated("the suppression list")
    bounced = Suppression.objects.get()
    row = page.get_by_role("row").filter(has_text=bounced.email_hash[:12])
    expect(row).to_contain_text("Bounced (the address does not exist)")
    expect(row).to_contain_text("mailgun")
    assert "no.such.mailbox" not in page.content()
    keep_screenshot(page, "admin-suppression-list")

    # A supporter asked by phone to get no more mail: typed in, kept as its hash.
    page.get_by_role("link", name="Add suppressed address").click()
    page.get_by_label("E-mail address").fill("Asked.By.Phone@example.kz")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("no more mail goes to it")
    added = Suppression.objects.get(reason=SuppressionReason.MANUAL)
    assert added.email_hash == address_hash("asked.by.phone@example.kz")
    assert "asked.by.phone" not in page.content().lower()

    # The bounced address was fixed at its end: lifted from the list.
    page.get_by_role("row").filter(has_text=bounced.email_hash[:12]).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(
        label="Lift the selected suppressions (mail may go again)"
    )
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("1 suppression lifted")
    assert not is_suppressed(BOUNCED)
    assert is_suppressed("asked.by.phone@example.kz")
