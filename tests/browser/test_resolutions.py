"""A union body that passed the resolution reports it on a phone; an organiser approves it,
records that it went up to the region, and signs the body onto the letter."""

import re

import pytest
from playwright.sync_api import expect

from resolutions.models import PassedResolution
from signatories.models import Signatory
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_organisers import keep_screenshot, log_in
from tests.factories import CampaignFactory, LetterFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campaign():
    campaign = CampaignFactory(title="Justice for the Zhanaozen oil workers")
    ResourceFactory(campaign=campaign, title="A model resolution for your union branch")
    LetterFactory(campaign=campaign, title="Open letter to the Foreign Secretary")
    return campaign


def confirm_path(mail):
    return re.search(r"https?://[^/\s]+(/resolutions/confirm/\S+/\?lang=\w+)", mail.body).group(1)


# (language, what the page says in it)
WORDS = {
    "en": {
        "tell": "Our body passed it: tell us",
        "body": "The body that passed it",
        "union": "Its union or organisation, if any",
        "level": "What kind of body is it?",
        "date": "Date it was passed",
        "email": "Your e-mail",
        "sign": "The body also signs the open letter",
        "send": "Send the report",
        "errors": "Your report has not been sent yet",
        "future": "This date is still to come.",
        "sent": "Thank you. Now check your e-mail.",
        "confirm": "Confirm the report",
        "confirmed": "Your report is confirmed",
        "back": "Back to the campaign",
    },
    "kk": {
        "tell": "Біздің ұйым қабылдады: хабарлау",
        "body": "Қарарды қабылдаған ұйым",
        "union": "Оның кәсіподағы немесе ұйымы, егер болса",
        "level": "Бұл қандай ұйым?",
        "date": "Қабылданған күні",
        "email": "Сіздің эл. поштаңыз",
        "sign": "Ұйым ашық хатқа да қол қояды",
        "send": "Хабарды жіберу",
        "errors": "Хабарыңыз әлі жіберілген жоқ",
        "future": "Бұл күн әлі келген жоқ.",
        "sent": None,  # the sign page's heading, translated before
        "confirm": "Хабарды растау",
        "confirmed": "Хабарыңыз расталды",
        "back": "Науқанға оралу",
    },
}


@pytest.mark.browser_context_args(**PHONE)
@pytest.mark.parametrize("language", ["en", "kk"])
def test_a_branch_reports_its_resolution_on_a_phone(
    page, live_server, mailoutbox, campaign, language, validated
):
    words = WORDS[language]
    page.set_extra_http_headers({"Accept-Language": language})
    page.goto(live_server.url + campaign.get_absolute_url())
    assert page.get_attribute("html", "lang") == language
    page.get_by_role("link", name=words["tell"]).click()
    validated(f"report form ({language})")

    body = "Жаңаөзен филиалы" if language == "kk" else "Central Line West branch"
    page.get_by_label(words["body"]).fill(body)
    page.get_by_label(words["union"]).fill("RMT")
    page.get_by_label(words["level"]).select_option("branch")
    page.get_by_label(words["date"]).fill("2999-11-01")  # a slip of the thumb
    page.get_by_label(words["email"]).fill("secretary@example.net")
    page.get_by_label(words["sign"]).check()
    page.get_by_role("button", name=words["send"]).click()

    # The error is where the phone's screen is: the summary, focused, then the field.
    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(words["errors"])
    expect(summary).to_contain_text(words["future"])
    expect(summary).to_be_in_viewport()
    validated(f"report form with an error ({language})")
    keep_screenshot(page, f"resolution-error-{language}")
    assert not PassedResolution.objects.exists()

    page.get_by_label(words["date"]).fill("2012-11-01")
    page.get_by_role("button", name=words["send"]).click()
    if words["sent"]:
        expect(page.get_by_role("heading", name=words["sent"])).to_be_visible()
    validated(f"check your e-mail ({language})")
    keep_screenshot(page, f"resolution-sent-{language}")

    report = PassedResolution.objects.get()
    assert (report.body, report.confirmed_at, report.language) == (body, None, language)
    assert report.sign_letter == campaign.letters.get()
    [mail] = mailoutbox
    assert mail.to == ["secretary@example.net"]

    page.goto(live_server.url + confirm_path(mail))
    validated(f"confirm the report ({language})")
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.get_by_role("heading", name=words["confirmed"])).to_be_visible()
    validated(f"report confirmed ({language})")
    report.refresh_from_db()
    assert report.confirmed_at is not None and report.status == "pending"
    page.get_by_role("link", name=words["back"]).click()
    # Confirmed, not approved yet: not listed, and the address on no page.
    expect(page.locator("#resolution-bodies")).not_to_contain_text("RMT")
    assert "secretary@example.net" not in page.content()


