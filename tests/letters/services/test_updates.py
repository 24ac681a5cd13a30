"""Updates and delivery receipts, through a real SMTP server and the database task queue."""

import email
import email.policy
import io
import re

import pytest
from django.test import Client
from pypdf import PdfReader

from letters.models import Update, UpdateRecipient
from letters.selectors import signed_pdf_bytes
from letters.services.lifecycle import letter_transition
from letters.services.updates import update_send
from signatories import tokens
from tests.factories import LetterFactory, SignatoryFactory
from tests.smtp import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def message(delivery):
    return email.message_from_bytes(delivery.content, policy=email.policy.default)


def test_an_update_reaches_exactly_the_consenting_confirmed_signatories(
    audience, smtp, database_tasks
):
    letter, _people = audience
    update = Update.objects.create(letter=letter, subject="We hand it in on Monday", body="News.")
    smtp.start()

    assert update_send(update=update) == 2
    run_worker()

    assert sorted(d.rcpt_tos[0] for d in smtp.deliveries) == [
        "also@example.net",
        "wants@example.net",
    ]
    for delivery in smtp.deliveries:  # each copy names its own recipient and nobody else
        others = {"wants@example.net", "also@example.net"} - set(delivery.rcpt_tos)
        assert not any(other.encode() in delivery.content for other in others)
    mail = message(smtp.deliveries[0])
    assert mail["Subject"] == "We hand it in on Monday"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://[^>]+/s/unsubscribe/[^>]+/>", mail["List-Unsubscribe"])
    assert "News." in mail.get_body().get_content()

    assert update_send(update=update) == 0  # sending again sends nothing
    run_worker()
    assert len(smtp.deliveries) == 2


def test_one_click_unsubscribe_stops_the_next_update(client, audience, smtp, database_tasks):
    letter, _people = audience
    smtp.start()
    first = Update.objects.create(letter=letter, subject="First", body="One.")
    update_send(update=first)
    run_worker()
    wants_mail = next(d for d in smtp.deliveries if d.rcpt_tos == ["wants@example.net"])
    url = message(wants_mail)["List-Unsubscribe"].strip("<>")
    path = re.sub(r"^http://[^/]+", "", url)

    # RFC 8058: the mail client POSTs this body, with no cookie and no CSRF token.
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "no more updates" in response.content.decode()

    second = Update.objects.create(letter=letter, subject="Second", body="Two.")
    update_send(update=second)
    run_worker()
    second_to = [d.rcpt_tos[0] for d in smtp.deliveries if message(d)["Subject"] == "Second"]
    assert second_to == ["also@example.net"]


def test_the_unsubscribe_link_also_works_as_a_page(client, audience):
    _letter, people = audience
    path = f"/s/unsubscribe/{tokens.make_token(people['wants'], tokens.UNSUBSCRIBE)}/"
    assert "Stop updates about this letter?" in client.get(path).content.decode()
    people["wants"].refresh_from_db()
    assert people["wants"].consents_to_updates  # a GET changes nothing
    assert client.post(path).status_code == 200
    people["wants"].refresh_from_db()
    assert not people["wants"].consents_to_updates


def test_a_failed_batch_is_retried_without_doubling_mails(audience, smtp, database_tasks):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    letter, _people = audience
    update = Update.objects.create(letter=letter, subject="Retry", body="Again.")
    update_send(update=update)
    run_worker()  # the server is down: every copy fails, a retry is queued
    assert set(update.recipients.values_list("status", flat=True)) == {"failed"}

    smtp.start()
    # One copy goes out by other means first (an earlier partial batch, say).
    first = update.recipients.order_by("pk").first()
    UpdateRecipient.objects.filter(pk=first.pk).update(status="sent")
    update.recipients.update(due_at=timezone.now())  # the retry's wait is over
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_worker()

    assert len(smtp.deliveries) == 1  # only the copy still owed
    assert set(update.recipients.values_list("status", flat=True)) == {"sent"}
    run_worker()
    assert len(smtp.deliveries) == 1


def test_updates_are_published_on_the_letter_page(client, audience, smtp):
    letter, _ = audience
    smtp.start()
    update = Update.objects.create(letter=letter, subject="Handed in", body="It went well.")
    draft = Update.objects.create(letter=letter, subject="Not sent yet", body="Draft.")
    update_send(update=update)
    html = client.get(letter.get_absolute_url()).content.decode()
    assert "Handed in" in html and "It went well." in html
    assert draft.subject not in html


