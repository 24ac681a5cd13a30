"""Supporters and organisers in a real browser, as they use the site."""

import io
import re

import pytest
from django.test import Client
from playwright.sync_api import expect
from pypdf import PdfReader

from signatories import tokens
from signatories.models import Signatory
from tests.browser.conftest import PHONE
from tests.factories import EventFactory, LetterFactory, SignatoryFactory
from tests.helpers import link_path, link_url, sign_data, sign_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.browser_context_args(**PHONE)
def test_a_supporter_signs_on_a_phone_confirms_and_sees_their_name(
    page, live_server, mailoutbox, step, fast_signing
):
    event = EventFactory(title="Hand-in at the Foreign Office")
    letter = LetterFactory(campaign=event.campaign, moderation="post", target_count=50)
    SignatoryFactory(letter=letter, name="Owen Jones", affiliation="columnist")

    page.goto(live_server.url + event.campaign.get_absolute_url())
    step("campaign")
    page.get_by_role("link", name="Read and sign the letter").click()
    expect(page.locator("#count")).to_have_text("1")
    step("letter")

    page.get_by_role("textbox", name="Your name").fill("Жанат Мырынбаев")
    page.get_by_label("Organisation or title, if any").fill("КТР Казахстана")
    page.get_by_label("E-mail").fill("zhanat@example.net")
    step("form filled")
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_role("heading", name="Thank you. Now check your e-mail.")).to_be_visible()
    step("thank you")

    assert [m.to for m in mailoutbox] == [["zhanat@example.net"]]
    page.goto(live_server.url + link_path(mailoutbox[0], "confirm"))
    expect(page.get_by_role("heading", name="Confirm your signature")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Жанат Мырынбаев (КТР Казахстана)")
    assert Signatory.objects.with_email("zhanat@example.net").get().confirmed_at is None
    step("asked to confirm")
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Your signature is confirmed")).to_be_visible()
    step("confirmed")
    page.get_by_role("link", name="See the letter and its signatures").click()
    expect(page.locator("#count")).to_have_text("2")
    expect(page.locator("#names")).to_contain_text("Жанат Мырынбаев (КТР Казахстана)")
    step("name on the letter")


def test_an_organiser_approves_the_queue_and_downloads_the_signed_letter(
    page, live_server, django_user_model, step
):
    django_user_model.objects.create_superuser("organiser", "o@example.org", "a-long-passphrase")
    letter = LetterFactory(title="Open letter to the Foreign Secretary")
    for name in ["Ada Lovelace", "Қанат Әбілов", "Ian Lavery MP"]:
        SignatoryFactory(letter=letter, name=name, status="pending")

    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("organiser")
    page.get_by_label("Password").fill("a-long-passphrase")
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + "/admin/signatories/signatory/")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    step("queue")

    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("approve")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved: 3 signatures.")
    step("approved")
    assert Signatory.objects.filter(status="approved").count() == 3

    page.goto(live_server.url + f"/admin/letters/letter/{letter.pk}/change/")
    page.get_by_role("link", name="Signed letter (PDF)").click()
    step("letter page")
    page.get_by_role("button", name="Make the PDF").first.click()
    expect(page.locator(".signed-pdf").first).to_contain_text("Ready: 3 signatures on 1 page")
    step("signed letter page")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))  # noqa: SIM115
    text = "\n".join(p.extract_text() for p in pdf.pages)
    for name in ["Ada Lovelace", "Қанат Әбілов", "Ian Lavery MP", "3 signatures"]:
        assert name in text


def test_a_supporter_withdraws(page, live_server, step):
    letter = LetterFactory(moderation="post")
    signatory = SignatoryFactory(letter=letter, name="Changed Mind")
    SignatoryFactory(letter=letter, name="Staying Put")

    page.goto(live_server.url + f"/s/withdraw/{tokens.make_token(signatory, tokens.WITHDRAW)}/")
    step("asked")
    page.get_by_role("button", name="Withdraw my signature").click()
    expect(page.get_by_role("heading", name="Your signature has been withdrawn")).to_be_visible()
    step("withdrawn")
    page.get_by_role("link", name="Back to the letter").click()
    expect(page.locator("#count")).to_have_text("1")
    expect(page.locator("#names")).not_to_contain_text("Changed Mind")
    step("letter without the name")


def test_the_form_works_with_the_keyboard_alone(page, live_server, mailoutbox, fast_signing):
    letter = LetterFactory()
    page.goto(live_server.url + letter.get_absolute_url())

    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_name":
            break
    page.keyboard.type("Keyboard Only")
    page.keyboard.press("Tab")
    page.keyboard.type("member of Unite")
    page.keyboard.press("Tab")
    page.keyboard.type("keys@example.net")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Thank you. Now check your e-mail.")).to_be_visible()
    assert Signatory.objects.get().name == "Keyboard Only"


