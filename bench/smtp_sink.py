"""A local SMTP server for the load bench: accepts every message, writes one line per recipient.

Run as `python bench/smtp_sink.py PORT OUTFILE`. Each line: recipient, the
kind of mail (a confirmation or other), the confirmation link if the body
holds one, and when the message was accepted (Unix time).
"""

import email
import email.policy
import re
import sys
import time

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+/s/confirm/\S+/")


class Sink:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",)).get_content()
        link = LINK.search(body)
        kind = "confirm" if str(message["Subject"]).startswith("Please confirm") else "other"
        for rcpt in envelope.rcpt_tos:
            link_text = link.group(0) if link else "-"
            self.out.write(f"{rcpt}\t{kind}\t{link_text}\t{time.time():.3f}\n")
        self.out.flush()
        return "250 OK"


if __name__ == "__main__":
    port, path = int(sys.argv[1]), sys.argv[2]
    with open(path, "a", encoding="utf-8") as out:
        controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            while True:
                time.sleep(3600)
        finally:
            controller.stop()