def test_the_receipt_names_the_page_of_the_stored_pdf(smtp, database_tasks):
    letter = LetterFactory(status="closed")
    first = SignatoryFactory(
        letter=letter, name="Aaron Abbott", consents_to_updates=True, email="first@example.net"
    )
    for i in range(300):
        SignatoryFactory(letter=letter, name=f"Middle Person{i:03d}", email=f"m{i}@example.net")
    last = SignatoryFactory(
        letter=letter, name="Zoe Zylberstein", consents_to_updates=True, email="last@example.net"
    )
    hidden = SignatoryFactory(
        letter=letter,
        name="Hidden Consenting",
        display="hidden",
        consents_to_updates=True,
        email="hidden@example.net",
    )
    smtp.start()

    letter_transition(letter=letter, to_status="delivered")
    run_worker()

    pages = PdfReader(io.BytesIO(delivered_pdf(letter))).pages
    received = {d.rcpt_tos[0]: message(d).get_body().get_content() for d in smtp.deliveries}
    assert set(received) == {"first@example.net", "last@example.net"}  # printed and consenting
    for signatory, address in [(first, "first@example.net"), (last, "last@example.net")]:
        page = int(re.search(r"page (\d+) of the letter", received[address]).group(1))
        assert signatory.name in pages[page - 1].extract_text()
    assert int(re.search(r"page (\d+)", received["first@example.net"]).group(1)) < len(pages)
    assert int(re.search(r"page (\d+)", received["last@example.net"]).group(1)) == len(pages)
    assert hidden.email not in received


def test_receipts_name_page_one_and_the_last_page_of_a_two_page_letter(smtp, database_tasks):
    """Up to 40 names follow the text on page 1 and run on: both ends checked in the stored PDF."""
    letter = LetterFactory(status="closed")
    names = [f"Signer{i:02d} Surname{i:02d}" for i in range(40)]
    signers = [
        SignatoryFactory(
            letter=letter,
            name=name,
            affiliation="member of Unite, personal capacity, " + "branch " * 6,
            email=f"s{i}@example.net",
            consents_to_updates=i in (0, 39),
        )
        for i, name in enumerate(names)
    ]
    smtp.start()

    letter_transition(letter=letter, to_status="delivered")
    run_worker()

    pages = PdfReader(io.BytesIO(delivered_pdf(letter))).pages
    assert len(pages) >= 2
    received = {d.rcpt_tos[0]: message(d).get_body().get_content() for d in smtp.deliveries}
    first = int(re.search(r"page (\d+) of the letter", received["s0@example.net"]).group(1))
    last = int(re.search(r"page (\d+) of the letter", received["s39@example.net"]).group(1))
    assert (first, last) == (1, len(pages))
    assert signers[0].name in pages[0].extract_text()
    assert signers[39].name in pages[-1].extract_text()


def test_signers_who_leave_after_queueing_are_not_mailed(audience, smtp, database_tasks):
    letter, people = audience
    update = Update.objects.create(letter=letter, subject="Later", body="x")
    update_send(update=update)
    people["wants"].withdrawn_at = "2026-02-01T00:00Z"
    people["wants"].save()
    people["also"].consents_to_updates = False
    people["also"].save()
    smtp.start()

    run_worker()

    assert smtp.deliveries == []
    assert set(update.recipients.values_list("status", flat=True)) == {"cancelled"}


def test_a_copy_another_worker_has_claimed_is_not_sent_again(audience, smtp, database_tasks):
    from django.utils import timezone

    from letters.outboxes import UPDATE_COPIES

    letter, _ = audience
    update = Update.objects.create(letter=letter, subject="Once", body="x")
    update_send(update=update)
    assert update.recipients.count() == 2
    [held] = UPDATE_COPIES.claim(1)  # worker A takes one copy...
    assert UPDATE_COPIES.claim(2) != [held]  # ...so worker B cannot take it too
    UpdateRecipient.objects.exclude(pk=held).update(due_at=timezone.now())  # B gave its one back
    smtp.start()

    run_worker()

    assert len(smtp.deliveries) == 1  # only the copy A does not hold
    copy = UpdateRecipient.objects.get(pk=held)
    assert copy.status == "queued" and copy.due_at > timezone.now()  # still A's, on a lease


def delivered_pdf(letter):
    letter.refresh_from_db()
    return b"".join(signed_pdf_bytes(letter.delivery.signed_pdf))
