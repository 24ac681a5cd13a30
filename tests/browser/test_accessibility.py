"""axe-core in the browser and the Nu HTML checker: no serious or critical violation and no
markup error on any public page."""

import pytest

from signatories import tokens
from tests.browser.conftest import PHONE
from tests.factories import EventFactory, LetterFactory, ResourceFactory, SignatoryFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pages(live_server):
    event = EventFactory()
    ResourceFactory(campaign=event.campaign)
    letter = LetterFactory(campaign=event.campaign, hand_in_event=event, target_count=10)
    signatory = SignatoryFactory(letter=letter, name="Қанат Әбілов", affiliation="Unite")
    SignatoryFactory(letter=letter, name="Dockers Branch", kind="organisation")
    pending = SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
    closed = LetterFactory(campaign=event.campaign, status="closed")
    return {
        "home": "/",
        "campaign": event.campaign.get_absolute_url(),
        "letter": letter.get_absolute_url(),
        "closed letter": closed.get_absolute_url(),
        "thank-you": f"/letters/{letter.slug}/thanks/",
        "confirmed": f"/s/confirm/{tokens.make_token(pending, tokens.CONFIRM)}/",
        "withdraw": f"/s/withdraw/{tokens.make_token(signatory, tokens.WITHDRAW)}/",
        "erase": f"/s/erase/{tokens.make_token(signatory, tokens.ERASE)}/",
        "invalid link": "/s/confirm/not-a-real-link/",
        "not found": "/letters/no-such-letter/",
    }


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_no_serious_or_critical_violations_on_public_pages(
    browser, live_server, pages, axe, vnu, viewport
):
    options = PHONE if viewport == "phone" else {}
    context = browser.new_context(bypass_csp=True, **options)
    page = context.new_page()
    found = {}
    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        violations = axe(page)
        if viewport == "desktop":  # the same HTML at any size: checked once
            violations += vnu(response.text())
        if violations:
            found[name] = violations
    context.close()
    assert found == {}


def test_a_form_with_errors_has_no_violations(page, live_server, axe):
    letter = LetterFactory()
    page.goto(live_server.url + letter.get_absolute_url())
    page.evaluate("document.querySelector('#sign form').noValidate = true")
    page.get_by_role("button", name="Sign the letter").click()
    assert page.locator("[aria-invalid=true]").count() >= 2
    assert axe(page) == []


@pytest.mark.parametrize("locale", ["kk-KZ", "ru-RU"])
def test_the_translated_pages_have_no_violations_either(browser, live_server, pages, axe, locale):
    context = browser.new_context(bypass_csp=True, locale=locale, **PHONE)
    page = context.new_page()
    found = {}
    for name in ["campaign", "letter", "thank-you", "withdraw", "invalid link"]:
        page.goto(live_server.url + pages[name])
        assert page.locator("html").get_attribute("lang") == locale[:2]
        if violations := axe(page):
            found[name] = violations
    context.close()
    assert found == {}