@pytest.mark.browser_context_args(**DESKTOP)
def test_an_organiser_approves_a_report_records_the_step_up_and_signs_the_body_in(
    page, live_server, staff_organiser, campaign, validated, browser
):
    letter = campaign.letters.get()
    from django.utils import timezone

    PassedResolution.objects.create(
        campaign=campaign,
        body="Central Line West branch",
        organisation="RMT",
        level="branch",
        passed_on="2012-11-01",
        email="secretary@example.net",
        confirmed_at=timezone.now(),
        sign_letter=letter,
    )
    log_in(page, live_server, "organiser")
    # The index says what waits, and links to it.
    validated("admin index with work waiting")
    page.get_by_role("link", name="1 report of a resolution passed, awaiting approval").click()
    expect(page.locator("#changelist-filter li.selected").first).to_contain_text(
        "Awaiting approval"
    )
    validated("resolutions list, awaiting approval")
    page.get_by_role("link", name="RMT Central Line West branch").click()
    expect(page.locator(".lifecycle")).to_contain_text("This report is awaiting approval")
    validated("a report")

    page.get_by_role("button", name="Approve: list on the campaign page").click()
    expect(page.locator(".messagelist")).to_contain_text("1 report approved.")
    assert PassedResolution.objects.get().status == "approved"

    # It went up to the region: a step, saved with the report.
    page.get_by_role("button", name=re.compile("Add another forwarding or adoption", re.I)).click()
    row = page.locator("tr.dynamic-steps")  # the row the button added
    row.get_by_label("Kind, new row").select_option("forwarded")
    row.get_by_label("Body, new row").fill("the RMT London region")
    row.get_by_label("Level, new row").select_option("region")
    row.get_by_label("On, new row").fill("2012-11-20")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert PassedResolution.objects.get().steps.get().to_body == "the RMT London region"

    page.get_by_role("button", name="Add “RMT Central Line West branch” to the letter").click()
    expect(page.locator(".messagelist")).to_contain_text("1 body added to the letter.")
    validated("a report, signed in")
    signatory = Signatory.objects.get(letter=letter)
    assert (signatory.name, signatory.kind) == ("RMT Central Line West branch", "organisation")
    keep_screenshot(page, "resolution-admin")

    # The campaign page, as a supporter sees it on a phone.
    phone = browser.new_context(**PHONE)
    public = phone.new_page()
    public.goto(live_server.url + campaign.get_absolute_url() + "#resolution-bodies")
    section = public.locator("#resolution-bodies")
    expect(section).to_contain_text("1 body has passed it so far.")
    expect(section).to_contain_text("Central Line West branch, 1 November 2012")
    expect(section).to_contain_text("Forwarded to the RMT London region, 20 November 2012")
    keep_screenshot(public, "resolution-campaign")
    phone.close()


@pytest.fixture
def staff_organiser(django_user_model, roles):
    from tests.browser.test_organisers import PASSWORD

    user = django_user_model.objects.create_user(
        "organiser", password=PASSWORD, is_staff=True, first_name="Organiser"
    )
    user.groups.add(roles["Organisers"])
    return user
