"""Mail through a real SMTP server (aiosmtpd) that is up, goes down and comes back.

Other tests swap the mail backend for one in memory. These talk SMTP over a
socket, so a refused connection, a retry and a resend are the ones production
would see: a signature must survive a mail outage, no log line may name the
signer, and the mail must arrive exactly once when the server is back.
"""

import email
import email.policy
import email.utils
import io
import logging
import socket
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone

from signatories.models import Signatory
from tests.helpers import link_path, sign_data, sign_url


@dataclass(frozen=True)
class Delivery:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: list
    content: bytes

    @property
    def body(self):
        """The text a reader sees: quoted-printable and soft line breaks decoded."""
        message = email.message_from_bytes(self.content, policy=email.policy.default)
        return message.get_body(preferencelist=("plain",)).get_content()


class RecordingHandler:
    """An aiosmtpd handler that accepts every message and keeps its envelope."""

    def __init__(self):
        self.deliveries = []

    async def handle_DATA(self, server, session, envelope):
        self.deliveries.append(
            Delivery(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


class SMTPServer:
    """A mail server on one fixed port that a test can stop and start again.

    Every start makes a new Controller on the same port, as a restarted server
    would be; deliveries are counted across restarts.
    """

    def __init__(self, port):
        self.port = port
        self.handler = RecordingHandler()
        self.controller = None

    @property
    def deliveries(self):
        return self.handler.deliveries

    def start(self):
        assert self.controller is None, "already running"
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A stopped SMTP server, and the site set to send through it; always stopped after."""
    server = SMTPServer(free_port())
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
        }
    }
    try:
        yield server
    finally:
        server.stop()


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


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())


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

    assert client.get(link_path(delivery, "confirm")).status_code == 200
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
    assert "MailNotSent" in all_logs.text  # the task's traceback was heard, too
    assert "outage@" not in all_logs.text.lower()  # caplog.text includes tracebacks

    smtp.start()  # a new server on the same port
    out = io.StringIO()
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
    assert first.status == "FAILED"
    assert first.exception_class_path == "signatories.tasks.MailNotSent"
    assert "retry@" not in first.traceback  # the queue table keeps no address
    retry = DBTaskResult.objects.exclude(pk=first.pk).get()
    assert retry.status == "READY"
    assert retry.task_path == "signatories.tasks.send_confirmation_email"
    assert retry.args_kwargs["args"][:2] == [signatory.pk, 2]  # then when it was asked for
    assert before + timedelta(seconds=60) <= retry.run_after <= after + timedelta(seconds=60)
    assert smtp.deliveries == []

    smtp.start()
    run_worker()  # not due yet: nothing happens
    assert smtp.deliveries == []

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now() - timedelta(seconds=1))
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
