"""Mail through a real SMTP server (aiosmtpd) that is up, goes down and comes back.

Other tests swap the mail backend for one in memory. These talk SMTP over a
socket, so a refused connection, a retry and a resend are the ones production
would see: a signature must survive a mail outage, no log line may name the
signer, and the mail must arrive exactly once when the server is back. The last
test stands in a backend that refuses the recipient, quoting the address.
"""

import email
import email.policy
import email.utils
import io
import logging
import re
import smtplib
from datetime import timedelta

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.utils import timezone

from signatories.models import Signatory
from tests.helpers import link_path, sign_data, sign_url
from tests.smtp import run_worker


@pytest.fixture
def all_logs(caplog):
    """caplog at DEBUG everywhere, "django.*" included (LOGGING holds it at INFO).

    django.tasks is where a failed task's traceback is logged. The test's SMTP
    server (aiosmtpd's "mail.log") logs every envelope: it stands for the mail
    provider, not the site, so only its warnings are kept.
    """
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    caplog.set_level(logging.WARNING, logger="mail.log")
    return caplog


def test_signing_sends_the_confirmation_through_smtp(client, letter, on_commit, smtp, settings):
    """The real wire path: one message, to the signer, with a link that works once decoded."""
    smtp.start()
    with on_commit():
        response = client.post(sign_url(letter), sign_data(email="wire@example.net"))

    assert response.status_code == 302
    assert len(smtp.deliveries) == 1
    delivery = smtp.deliveries[0]
    assert delivery.rcpt_tos == ["wire@example.net"]
    assert delivery.mail_from == email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    assert "/s/confirm/" in delivery.body

    assert client.post(link_path(delivery, "confirm")).status_code == 200
    assert Signatory.objects.get().confirmed_at is not None


def test_a_mail_outage_keeps_the_signature_and_a_resend_delivers_once(
    client, letter, on_commit, smtp, all_logs
):
    """With the server down the signer still gets the usual page and the name is kept;
    the failure is logged without the address; resend_confirmations mails it once the
    server is back."""
    smtp.start()
    smtp.stop()  # the mail server goes down

    with on_commit():
        response = client.post(sign_url(letter), sign_data(email="outage@example.net"))

    assert response.status_code == 302
    signatory = Signatory.objects.get()
    assert signatory.email == "outage@example.net"
    assert signatory.status == Signatory.Status.PENDING
    assert signatory.confirmed_at is None
    assert signatory.withdrawn_at is None
    assert smtp.deliveries == []
    assert "Could not send confirm mail" in all_logs.text
    assert "outage@" not in all_logs.text.lower()  # caplog.text includes tracebacks

    smtp.start()  # a new server on the same port
    out = io.StringIO()
    with on_commit():  # as the command's own connection would commit
        call_command("resend_confirmations", "--older-than-minutes", "0", stdout=out)

    assert "Queued 1 confirmation mail(s)." in out.getvalue()
    assert [d.rcpt_tos for d in smtp.deliveries] == [["outage@example.net"]]
    assert "/s/confirm/" in smtp.deliveries[0].body
    assert Signatory.objects.get().confirmed_at is None  # a mail confirms nothing by itself
    assert "outage@" not in all_logs.text.lower()


@pytest.mark.django_db(transaction=True)
def test_the_worker_retries_a_failed_mail_later_and_sends_it_once(
    client, letter, smtp, database_tasks
):
    """On the database queue a failed mail is queued again with a backoff, not lost,
    and the retry sends it exactly once when the server is back."""
    from django_tasks_db.models import DBTaskResult

    response = client.post(sign_url(letter), sign_data(email="retry@example.net"))
    assert response.status_code == 302
    signatory = Signatory.objects.get()
    first = DBTaskResult.objects.get()

    before = timezone.now()
    run_worker()  # the server is down
    after = timezone.now()

    first.refresh_from_db()
    # The drain sends what it can; a failed mail comes due again a minute later,
    # and a drain is queued for that moment.
    assert first.task_path == "mailing.tasks.drain_outbox"
    assert first.status == "SUCCESSFUL"
    retry = DBTaskResult.objects.exclude(pk=first.pk).get()
    assert retry.status == "READY"
    assert retry.task_path == "mailing.tasks.drain_outbox"
    assert retry.args_kwargs["args"] == ["confirmations"]
    signatory.refresh_from_db()
    assert signatory.confirmation_attempts == 1  # the first try, failed
    assert retry.run_after == signatory.confirmation_due_at
    assert before + timedelta(seconds=60) <= retry.run_after <= after + timedelta(seconds=60)
    assert smtp.deliveries == []

    smtp.start()
    run_worker()  # not due yet: nothing happens
    assert smtp.deliveries == []

    a_minute_later = timezone.now() - timedelta(seconds=1)
    Signatory.objects.update(confirmation_due_at=a_minute_later)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=a_minute_later)
    run_worker()

    assert [d.rcpt_tos for d in smtp.deliveries] == [["retry@example.net"]]
    retry.refresh_from_db()
    assert retry.status == "SUCCESSFUL"
    assert DBTaskResult.objects.count() == 2  # no further retry queued

    run_worker()
    assert len(smtp.deliveries) == 1
    assert Signatory.objects.get().confirmed_at is None