def test_error_messages_are_tied_to_their_fields(page, live_server):
    letter = LetterFactory()
    page.goto(live_server.url + letter.get_absolute_url())
    page.get_by_role("textbox", name="Your name").fill("Ada")
    page.get_by_label("E-mail").fill("ada@")
    # The browser's own check would stop the post; the server's message is what we test.
    page.evaluate("document.querySelector('#sign form').noValidate = true")
    page.get_by_role("button", name="Sign the letter").click()

    email = page.get_by_label("E-mail")
    expect(email).to_have_attribute("aria-invalid", "true")
    described = email.get_attribute("aria-describedby").split()
    messages = " ".join(page.locator(f"#{i}").inner_text() for i in described)
    assert "Enter a valid email address." in messages
    assert not Signatory.objects.exists()


@pytest.mark.browser_context_args(**PHONE)
def test_on_a_phone_a_rejected_form_opens_at_its_errors_with_focus_there(page, live_server, step):
    letter = LetterFactory()
    SignatoryFactory.create_batch(60, letter=letter)  # a long letter and list above the form
    page.goto(live_server.url + letter.get_absolute_url())
    page.get_by_role("textbox", name="Your name").fill("")
    page.get_by_label("E-mail").fill("bob@example")
    page.evaluate("document.querySelector('#sign form').noValidate = true")
    page.get_by_role("button", name="Sign the letter").click()

    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport(ratio=1)  # the page opened at the form: no script
    box, viewport = summary.bounding_box(), page.viewport_size
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
    step("rejected form")
    summary.get_by_role("link", name=re.compile("E-mail")).click()
    expect(page.get_by_label("E-mail")).to_be_focused()
    assert Signatory.objects.count() == 60  # nothing added


def test_a_kazakh_signer_stays_in_kazakh_from_the_form_to_a_restored_signature(
    browser, live_server, mailoutbox, fast_signing
):
    """Signed on a phone in Kazakh; every link then opened on a computer set to English."""
    letter = LetterFactory(moderation="post")
    phone = browser.new_context(locale="kk-KZ", **PHONE)
    page = phone.new_page()
    page.goto(live_server.url + letter.get_absolute_url())
    assert page.get_attribute("html", "lang") == "kk"
    page.get_by_role("textbox", name="Атыңыз").fill("Ұлжан Сейітқали")
    page.get_by_label("Электрондық пошта").fill("ulzhan@example.net")
    page.get_by_role("button", name="Хатқа қол қою").click()
    expect(page.locator("h1")).to_contain_text("Рахмет")
    phone.close()

    desk = browser.new_context(locale="en-GB")
    page = desk.new_page()

    def opens_in_kazakh(mail, kind, heading):
        page.goto(live_server.url + link_url(mail, kind))
        assert page.get_attribute("html", "lang") == "kk"
        expect(page.locator("h1")).to_have_text(heading)

    assert mailoutbox[0].subject.startswith("Қолыңызды растаңыз")
    opens_in_kazakh(mailoutbox[0], "confirm", "Қолыңызды растаңыз")
    page.get_by_role("button", name="Қолымды растау").click()
    assert page.get_attribute("html", "lang") == "kk"
    assert Signatory.objects.get().confirmed_at is not None

    opens_in_kazakh(mailoutbox[0], "withdraw", "Қолыңызды қайтарып аласыз ба?")
    page.get_by_role("button", name=re.compile("қайтарып алу")).click()
    assert Signatory.objects.get().withdrawn_at is not None

    client = Client(HTTP_ACCEPT_LANGUAGE="kk")
    client.post(sign_url(letter), sign_data(email="ulzhan@example.net"))  # signs again
    notice = mailoutbox[-1]
    assert "/s/restore/" in notice.body
    opens_in_kazakh(notice, "restore", "Қолыңызды қайтарасыз ба?")
    page.get_by_role("button", name="Қолымды қайтару").click()
    expect(page.locator("h1")).to_have_text("Қолыңыз қайта орнында")
    assert page.get_attribute("html", "lang") == "kk"
    assert Signatory.objects.get().withdrawn_at is None
    desk.close()


def test_links_that_stand_alone_are_big_enough_for_a_thumb(page, live_server):
    from letters.models import LetterTranslation
    from tests.factories import EventFactory

    event = EventFactory()
    letter = LetterFactory(campaign=event.campaign, hand_in_event=event)
    LetterTranslation.objects.create(
        letter=letter,
        language="kk",
        title="Хат",
        salutation="С",
        body="Б",
        closing="К",
        is_ready=True,
    )
    page.goto(live_server.url + letter.get_absolute_url())
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    links = page.locator("main a.tap")
    names = links.all_inner_texts()
    assert {"Telegram", "WhatsApp", "X", "Facebook", "Қазақ"} <= set(names)
    heights = {name: links.nth(i).bounding_box()["height"] for i, name in enumerate(names)}
    assert all(height >= 44 for height in heights.values()), heights
    page.goto(live_server.url + event.campaign.get_absolute_url())
    ics = page.get_by_role("link", name="Add to calendar (.ics)")
    assert ics.bounding_box()["height"] >= 44


