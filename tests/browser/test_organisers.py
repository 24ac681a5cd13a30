"""Organisers and moderators in the admin, in chromium at 1280x800, clicking what they click.

Every admin page the journeys reach is checked as it is served (the Nu HTML
checker) and as it is shown (axe). Nothing here posts to a URL by hand.

DOCS_SCREENSHOTS=docs make test keeps screenshots of the pages the README shows.
"""

import csv
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from letters.models import Delivery, Letter
from signatories.models import Signatory
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import EventFactory, LetterFactory, SignatoryFactory
from tests.helpers import assert_printable_pdf

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser_context_args(**DESKTOP),
]
PASSWORD = "a-long-passphrase-for-tests"


def keep_screenshot(page, name):
    folder = os.environ.get("DOCS_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def staff(django_user_model, roles):
    def make(username, group):
        user = django_user_model.objects.create_user(
            username, password=PASSWORD, is_staff=True, first_name=username.title()
        )
        user.groups.add(roles[group])
        return user

    return make


def join_every_team(username):
    """The user works on every campaign there is, in their group's role (tests/teams/ tests
    the walls between teams)."""
    from django.contrib.auth import get_user_model

    from campaign.models import Campaign
    from teams.services import team_member_set

    user = get_user_model().objects.get(username=username)
    role = "organiser" if user.groups.filter(name="Organisers").exists() else "moderator"
    for campaign in Campaign.objects.all():
        team_member_set(campaign=campaign, user=user, role=role)


def assert_every_column_shows(page):
    """The list fits beside the filters at 1280 pixels: none of its columns is in a part
    that scrolls sideways out of view (the table's own box can be wider than what shows)."""
    widths = page.locator("#result_list").evaluate(
        "t => [t.scrollWidth, t.closest('.results').clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    last = page.locator("#result_list thead th").last.bounding_box()
    filters = page.locator("#changelist-filter").bounding_box()
    assert last["x"] + last["width"] <= filters["x"]


def log_in(page, live_server, username):
    join_every_team(username)
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Campaigns, letters and signatures")).to_be_visible()


@pytest.fixture
def campaign_letter():
    event = EventFactory(title="Hand-in at the Foreign Office", place="Foreign Office")
    letter = LetterFactory(
        campaign=event.campaign,
        hand_in_event=event,
        status=Letter.Status.DRAFT,
        title="Open letter to the Foreign Secretary",
    )
    for name in ["Ada Lovelace", "Қанат Әбілов", "Spam Bot"]:
        SignatoryFactory(letter=letter, name=name, status="pending", affiliation="")
    SignatoryFactory(letter=letter, name="Owen Jones", affiliation="columnist")
    return letter


def test_an_organiser_runs_a_letter_from_draft_to_handed_in(
    page, live_server, staff, campaign_letter, validated, browser, tmp_path
):
    letter = campaign_letter
    staff("organiser", "Organisers")
    log_in(page, live_server, "organiser")
    validated("admin index")

    # The index puts the organisers' work first.
    sections = page.locator("#content-main caption").all_inner_texts()
    assert sections[:2] == ["OPEN LETTERS", "SIGNATORIES"] or sections[:2] == [
        "Open letters",
        "Signatories",
    ]

    # Open the draft.
    page.get_by_role("link", name="Letters", exact=True).click()
    validated("letter list")
    page.get_by_role("link", name=letter.title).click()
    expect(page.locator(".lifecycle")).to_contain_text("This letter is a draft")
    validated("letter page, draft")
    page.get_by_role("button", name="Open for signatures").click()
    expect(page.locator(".messagelist")).to_contain_text("The letter is now open for signatures.")
    letter.refresh_from_db()
    assert letter.status == Letter.Status.OPEN

    # Approve two and reject the bot in the queue.
    page.goto(live_server.url + "/admin/signatories/signatory/")
    expect(
        page.get_by_role("heading", name="Moderation queue: awaiting a decision")
    ).to_be_visible()
    validated("moderation queue")
    keep_screenshot(page, "admin-moderation-queue")
    assert_every_column_shows(page)
    for name in ["Ada Lovelace", "Қанат Әбілов"]:
        page.get_by_role("row").filter(has_text=name).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Approve selected signatures")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved: 2 signatures.")
    page.get_by_role("row").filter(has_text="Spam Bot").get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Reject selected signatures")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("Rejected: 1 signature.")
    assert dict(Signatory.objects.values_list("name", "status")) == {
        "Ada Lovelace": "approved",
        "Қанат Әбілов": "approved",
        "Spam Bot": "rejected",
        "Owen Jones": "approved",
    }
    # A search looks across every status, and says so.
    page.get_by_role("textbox", name="Search").fill("Spam")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".search-scope")).to_contain_text("Searching all signatures")
    expect(page.locator("#result_list")).to_contain_text("Spam Bot")
    validated("search in all signatures")

    # Type in ten paper rows: one already on the letter, one in capitals, one ticked for updates.
    page.goto(live_server.url + f"/admin/letters/letter/{letter.pk}/change/")
    page.get_by_role("link", name="Type in paper sign-ups").click()
    validated("paper typing page")
    typed = [
        ("MARY O'BRIEN", "Unite", "", False),
        ("Owen Jones", "Columnist", "", False),
        ("Dana Ali", "GMB", "dana@example.net", True),
        *((f"Paper Person{n}", "RMT", "", False) for n in range(4, 11)),
    ]
    page.get_by_label("Sheet ID").fill("L1-0001")
    for row, (name, affiliation, email, updates) in enumerate(typed, start=1):
        page.get_by_label(f"Name, row {row}", exact=True).fill(name)
        page.get_by_label(f"Organisation or title, row {row}", exact=True).fill(affiliation)
        page.get_by_label(f"E-mail, row {row}", exact=True).fill(email)
        if updates:
            page.get_by_label(f"Updates ticked, row {row}", exact=True).check()
    page.get_by_role("button", name="Check these names").click()
    outcomes = page.locator("td.outcome")
    expect(outcomes.nth(0)).to_contain_text("As Mary O'Brien")
    expect(outcomes.nth(1)).to_contain_text("Likely already on the letter")
    expect(outcomes.nth(1)).to_contain_text("Owen Jones (columnist)")
    assert Signatory.objects.filter(source="paper").count() == 0  # a preview adds nothing
    validated("paper typing preview")
    keep_screenshot(page, "admin-paper-entry")
    page.get_by_role("button", name="Add 9 names").click()
    expect(page.locator(".messagelist")).to_contain_text("Paper sign-ups: 9 added, 1 skipped")
    paper = Signatory.objects.filter(source="paper")
    assert paper.count() == 9
    assert paper.filter(name="Mary O'Brien", affiliation="Unite").exists()
    assert list(paper.filter(consents_to_updates=True).values_list("email", flat=True)) == [
        "dana@example.net"
    ]
    assert set(paper.values_list("paper_sheet", flat=True)) == {"L1-0001"}
    assert Signatory.objects.filter(name="Owen Jones").count() == 1

    # Import a CSV from Excel (a byte order mark), with a bad row and a name in capitals.
    page.goto(live_server.url + f"/admin/letters/letter/{letter.pk}/change/")
    page.get_by_role("link", name="Import CSV").click()
    validated("CSV import page")
    content = (
        "\ufeffname,organisation,email,kind,updates\n"
        "Иван Петров,КТР,ivan@example.org,,yes\n"
        "GALYM AGELEUOV,,,,\n"
        "Robot,,,person,\n"
        "dana ali,gmb,,,\n"
        "Ivan Somebody,,IVAN@example.org,,\n"
    ).encode()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "sheet.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Preview")).to_contain_text(
        "2 rows ready, 2 already on the letter, 1 refused"
    )
    rows = page.locator("table.paper-rows tbody tr")
    expect(rows.nth(1)).to_contain_text("As Galym Ageleuov")
    expect(rows.nth(2)).to_contain_text("is not a kind of signatory")
    expect(rows.nth(3)).to_contain_text("Likely already on the letter")
    # One signature per address: the second row giving Иван's is skipped, and says why.
    expect(rows.nth(4)).to_contain_text("Skipped: the same e-mail as line 2 above")
    keep_screenshot(page, "admin-import-preview")
    validated("CSV import preview")
    page.get_by_role("button", name="Import 2 rows and any you tick").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Imported “sheet.csv”: 2 added, 2 skipped as already on the letter, 1 refused "
        "(1 of the skipped repeat the e-mail of an earlier row; 1 of the skipped look like"
    )
    assert not Signatory.objects.filter(name="Ivan Somebody").exists()
    assert Signatory.objects.filter(name="Galym Ageleuov").exists()
    assert Signatory.objects.get(name="Иван Петров").consents_to_updates

    # The letter page: counts in words, and the PDF and the contacts as files.
    expect(page.locator(".lifecycle")).to_contain_text("14 on the list: 14 approved.")
    validated("letter page, open")
    page.get_by_role("link", name="Signed letter (PDF)").click()
    expect(page.locator(".signed-pdf").first).to_contain_text("None made yet.")
    validated("signed letter page, none made")
    page.get_by_role("button", name="Make the PDF").first.click()  # made at once: immediate tasks
    expect(page.locator(".signed-pdf").first).to_contain_text("Ready: 14 signatures on 1 page")
    validated("signed letter page, ready")
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Download the PDF").click()
    pdf_path = tmp_path / "signed.pdf"
    pdf.value.save_as(pdf_path)
    assert_printable_pdf(pdf_path, ["Mary O'Brien (Unite)", "Иван Петров (КТР)", "Қанат Әбілов"])
    page.get_by_role("link", name="Back to the letter").click()
    with page.expect_download() as contacts:
        page.get_by_role("link", name="Contacts (CSV)").click()
    lines = list(csv.DictReader(io.StringIO(Path(contacts.value.path()).read_text("utf-8-sig"))))
    assert {line["name"] for line in lines} >= {"Dana Ali", "Иван Петров", "Owen Jones"}
    assert "Spam Bot" not in {line["name"] for line in lines}  # rejected: not the live list
    assert {"status", "on_public_list", "consents_to_updates"} <= set(lines[0])

    # Close, then mark delivered through its own page.
    page.get_by_role("button", name="Close to new signatures").click()
    expect(page.locator(".messagelist")).to_contain_text("The letter is now closed.")
    letter.refresh_from_db()
    assert letter.status == Letter.Status.CLOSED
    validated("letter page, closed")
    keep_screenshot(page, "admin-letter-lifecycle")
    page.get_by_role("link", name="Mark as delivered…").click()
    expect(page.locator(".frozen-summary")).to_contain_text("Ready: 14 signatures on 1 page")
    expect(page.get_by_label("Place")).to_have_value(
        letter.hand_in_event.place + ", " + letter.hand_in_event.address
    )
    validated("delivery page")
    yesterday = timezone.localtime() - timedelta(days=1)
    page.get_by_label("Handed in at").fill(f"{yesterday:%Y-%m-%d}T11:30")
    page.get_by_label("Handed in by").fill("A delegation of Unite and the RMT")
    page.get_by_label("Note").fill("Received at the front gate by a duty officer.")
    page.get_by_role("button", name="Freeze and mark as delivered").click()
    expect(page.locator(".errorlist")).to_contain_text("Tick this box to freeze the letter")
    assert not Delivery.objects.exists()
    validated("delivery page, not confirmed")
    page.get_by_label("I have looked at the PDF").check()
    keep_screenshot(page, "admin-delivery-confirmation")
    page.get_by_role("button", name="Freeze and mark as delivered").click()
    expect(page.locator(".messagelist")).to_contain_text("is delivered: 14 signatures frozen")
    delivery = Delivery.objects.get()
    assert (delivery.handed_in_by, delivery.signature_count) == (
        "A delegation of Unite and the RMT",
        14,
    )
    assert timezone.localtime(delivery.handed_in_at).strftime("%Y-%m-%d %H:%M") == (
        f"{yesterday:%Y-%m-%d} 11:30"
    )
    assert delivery.recorded_by.username == "organiser"
    assert delivery.note == "Received at the front gate by a duty officer."
    expect(page.locator(".lifecycle")).to_contain_text(
        f"handed in on {yesterday.day} {yesterday:%B %Y}, 11:30"
    )
    validated("letter page, delivered")

    # The public page says so, on a phone.
    phone = browser.new_context(**PHONE)
    public = phone.new_page()
    public.goto(live_server.url + letter.get_absolute_url())
    expect(public.get_by_text("It was handed in on")).to_be_visible()
    expect(public.locator("main")).to_contain_text(f"{yesterday.day} {yesterday:%B %Y}")
    phone.close()


