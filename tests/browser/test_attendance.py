"""Coming to the demonstration, on a phone: sign up, confirm from the mail, see the count go
up, cancel from the next mail and see it go down. In English and in Kazakh."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from attendance.models import SignUp
from tests.attendance.conftest import calendar_of, link_url
from tests.browser.conftest import PHONE
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.browser_context_args(**PHONE)
@pytest.mark.parametrize("language", ["en", "kk"])
def test_a_supporter_says_they_will_be_there_confirms_and_cancels(
    page, live_server, mailoutbox, step, fast_signing, validated, language
):
    event = EventFactory(
        title="Demonstration at the Kazakh Embassy",
        place="Kazakh Embassy",
        address="125 Pall Mall, London SW1",
    )
    for n, people in enumerate([2, 1]):
        SignUp.objects.create(
            event=event,
            name=f"Already Coming {n}",
            email=f"coming{n}@example.net",
            people=people,
            confirmed_at=timezone.now(),
        )
    count = page.locator("[data-people-coming]")

    page.goto(f"{live_server.url}{event.campaign.get_absolute_url()}?lang={language}")
    assert page.get_attribute("html", "lang") == language
    expect(page.locator(f"#event-{event.pk}-coming")).to_contain_text("3")
    validated("campaign page")
    page.locator(f'a[href="{event.get_absolute_url()}#sign-up"]').click()
    expect(count).to_have_text("3")
    assert page.get_attribute("html", "lang") == language
    step("event page")
    validated("event page")

    page.locator("#id_name").fill("Ұлжан Сейітқали")
    page.locator("#id_email").fill("ulzhan@example.net")
    page.locator("#id_people").fill("4")
    step("form filled")
    page.locator("#sign-up [type=submit]").click()
    expect(page.locator("h1")).to_be_visible()
    assert "/thanks/" in page.url
    step("check your e-mail")
    validated("thanks")
    sign_up = SignUp.objects.with_email("ulzhan@example.net").get()
    assert (sign_up.people, sign_up.language, sign_up.confirmed_at) == (4, language, None)

    [confirmation] = mailoutbox
    page.goto(live_server.url + link_url(confirmation, "confirm"))
    assert page.get_attribute("html", "lang") == language
    expect(page.locator("main")).not_to_contain_text("Ұлжан")  # no name on any page
    step("asked to confirm")
    validated("confirm")
    assert SignUp.objects.get(pk=sign_up.pk).confirmed_at is None
    page.locator("main form [type=submit]").click()
    expect(page.locator("main a.btn-primary")).to_be_visible()
    step("confirmed")
    validated("confirmed")
    assert SignUp.objects.get(pk=sign_up.pk).confirmed_at is not None
    page.locator("main a.btn-primary").click()
    expect(count).to_have_text("7")
    expect(page.locator("main")).not_to_contain_text("Ұлжан")
    step("counted")

    calendar = mailoutbox[1]
    assert calendar.to == ["ulzhan@example.net"]
    assert calendar_of(calendar).walk("VEVENT")[0]["SUMMARY"] == event.title
    page.goto(live_server.url + link_url(calendar, "cancel"))
    assert page.get_attribute("html", "lang") == language
    step("asked to cancel")
    validated("cancel")
    page.locator("main form [type=submit]").click()
    expect(page.locator("main a.btn-primary")).to_be_visible()
    validated("cancelled")
    assert not SignUp.objects.filter(pk=sign_up.pk).exists()
    page.locator("main a.btn-primary").click()
    expect(count).to_have_text("3")
    step("cancelled, counted no more")
    assert re.search(r"/campaigns/[\w-]+/events/\d+/", page.url)
