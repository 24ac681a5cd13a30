"""A bot wave, found and stopped in chromium: the moderator's clusters at 1280x800, the
superuser's pause of signing, and the letter page on a phone while signing is paused.

WAVE_SCREENSHOT=path.png keeps the bot-wave page as the test sees it.
"""

import os

import pytest
from playwright.sync_api import expect

from signatories.models import ModerationAction, Signatory, SigningPause
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_organisers import PASSWORD, log_in, staff  # noqa: F401 - a fixture
from tests.factories import LetterFactory
from tests.signatories.wave_data import build_wave

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.browser_context_args(**DESKTOP)
def test_a_moderator_finds_a_wave_previews_rejects_and_undoes_it(
    page,
    live_server,
    staff,  # noqa: F811 - the fixture imported above
    validated,
    step,
):
    letter = LetterFactory(moderation="post", title="Open letter to the Foreign Secretary")
    real, bots = build_wave(letter, bots=120, real=120)
    before = dict(Signatory.objects.values_list("pk", "status"))
    staff("moderator", "Moderators")
    log_in(page, live_server, "moderator")

    # From the list of signatures to the letter's clusters.
    page.locator("#signatories-signatory").get_by_role("link", name="Signatories").click()
    page.get_by_role("link", name="Find a bot wave").click()
    expect(page.get_by_role("heading", name=f"Bot waves: {letter.title}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Read 240 signatures")
    validated("bot-wave page")
    step("clusters")
    if os.environ.get("WAVE_SCREENSHOT"):
        page.screenshot(path=os.environ["WAVE_SCREENSHOT"], full_page=True)
    assert "@" not in page.locator("main").inner_text()  # no address, no domain for moderators
    table = page.locator("table.wave-clusters").first
    box = table.bounding_box()
    assert box["x"] + box["width"] <= 1280  # no sideways scrolling at 1280x800

    # Preview rejecting the network address's cluster: nothing changes yet.
    address = page.locator("#kind-address + table tbody tr").first
    expect(address.locator("td.wave-size")).to_have_text("120")
    address.get_by_role("link", name="Reject…").click()
    expect(page.locator("main")).to_contain_text("120 signatures will be rejected")
    expect(page.locator("main")).to_contain_text("60 of them are on the public list now")
    validated("wave preview")
    step("preview")
    assert dict(Signatory.objects.values_list("pk", "status")) == before

    # Reject: one decision, the real signatures untouched.
    page.get_by_role("button", name="Reject these 120 signatures").click()
    expect(page.locator(".messagelist")).to_contain_text("120 signatures rejected, in one decision")
    step("rejected")
    statuses = dict(Signatory.objects.values_list("pk", "status"))
    assert {statuses[pk] for pk in bots} == {"rejected"}
    assert {pk: statuses[pk] for pk in real} == {pk: before[pk] for pk in real}
    action = ModerationAction.objects.get(letter=letter)
    assert action.count == 120 and action.decision == "reject"
    expect(page.locator("#decisions")).to_contain_text("Rejected")
    expect(page.locator("main")).to_contain_text("Read 120 signatures")

    # Undo from the page: a preview of the undo, then the undo.
    page.locator("#decisions").get_by_role("link", name=f"Undo… decision {action.pk}").click()
    expect(page.locator("main")).to_contain_text("120 signatures will go back")
    validated("undo preview")
    page.get_by_role("button", name="Undo this decision").click()
    expect(page.locator(".messagelist")).to_contain_text("Undone: 120 signatures back as before")
    step("undone")
    assert dict(Signatory.objects.values_list("pk", "status")) == before
    assert ModerationAction.objects.get(undoes=action).count == 120


@pytest.mark.browser_context_args(**PHONE)
def test_a_superuser_pauses_signing_and_the_phone_shows_the_message_then_the_form(
    page, live_server, browser, validated, vnu, axe, django_user_model, settings, fast_signing
):
    # The letter pages are cached as in production: the pause must show at once anyway.
    settings.LETTER_PAGE_CACHE_SECONDS = 60
    settings.LETTER_SHELL_CACHE_SECONDS = 60
    letter = LetterFactory(title="Open letter to the Foreign Secretary")
    page.goto(live_server.url + letter.get_absolute_url())
    expect(page.get_by_role("button", name="Sign the letter")).to_be_visible()

    django_user_model.objects.create_superuser("chair", password=PASSWORD)
    admin = browser.new_context(**DESKTOP, bypass_csp=True).new_page()
    admin.goto(live_server.url + "/admin/")
    admin.get_by_label("Username").fill("chair")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.goto(live_server.url + f"/admin/letters/letter/{letter.pk}/change/")
    admin.get_by_role("link", name="Bot waves").click()
    admin.get_by_role("link", name="Pause signing on every letter…").click()

    def admin_validated(label):
        assert (label, vnu(admin.content()), axe(admin)) == (label, [], [])

    admin_validated("pause switch")
    message = "Signing is paused while we remove fake names. Please come back this evening."
    admin.get_by_label("Message on every letter page while signing is paused").fill(message)
    admin.get_by_role("button", name="Pause signing on every letter").click()
    expect(admin.locator(".messagelist")).to_contain_text("Signing is paused on every letter")
    expect(admin.locator(".pause-switch")).to_contain_text(message)
    admin_validated("pause switch, paused")
    record = SigningPause.objects.get()
    assert record.paused and record.message == message and record.changed_by.username == "chair"

    # The phone: the message in place of the form, at once, though the page was cached.
    page.reload()
    expect(page.locator("#sign")).to_contain_text(message)
    expect(page.get_by_role("heading", name="Signing is paused for now")).to_be_visible()
    expect(page.get_by_role("button", name="Sign the letter")).to_have_count(0)
    # On a phone the box is below the letter: the top of the page says so, and leads to it.
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("link", name="Signing is paused for now").click()
    expect(page.locator("#sign")).to_be_in_viewport()
    expect(page.get_by_label("E-mail")).to_have_count(0)
    validated("letter page, signing paused")

    # Lifted: the form is back, and signing works.
    admin.get_by_role("button", name="Resume signing on every letter").click()
    expect(admin.locator(".messagelist")).to_contain_text("Signing is open again")
    assert [p.paused for p in SigningPause.objects.order_by("changed_at")] == [True, False]
    page.reload()
    expect(page.locator("#sign")).not_to_contain_text(message)
    page.get_by_role("textbox", name="Your name").fill("Mary O'Brien")
    page.get_by_label("E-mail").fill("mary@example.net")
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_role("heading", name="Thank you. Now check your e-mail.")).to_be_visible()
    assert Signatory.objects.filter(letter=letter, name="Mary O'Brien").exists()
