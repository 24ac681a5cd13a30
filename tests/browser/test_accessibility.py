"""axe-core in the browser and the Nu HTML checker: no serious or critical violation and no
markup error on any public page, in every language, at phone and desktop size.

Every `<details>` is opened before axe runs: text folded away is still read,
and its colours must pass too. The pages a button leads to (confirmed,
withdrawn, restored, ...) are reached by clicking the button, as a person does.
"""

import datetime

import pytest
from django.utils import timezone

from letters.services.lifecycle import HandIn, letter_deliver
from signatories import tokens
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import EventFactory, LetterFactory, ResourceFactory, SignatoryFactory

pytestmark = pytest.mark.django_db(transaction=True)

OPEN_DETAILS = "document.querySelectorAll('details').forEach(d => { d.open = true; })"


def _letter(campaign, target, signed, **fields):
    letter = LetterFactory(campaign=campaign, target_count=target, **fields)
    SignatoryFactory(letter=letter, name="Dockers Branch", kind="organisation", affiliation="")
    SignatoryFactory(letter=letter, name="Қанат Әбілов", affiliation="Unite")
    SignatoryFactory.create_batch(max(signed - 2, 0), letter=letter)
    return letter


@pytest.fixture
def pages(live_server):
    event = EventFactory(place="Foreign Office")
    campaign = event.campaign
    ResourceFactory(campaign=campaign)
    below = _letter(campaign, 10, 3, hand_in_event=event)
    at = _letter(campaign, 4, 4)
    past = _letter(campaign, 2, 5)  # past its target: the bar stays full, never over
    closed = _letter(campaign, 10, 3, status="closed")
    delivered = _letter(campaign, 10, 3, status="closed")
    letter_deliver(
        letter=delivered,
        hand_in=HandIn(
            at=timezone.make_aware(datetime.datetime(2013, 12, 16, 11)),
            place="Foreign Office",
            by="Unite and RMT delegation",
        ),
        recorded_by=None,
    )

    def link(purpose, **fields):
        signatory = SignatoryFactory(letter=below, **fields)
        return f"/s/{purpose}/{tokens.make_token(signatory, purpose)}/"

    read = {
        "home": "/",
        "campaign": campaign.get_absolute_url(),
        "letter below its target": below.get_absolute_url(),
        "letter at its target": at.get_absolute_url(),
        "letter past its target": past.get_absolute_url(),
        "closed letter": closed.get_absolute_url(),
        "delivered letter": delivered.get_absolute_url(),
        "embed": f"{below.get_absolute_url()}embed/",
        "delivered embed": f"{delivered.get_absolute_url()}embed/",
        "thank-you": f"{below.get_absolute_url()}thanks/",
        **{
            f"thank-you, {shown}": f"{below.get_absolute_url()}thanks/?shown={shown}"
            for shown in ["full", "name", "hidden"]
        },
        "invalid link": "/s/confirm/not-a-real-link/",
        "not found": "/letters/no-such-letter/",
    }
    # A page that asks, and the page its one button leads to.
    clicked = {
        "confirm": link(tokens.CONFIRM, confirmed_at=None, status="pending"),
        "confirm, name hidden": link(
            tokens.CONFIRM, confirmed_at=None, status="pending", display="hidden"
        ),
        "withdraw": link(tokens.WITHDRAW),
        "erase": link(tokens.ERASE),
        "unsubscribe": link(tokens.UNSUBSCRIBE),
        "restore": link(tokens.RESTORE, withdrawn_at=timezone.now()),
    }
    return read, clicked


def _problems(page, response_html, axe, vnu, check_markup):
    page.evaluate(OPEN_DETAILS)
    problems = axe(page)
    if check_markup:  # the same HTML at any size: checked once per language
        problems += vnu(response_html)
    return problems


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_no_violation_and_no_markup_error_on_any_public_page(
    browser, live_server, pages, axe, vnu, language, viewport
):
    read, clicked = pages
    context = browser.new_context(bypass_csp=True, **(PHONE if viewport == "phone" else DESKTOP))
    page = context.new_page()
    page.goto(f"{live_server.url}/?lang={language}")  # as a link in a mail sets it
    check_markup = viewport == "desktop"
    found = {}
    for name, path in read.items():
        response = page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == language, name
        if problems := _problems(page, response.text(), axe, vnu, check_markup):
            found[name] = problems
    for name, path in clicked.items():
        page.goto(live_server.url + path)
        if problems := _problems(page, page.content(), axe, vnu, check_markup):
            found[name] = problems
        with page.expect_navigation() as done:
            page.locator("main form [type=submit]").click()
        assert done.value.status == 200, name
        assert page.locator("html").get_attribute("lang") == language, name
        if problems := _problems(page, done.value.text(), axe, vnu, check_markup):
            found[f"{name}: done"] = problems
    context.close()
    assert found == {}


def test_a_form_with_errors_has_no_violations(page, live_server, axe, vnu):
    letter = LetterFactory()
    page.goto(live_server.url + letter.get_absolute_url())
    page.evaluate("document.querySelector('#sign form').noValidate = true")
    with page.expect_navigation() as rejected:
        page.get_by_role("button", name="Sign the letter").click()
    assert page.locator("[aria-invalid=true]").count() >= 2
    page.evaluate(OPEN_DETAILS)
    assert axe(page) == []
    assert vnu(rejected.value.text()) == []
