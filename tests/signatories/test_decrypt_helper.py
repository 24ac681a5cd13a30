"""The helper process a big export decrypts in (signatories/decrypt_helper.py)."""

import os
import subprocess
import sys

from cryptography.fernet import Fernet

from signatories import decrypt_helper


def start(key):
    return subprocess.Popen(
        [sys.executable, "-m", "signatories.decrypt_helper"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, decrypt_helper.KEYS: key},
    )


def test_it_answers_each_batch_in_order_and_marks_what_it_cannot_open():
    key = Fernet.generate_key()
    tokens = [Fernet(key).encrypt(f"a{n}@example.net".encode()).decode() for n in range(3)]
    stranger = Fernet(Fernet.generate_key()).encrypt(b"x@example.net").decode()
    helper = start(key.decode())
    decrypt_helper.write(helper.stdin, [*tokens, "", stranger])
    assert decrypt_helper.read(helper.stdout) == [
        "a0@example.net",
        "a1@example.net",
        "a2@example.net",
        "",
        decrypt_helper.UNOPENED,
    ]
    helper.stdin.close()
    assert helper.wait(timeout=10) == 0


def test_an_export_abandoned_half_way_stops_it_quietly():
    """A download closed mid-way closes the pipe it answers on: no traceback in the logs."""
    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"someone@example.net").decode()
    helper = start(key.decode())
    helper.stdout.close()  # the export stopped reading
    decrypt_helper.write(helper.stdin, [token] * 50_000)  # more than a pipe holds
    helper.stdin.close()
    assert helper.wait(timeout=20) == 0
    assert helper.stderr.read() == b""
