"""A real SMTP server (aiosmtpd) on loopback, for tests that must see mail leave over a socket."""

import email
import email.policy
import io
import socket
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from django.core.management import call_command


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


def run_worker():
    """Run the database task worker until the queue holds nothing due."""
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())