def test_the_queue_of_two_letters_shows_every_column_at_1280_pixels(
    page, live_server, staff, campaign_letter, validated
):
    second = LetterFactory(
        campaign=campaign_letter.campaign, title="Open letter to the Kazakh ambassador"
    )
    SignatoryFactory(
        letter=second,
        name="Айгүл Қасымқызы Нұрмағанбетова",
        affiliation="member of Unite, in personal capacity",
        email="aigul.nurmaganbetova@example.kz",
        status="pending",
    )
    staff("organiser", "Organisers")
    log_in(page, live_server, "organiser")
    page.goto(live_server.url + "/admin/signatories/signatory/")
    expect(page.get_by_role("columnheader", name="Letter")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Email")).to_be_visible()
    # Awaiting a decision means confirmed: no column of ticks in the work view.
    expect(page.get_by_role("columnheader", name="Confirmed")).to_have_count(0)
    assert_every_column_shows(page)
    validated("moderation queue, two letters")
    row = page.get_by_role("row").filter(has_text="Нұрмағанбетова")
    expect(row).to_contain_text("Open letter to the Kazakh ambassador")

    # Every signature: confirmed or not is worth a column again.
    page.locator("#changelist-filter").get_by_role("link", name="All", exact=True).first.click()
    expect(page.get_by_role("heading", name="All signatures")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Confirmed")).to_be_visible()


def test_a_moderator_decides_and_never_sees_an_address(
    page, live_server, staff, campaign_letter, validated
):
    letter = campaign_letter
    letter.status = Letter.Status.OPEN
    letter.save()
    staff("moderator", "Moderators")
    log_in(page, live_server, "moderator")
    validated("admin index (moderator)")
    assert "@example" not in page.content()

    page.locator("#signatories-signatory").get_by_role("link", name="Signatories").click()
    validated("moderation queue (moderator)")
    assert "@example" not in page.content()
    page.get_by_role("row").filter(has_text="Ada Lovelace").get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Approve selected signatures")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved: 1 signature.")
    assert Signatory.objects.get(name="Ada Lovelace").status == "approved"

    page.get_by_role("link", name="Қанат Әбілов").click()
    validated("a signature (moderator)")
    assert "@example" not in page.content()
    page.goto(live_server.url + f"/admin/letters/letter/{letter.pk}/change/")
    validated("letter page (moderator)")
    content = page.content()
    assert "@example" not in content
    assert "Contacts (CSV)" not in content and "Type in paper sign-ups" not in content
    expect(page.get_by_role("button", name="Close to new signatures")).to_have_count(0)


def test_a_big_letters_pdf_is_made_by_a_worker_while_the_page_waits_and_refreshes(
    page, live_server, staff, campaign_letter, validated, database_tasks, tmp_path
):
    """As in production: the button queues the PDF, the page says it waits for a worker and
    reloads itself; once a worker has made it, the same page offers the download."""
    from tests.smtp import run_worker

    letter = campaign_letter
    staff("organiser", "Organisers")
    log_in(page, live_server, "organiser")
    page.goto(live_server.url + f"/admin/letters/letter/{letter.pk}/signed-letter/")
    page.get_by_role("button", name="Make the PDF").first.click()
    expect(page.locator(".messagelist")).to_contain_text("The PDF is being made")
    expect(page.locator(".signed-pdf").first).to_contain_text("Waiting for a worker since")
    validated("signed letter page, waiting for a worker")
    keep_screenshot(page, "admin-signed-pdf-waiting")

    # A worker has started and said how far it has come: the page shows it without a click.
    from django.core.cache import cache

    from letters.models import SignedPdf

    signed = SignedPdf.objects.get(letter=letter)
    SignedPdf.objects.filter(pk=signed.pk).update(state="making")
    cache.set(signed.progress_key, (5000, 12000))
    status = page.locator(".signed-pdf").first.get_by_role("status")
    expect(status).to_have_text("Being made: 5,000 of 12,000 names laid out.")
    expect(page.locator(".signed-pdf progress").first).to_have_attribute("value", "5000")
    keep_screenshot(page, "admin-signed-pdf-progress")
    SignedPdf.objects.filter(pk=signed.pk).update(state="queued")

    run_worker()  # a worker takes the task

    # No click: the page's script asks how far it has come, and shows it once it is ready.
    expect(page.locator(".signed-pdf").first).to_contain_text(
        "Ready: 1 signature on 1 page", timeout=10_000
    )
    expect(page.locator("[data-progress-url]")).to_have_count(0)
    validated("signed letter page, ready after the worker")
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Download the PDF").click()
    path = tmp_path / "signed.pdf"
    pdf.value.save_as(path)
    assert_printable_pdf(path, ["Owen Jones (columnist)"])


def test_a_long_lists_contacts_are_written_by_a_worker_then_downloaded(
    page, live_server, staff, campaign_letter, validated, database_tasks, settings, tmp_path
):
    """From the letter's page, the Contacts (CSV) link of a list too long for a request leads
    to a page that asks a worker for it, shows how far it has come, then its download."""
    from django.core.cache import cache

    from letters.models import ContactsExport
    from teams.models import ContactView
    from tests.smtp import run_worker

    settings.CONTACTS_CSV_DIRECT_ROWS = 1
    letter = campaign_letter
    SignatoryFactory(letter=letter, name="Жанар Қасымова", email="zhanar@example.kz")
    staff("organiser", "Organisers")
    log_in(page, live_server, "organiser")
    page.goto(live_server.url + f"/admin/letters/letter/{letter.pk}/change/")
    page.get_by_role("link", name="Contacts (CSV)").click()
    expect(page.locator("h1")).to_have_text(f"Contacts CSV: {letter}")
    expect(page.locator(".signed-pdf")).to_contain_text("None written yet.")
    page.get_by_role("button", name="Write the CSV").click()
    expect(page.locator(".messagelist")).to_contain_text("A new CSV of the list as it is now")
    expect(page.locator(".signed-pdf")).to_contain_text("Waiting for a worker since")
    validated("contacts CSV page, waiting for a worker")

    export = ContactsExport.objects.get(letter=letter)
    ContactsExport.objects.filter(pk=export.pk).update(state="making")
    cache.set(export.progress_key, (5000, 12000))
    expect(page.locator(".signed-pdf").get_by_role("status")).to_have_text(
        "Being written: 5,000 of 12,000 rows."
    )
    expect(page.locator(".signed-pdf progress")).to_have_attribute("value", "5000")
    keep_screenshot(page, "admin-contacts-export-progress")
    ContactsExport.objects.filter(pk=export.pk).update(state="queued")

    run_worker()
    expect(page.locator(".signed-pdf")).to_contain_text("e-mail address", timeout=10_000)
    expect(page.locator("[data-progress-url]")).to_have_count(0)
    validated("contacts CSV page, ready")
    keep_screenshot(page, "admin-contacts-export-ready")
    assert not ContactView.objects.exists()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the CSV").click()
    path = tmp_path / "contacts.csv"
    download.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert ["Жанар Қасымова", "zhanar@example.kz"] in [[row[0], row[2]] for row in rows]
    live = Signatory.objects.filter(letter=letter).live().exclude(email="").count()
    assert ContactView.objects.get().addresses == live == len(rows) - 1
