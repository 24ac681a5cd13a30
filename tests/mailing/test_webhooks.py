"""Mailgun's signed delivery events, end to end: a hard bounce or a complaint suppresses the
address, and no later mail goes to it; anything unsigned or forged is refused and changes nothing.

The payloads are Mailgun's own shape, signed the way Mailgun signs them (tests/mailing/mailgun.py),
and go through django-anymail's real Mailgun webhook view.
"""

import logging

import pytest
from django.db import connection

from letters.models import RecipientStatus, Update, UpdateRecipient
from letters.services.updates import update_send
from mailing.models import Suppression
from mailing.suppression import address_hash, is_suppressed
from signatories.models import Signatory
from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import sign
from tests.mailing import mailgun

pytestmark = pytest.mark.django_db

ADDRESS = "Zhanaozen.Striker@oil-workers.kz"
# The address and every piece of it a careless column could hold.
PIECES = ["zhanaozen.striker@oil-workers.kz", "zhanaozen.striker", "zhanaozen", "oil-workers"]


@pytest.fixture
def mailgun_on(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": mailgun.SIGNING_KEY}


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    return caplog


def sent_to(mailoutbox, address):
    return [m for m in mailoutbox if address.lower() in (to.lower() for to in m.to)]


def every_stored_value():
    """Every column of every row of the suppression table, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Suppression._meta.db_table}")  # noqa: S608
        return [str(value).lower() for row in cursor.fetchall() for value in row]


@pytest.mark.parametrize(
    ("event", "reason"), [(mailgun.hard_bounce, "bounced"), (mailgun.complaint, "complained")]
)
def test_a_signed_hard_bounce_or_complaint_suppresses_the_address(
    client, mailgun_on, event, reason, logs
):
    body = mailgun.payload(event(ADDRESS))
    response = mailgun.post(client, body)

    assert response.status_code == 200
    row = Suppression.objects.get()
    assert row.reason == reason
    assert row.provider == "mailgun"
    assert row.event_id  # Mailgun's token for the event: no address in it
    assert row.email_hash == address_hash(ADDRESS)
    assert is_suppressed(ADDRESS) and is_suppressed(ADDRESS.upper())
    assert "zhanaozen" not in logs.text.lower()


def test_the_suppression_table_holds_no_address_nor_any_piece_of_one(client, mailgun_on):
    mailgun.post(client, mailgun.payload(mailgun.hard_bounce(ADDRESS)))
    mailgun.post(client, mailgun.payload(mailgun.complaint("second.signer@unite.org.uk")))

    values = every_stored_value()
    assert len(Suppression.objects.all()) == 2
    for piece in [*PIECES, "second.signer", "unite.org.uk"]:
        assert not any(piece in value for value in values), piece


def test_no_later_mail_goes_to_a_bounced_address(client, mailgun_on, on_commit, mailoutbox, logs):
    """A confirmation to it is settled as not owed, and nothing is sent to it, ever."""
    first = LetterFactory(status="open")
    sign(first, on_commit, email=ADDRESS)
    assert len(sent_to(mailoutbox, ADDRESS)) == 1  # the confirmation, before it bounced

    assert mailgun.post(client, mailgun.payload(mailgun.hard_bounce(ADDRESS))).status_code == 200

    second = LetterFactory(status="open")
    sign(second, on_commit, email=ADDRESS)  # a confirmation owed, on another letter
    sign(second, on_commit, email="someone.else@example.net")
    assert len(sent_to(mailoutbox, ADDRESS)) == 1
    assert len(sent_to(mailoutbox, "someone.else@example.net")) == 1
    row = Signatory.objects.get(letter=second, email_hash=address_hash(ADDRESS))
    assert row.confirmation_due_at is None  # settled: not retried
    assert row.confirmation_sent_at is None  # and not recorded as sent
    assert "Did not send confirmations mail" in logs.text
    assert "zhanaozen" not in logs.text.lower()


def test_no_update_copy_goes_to_an_address_that_complained(
    client, mailgun_on, on_commit, mailoutbox
):
    letter = LetterFactory(status="open")
    complained = SignatoryFactory(letter=letter, email=ADDRESS, consents_to_updates=True)
    other = SignatoryFactory(letter=letter, email="stays@example.net", consents_to_updates=True)
    assert mailgun.post(client, mailgun.payload(mailgun.complaint(ADDRESS))).status_code == 200

    update = Update.objects.create(letter=letter, subject="Handed in", body="News.")
    with on_commit():
        update_send(update=update)

    assert sent_to(mailoutbox, ADDRESS) == []
    assert len(sent_to(mailoutbox, "stays@example.net")) == 1
    statuses = dict(UpdateRecipient.objects.values_list("signatory_id", "status"))
    assert statuses == {complained.pk: RecipientStatus.CANCELLED, other.pk: RecipientStatus.SENT}
    assert not UpdateRecipient.objects.exclude(due_at=None).exists()  # nothing left owed


@pytest.mark.parametrize("event", [mailgun.soft_bounce, mailgun.delivered])
def test_a_soft_bounce_or_a_delivery_suppresses_nothing(client, mailgun_on, event):
    response = mailgun.post(client, mailgun.payload(event(ADDRESS)))

    assert response.status_code == 200
    assert not Suppression.objects.exists()
    assert not is_suppressed(ADDRESS)


def test_a_replayed_event_changes_nothing(client, mailgun_on):
    body = mailgun.payload(mailgun.hard_bounce(ADDRESS))
    assert mailgun.post(client, body).status_code == 200
    before = list(Suppression.objects.values())

    assert mailgun.post(client, body).status_code == 200
    # A complaint after the bounce: the address is on the list already, as it was.
    assert mailgun.post(client, mailgun.payload(mailgun.complaint(ADDRESS))).status_code == 200
    assert list(Suppression.objects.values()) == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(mailgun.payload(mailgun.hard_bounce(ADDRESS), sign=False), id="unsigned"),
        pytest.param(
            mailgun.payload(mailgun.hard_bounce(ADDRESS), key="key-not-ours"), id="wrong-key"
        ),
        pytest.param(
            mailgun.payload(mailgun.complaint(ADDRESS)).replace(
                '"signature": "', '"signature": "0'
            ),
            id="tampered-signature",
        ),
        pytest.param("not json at all", id="not-json"),
        pytest.param('{"signature": {"token": "x"}}', id="signature-incomplete"),
    ],
)
def test_an_unsigned_or_forged_event_is_refused_and_changes_nothing(client, mailgun_on, body):
    response = mailgun.post(client, body)

    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_a_signed_event_in_a_shape_not_understood_is_a_400_not_a_500(client, mailgun_on):
    body = mailgun.payload({"recipient": ADDRESS})  # signed, but no "event"
    assert mailgun.post(client, body).status_code == 400
    assert not Suppression.objects.exists()


def test_the_basic_auth_secret_is_asked_too_when_set(client, settings):
    settings.ANYMAIL = {
        "MAILGUN_WEBHOOK_SIGNING_KEY": mailgun.SIGNING_KEY,
        "WEBHOOK_SECRET": ["mailgun:a-long-random-password"],
    }
    body = mailgun.payload(mailgun.hard_bounce(ADDRESS))
    assert mailgun.post(client, body).status_code == 400
    assert not Suppression.objects.exists()

    import base64

    auth = base64.b64encode(b"mailgun:a-long-random-password").decode()
    assert mailgun.post(client, body, HTTP_AUTHORIZATION=f"Basic {auth}").status_code == 200
    assert is_suppressed(ADDRESS)


def test_without_a_signing_key_the_url_refuses_everything(client, settings, on_commit, mailoutbox):
    """Plain SMTP, no provider set up (the default): the URL is a 404 and mail goes as ever."""
    settings.ANYMAIL = {}
    response = mailgun.post(client, mailgun.payload(mailgun.hard_bounce(ADDRESS)))

    assert response.status_code == 404
    assert not Suppression.objects.exists()
    sign(LetterFactory(status="open"), on_commit, email=ADDRESS)
    assert len(sent_to(mailoutbox, ADDRESS)) == 1


def test_only_post_is_taken(client, mailgun_on):
    from django.urls import reverse

    assert client.get(reverse("mailing:mailgun_events")).status_code == 405


def test_a_signed_request_sent_again_with_another_recipient_is_not_read(client, mailgun_on):
    """The signature covers the timestamp and token only: a captured request, its body
    changed, must not take another supporter off our mail."""
    block = mailgun.signature()
    first = mailgun.payload(mailgun.hard_bounce("bounced@example.net"), block=block)
    assert mailgun.post(client, first).status_code == 200
    replayed = mailgun.payload(mailgun.hard_bounce(ADDRESS), block=block)
    response = mailgun.post(client, replayed)

    assert response.status_code == 200  # Mailgun must not retry it
    assert is_suppressed("bounced@example.net")
    assert not is_suppressed(ADDRESS)


def test_an_event_signed_long_ago_is_not_read(client, mailgun_on, settings):
    old = mailgun.signature(timestamp=1_600_000_000)
    response = mailgun.post(client, mailgun.payload(mailgun.hard_bounce(ADDRESS), block=old))
    assert response.status_code == 200
    assert not is_suppressed(ADDRESS)


def test_an_event_that_could_not_be_recorded_is_read_when_mailgun_sends_it_again(
    client, mailgun_on, monkeypatch
):
    from django.db import OperationalError

    from mailing import webhooks

    block = mailgun.signature()
    body = mailgun.payload(mailgun.hard_bounce(ADDRESS), block=block)

    def database_away(*args, **kwargs):
        raise OperationalError("the database is restarting")

    with monkeypatch.context() as patched:
        patched.setattr(webhooks, "suppress", database_away)
        client.raise_request_exception = False
        assert mailgun.post(client, body).status_code >= 500
    assert not is_suppressed(ADDRESS)

    assert mailgun.post(client, body).status_code == 200  # Mailgun's retry, same token
    assert is_suppressed(ADDRESS)