@pytest.mark.django_db(transaction=True)
def test_a_resend_while_a_retry_waits_sends_one_mail_not_two(client, letter, smtp, database_tasks):
    """After an outage, organisers run resend_confirmations while retries still wait
    in the queue: the person gets one confirmation, not one from each."""
    from django_tasks_db.models import DBTaskResult

    client.post(sign_url(letter), sign_data(email="twice@example.net"))
    run_worker()  # the server is down: a retry waits a minute

    smtp.start()
    call_command("resend_confirmations", "--older-than-minutes", "0", stdout=io.StringIO())
    run_worker()
    assert len(smtp.deliveries) == 1

    DBTaskResult.objects.filter(status="READY").update(
        run_after=timezone.now() - timedelta(seconds=1)
    )
    run_worker()  # the old retry comes due, sees a mail went since it was asked for

    assert [d.rcpt_tos for d in smtp.deliveries] == [["twice@example.net"]]


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses the recipient, quoting the address as real ones do."""

    def send_messages(self, messages):
        address = messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused({address: (550, f"<{address}>: rejected".encode())})


@pytest.mark.django_db
def test_a_refused_recipient_keeps_the_signature_and_logs_no_address(
    client, letter, on_commit, settings, caplog
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    caplog.set_level(logging.DEBUG)
    with on_commit():
        response = client.post(sign_url(letter), sign_data(email="dissident@example.kz"))

    assert response.status_code == 302
    assert Signatory.objects.with_email("dissident@example.kz").exists()
    assert "dissident" not in caplog.text  # caplog.text includes tracebacks
    assert "Could not send confirm mail" in caplog.text


def strict(delivery):
    """The message as a strict parser reads the bytes the server received."""
    return email.message_from_bytes(delivery.content, policy=email.policy.strict)


def test_fifty_posts_for_one_address_send_at_most_one_notice(client, letter, on_commit, smtp):
    """From 50 client addresses, with fresh and reused form stamps: no flood of any inbox."""
    smtp.start()
    reused = sign_data(email="TARGET@example.net")
    statuses = []
    for n in range(50):
        data = reused if n % 2 else sign_data(email="target@example.net")
        with on_commit():
            response = client.post(sign_url(letter), data, REMOTE_ADDR=f"198.51.100.{n + 1}")
        statuses.append(response.status_code)

    subjects = [strict(d)["Subject"] for d in smtp.deliveries]
    assert all(d.rcpt_tos == ["target@example.net"] for d in smtp.deliveries)
    assert sum(s.startswith("Please confirm") for s in subjects) == 1
    assert sum(s.startswith("You have already signed") for s in subjects) <= 1
    assert statuses.count(409) == 24  # the reused stamp: taken once, refused after
    assert set(statuses) == {302, 409}
    assert Signatory.objects.count() == 1


@pytest.mark.django_db
def test_every_kind_of_mail_reads_as_strict_mail_with_plain_headers(
    client, on_commit, smtp, settings
):
    from letters.models import Update
    from letters.services.lifecycle import letter_transition
    from letters.services.updates import update_send
    from tests.factories import LetterFactory

    settings.SITE_URL = "https://letters.example.org"
    smtp.start()
    letter = LetterFactory(moderation="post", title="We're for Zhanaozen & its workers")
    with on_commit():
        client.post(sign_url(letter), sign_data(email="a@example.net", consents_to_updates="on"))
    with on_commit():
        client.post(sign_url(letter), sign_data(email="A@example.net"))  # already signed
    client.post(link_path(smtp.deliveries[0], "confirm"))
    with on_commit():
        client.post(sign_url(letter), sign_data(email="gone@example.net"))
    client.post(link_path(smtp.deliveries[-1], "withdraw"))
    with on_commit():
        client.post(sign_url(letter), sign_data(email="gone@example.net"))  # restore link
    update = Update.objects.create(letter=letter, subject="We're handing it in & more", body="x")
    with on_commit():
        update_send(update=update)
    letter_transition(letter=letter, to_status="closed")
    with on_commit():
        letter_transition(letter=letter, to_status="delivered")

    kinds, raw = {}, {}
    for delivery in smtp.deliveries:
        message = strict(delivery)  # raises on a malformed header
        subject = message["Subject"]
        assert "&#" not in subject and "&amp;" not in subject and "'" in subject
        assert message["Message-ID"].endswith("@letters.example.org>")
        kinds[subject.split(":")[0]] = message
        raw[subject.split(":")[0]] = delivery.content
    assert set(kinds) == {
        "Please confirm your signature",
        "You have already signed",
        "We're handing it in & more",
        "Your name was handed in",
    }
    for name in ["We're handing it in & more", "Your name was handed in"]:
        header = kinds[name]["List-Unsubscribe"]
        assert re.fullmatch(r"<https://letters\.example\.org/s/unsubscribe/[^>\s]+/>", header)
        headers = raw[name].split(b"\r\n\r\n")[0]
        assert b"List-Unsubscribe: <https://" in headers and b"=?" not in headers  # not encoded
        assert kinds[name]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    notices = [strict(d) for d in smtp.deliveries if d.rcpt_tos == ["gone@example.net"]]
    assert "/s/restore/" in notices[-1].get_body().get_content()