@pytest.mark.parametrize("locale", ["en-GB", "kk-KZ"])
def test_a_supporter_finds_a_name_among_many_pages_on_a_phone(
    browser, live_server, settings, vnu, axe, locale
):
    """Next, Last, Previous, First and a typed surname, each clicked; each page checked."""
    settings.SIGNATORIES_PER_PAGE = 5
    letter = LetterFactory()
    SignatoryFactory(
        letter=letter, kind="organisation", name="RMT Central Line West", affiliation=""
    )
    for n, surname in enumerate(["Abai", "Bowring", "Жанатов", "Қанатов", "Smith", "Zed"] * 3):
        SignatoryFactory(letter=letter, name=f"Person{n:02d} {surname}")
    context = browser.new_context(locale=locale, bypass_csp=True, **PHONE)  # for axe
    page = context.new_page()
    served = []
    page.on("response", lambda r: served.append(r) if r.request.resource_type == "document" else 0)

    def checked(label):
        """The page as served passes the Nu HTML checker, and as shown passes axe."""
        assert (label, vnu(served[-1].text()), axe(page)) == (label, [], [])

    english = locale == "en-GB"
    words = {
        "next": "Next" if english else "Келесі",
        "last": "Last" if english else "Соңына",
        "previous": "Previous" if english else "Алдыңғы",
        "first": "First" if english else "Басына",
        "find": "Find a name: type a surname" if english else "Есімді табу: тегін жазыңыз",
        "go": "Go" if english else "Табу",
    }
    names = page.locator("#names ol li")
    page.goto(live_server.url + letter.get_absolute_url())
    expect(names.first).to_have_text("RMT Central Line West")
    expect(names).to_have_count(5)
    checked("first page")

    page.get_by_role("link", name=words["next"], exact=True).click()
    expect(names.first).to_contain_text("Person")
    assert "after=" in page.url and "#names" in page.url
    second = names.all_inner_texts()

    page.get_by_role("link", name=words["last"], exact=True).click()
    in_order = list(
        Signatory.objects.filter(letter=letter).for_delivery().values_list("name", flat=True)
    )
    expect(names.last).to_contain_text(in_order[-1])  # Latin first, then Cyrillic
    expect(page.get_by_role("link", name=words["next"], exact=True)).to_have_count(0)
    checked("last page")

    page.get_by_role("link", name=words["previous"], exact=True).click()
    expect(names.last).to_contain_text(in_order[-6])
    page.get_by_role("link", name=words["first"], exact=True).click()
    expect(names.first).to_have_text("RMT Central Line West")

    page.get_by_label(words["find"]).fill("Қанат")
    page.get_by_role("button", name=words["go"], exact=True).click()
    expect(names.first).to_contain_text("Қанатов")
    assert "from=" in page.url
    checked("a typed surname")
    shown = {text.split(" (")[0] for text in names.all_inner_texts()}
    expected = set(
        Signatory.objects.filter(letter=letter, name__contains="Қанатов").values_list(
            "name", flat=True
        )
    )
    assert expected <= shown | {second[0]}  # the three namesakes start the page
    assert page.get_attribute("html", "lang") == locale[:2]
    context.close()


def test_a_supporter_pages_back_through_namesakes_from_the_last_page(
    browser, live_server, settings
):
    """Eight people of one name end the list, three to a page: Last, Previous, Previous and
    Next are clicked, and each page holds the rows the delivery order puts there (its links
    count ranks from the last namesake: letters/name_list.py)."""
    settings.SIGNATORIES_PER_PAGE = 3
    letter = LetterFactory()
    for surname in ["Abai", "Bowring"]:
        SignatoryFactory(letter=letter, name=f"Ann {surname}")
    for n in range(8):
        SignatoryFactory(letter=letter, name="Jo Smith", affiliation=f"Branch {n}")
    in_order = [
        f"{name} ({affiliation})" if affiliation else name
        for name, affiliation in Signatory.objects.filter(letter=letter)
        .for_delivery()
        .values_list("name", "affiliation")
    ]
    context = browser.new_context(locale="en-GB", **PHONE)
    page = context.new_page()
    names = page.locator("#names ol li")
    page.goto(live_server.url + letter.get_absolute_url())

    page.get_by_role("link", name="Last", exact=True).click()
    expect(names).to_have_text(in_order[-3:])
    page.get_by_role("link", name="Previous", exact=True).click()
    expect(names).to_have_text(in_order[-6:-3])
    assert "before=i.-3." in page.url  # the link counted from the last Jo Smith
    page.get_by_role("link", name="Previous", exact=True).click()
    expect(names).to_have_text(in_order[-9:-6])
    page.get_by_role("link", name="Next", exact=True).click()
    expect(names).to_have_text(in_order[-6:-3])
    context.close()
