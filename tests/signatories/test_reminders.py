"""One reminder to confirm, a stated number of hours after signing, and never a second."""

import email
import email.policy
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mailing.drain import outbox_drain
from mailing.worker import outboxes_sweep
from signatories import tokens
from signatories.models import Signatory
from signatories.outboxes import CONFIRMATIONS, REMINDERS
from signatories.services.links import signatory_erase
from signatories.services.retention import signatories_anonymise
from tests.factories import SignatoryFactory
from tests.helpers import link_path, sign_data, sign_url

pytestmark = pytest.mark.django_db


def signed(client, letter, on_commit, address, language="en"):
    """A web signature as a person makes it, in a language; its confirmation sent."""
    with on_commit():
        response = client.post(
            sign_url(letter), sign_data(email=address), HTTP_ACCEPT_LANGUAGE=language
        )
    assert response.status_code == 302
    row = Signatory.objects.order_by("-pk").first()
    outbox_drain(outbox=CONFIRMATIONS)
    return row


def come_due(*rows):
    """The hours pass: the reminders owed are due now."""
    Signatory.objects.filter(pk__in=[r.pk for r in rows]).update(
        reminder_due_at=timezone.now() - timedelta(seconds=1)
    )


def test_an_unconfirmed_signer_is_reminded_once_with_a_link_that_works(
    client, letter, on_commit, smtp, settings
):
    settings.UNCONFIRMED_REMINDER_HOURS = 24
    smtp.start()
    signer = signed(client, letter, on_commit, "late@example.net")
    assert len(smtp.deliveries) == 1  # the confirmation only
    assert signer.reminder_due_at == signer.created_at + timedelta(hours=24)
    assert not REMINDERS.has_due()  # not before its time

    come_due(signer)
    assert outboxes_sweep() == ["reminders"]  # the worker's sweep finds it and drains it
    assert len(smtp.deliveries) == 2
    reminder = smtp.deliveries[1]
    assert reminder.rcpt_tos == ["late@example.net"]
    message = email.message_from_bytes(reminder.content, policy=email.policy.strict)
    assert message["Subject"].startswith("Reminder: your signature is not confirmed yet:")
    body = message.get_body().get_content()
    assert "This is the only reminder we send." in body
    signer.refresh_from_db()
    assert signer.reminder_sent_at is not None and signer.reminder_due_at is None

    # Nothing more, however often the worker drains or sweeps.
    outbox_drain(outbox=REMINDERS)
    assert outboxes_sweep() == []
    assert len(smtp.deliveries) == 2
    # The fresh link in it confirms.
    assert client.post(link_path(reminder, "confirm")).status_code == 200
    signer.refresh_from_db()
    assert signer.confirmed_at is not None


def test_the_reminder_is_in_the_signers_language(client, letter, on_commit, smtp):
    smtp.start()
    signer = signed(client, letter, on_commit, "kz@example.kz", language="kk")
    assert signer.language == "kk"
    come_due(signer)
    outbox_drain(outbox=REMINDERS)
    message = email.message_from_bytes(smtp.deliveries[-1].content, policy=email.policy.strict)
    assert message["Subject"].startswith("Еске салу: қолыңыз әлі расталмаған:")
    assert "Бұл біз жіберетін жалғыз еске салу." in message.get_body().get_content()


def test_no_reminder_for_the_confirmed_withdrawn_erased_anonymised_or_a_closed_letter(
    client, letter, on_commit, smtp
):
    smtp.start()
    confirmed = signed(client, letter, on_commit, "confirmed@example.net")
    client.post(link_path(smtp.deliveries[-1], "confirm"))
    withdrawn = signed(client, letter, on_commit, "withdrawn@example.net")
    client.post(link_path(smtp.deliveries[-1], "withdraw"))
    erased = signed(client, letter, on_commit, "erased@example.net")
    signatory_erase(token=tokens.make_token(erased, tokens.ERASE))
    for row in (confirmed, withdrawn):
        row.refresh_from_db()
        assert row.reminder_due_at is None  # taken out of the outbox at once
    mails = len(smtp.deliveries)

    # Even if one were still owed, the drain checks again before it sends.
    come_due(confirmed, withdrawn)
    outbox_drain(outbox=REMINDERS)
    assert len(smtp.deliveries) == mails

    later = signed(client, letter, on_commit, "later@example.net")
    other = signed(client, letter, on_commit, "other@example.net")
    signatories_anonymise(letter=letter)  # after a hand-in: no address left to write to
    come_due(later, other)
    outbox_drain(outbox=REMINDERS)
    assert len(smtp.deliveries) == mails + 2  # their two confirmations, no reminder
    assert not Signatory.objects.filter(reminder_sent_at__isnull=False).exists()


def test_a_closed_letter_sends_no_reminder(client, letter, on_commit, smtp):
    from letters.services.lifecycle import letter_transition

    smtp.start()
    signer = signed(client, letter, on_commit, "closed@example.net")
    letter_transition(letter=letter, to_status="closed")
    come_due(signer)
    outbox_drain(outbox=REMINDERS)
    assert len(smtp.deliveries) == 1
    signer.refresh_from_db()
    assert (signer.reminder_sent_at, signer.reminder_due_at) == (None, None)


def test_signing_again_owes_no_second_reminder(client, letter, on_commit, smtp):
    smtp.start()
    signer = signed(client, letter, on_commit, "twice@example.net")
    come_due(signer)
    outbox_drain(outbox=REMINDERS)
    reminded = Signatory.objects.get(pk=signer.pk).reminder_sent_at
    with on_commit():
        client.post(sign_url(letter), sign_data(email="TWICE@example.net"))  # again
    signer.refresh_from_db()
    assert (signer.reminder_sent_at, signer.reminder_due_at) == (reminded, None)


def test_bots_paper_and_organisers_entries_owe_no_reminder(client, letter, on_commit):
    with on_commit():
        client.post(sign_url(letter), sign_data(email="bot@example.net", website="spam"))
    bot = Signatory.objects.get()
    assert bot.suspicion == "honeypot" and bot.reminder_due_at is None
    paper = SignatoryFactory(letter=letter, source="paper", confirmed_at=None)
    assert paper.reminder_due_at is None


def test_reminders_can_be_switched_off(client, letter, on_commit, settings):
    settings.UNCONFIRMED_REMINDER_HOURS = 0
    with on_commit():
        client.post(sign_url(letter), sign_data(email="off@example.net"))
    assert Signatory.objects.get().reminder_due_at is None


def test_the_letters_admin_page_counts_the_reminders_and_a_signature_shows_its_own(
    admin_client, letter
):
    now = timezone.now()
    reminded = SignatoryFactory.create_batch(3, letter=letter, confirmed_at=None)
    Signatory.objects.filter(pk__in=[r.pk for r in reminded]).update(reminder_sent_at=now)
    SignatoryFactory(letter=letter, confirmed_at=None)
    SignatoryFactory(confirmed_at=None, reminder_sent_at=now)  # another letter's
    html = admin_client.get(reverse("admin:letters_letter_change", args=[letter.pk])).content
    assert "3 reminded by e-mail to confirm (once each, 24 hours after signing)." in html.decode()
    page = admin_client.get(
        reverse("admin:signatories_signatory_change", args=[reminded[0].pk])
    ).content.decode()
    assert "Reminded at" in page
