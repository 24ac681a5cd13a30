"""A helper process for big exports: decrypts batches of stored addresses, in order.

Run by signatories/crypto.py `decrypting` as `python -m
signatories.decrypt_helper`, with the keys in its environment (never on
its command line, which other users can read). It needs no Django: it reads
a batch from stdin, writes the addresses to stdout, and stops when stdin
closes. A batch is a count and a size, then the tokens joined by newlines
(tokens and addresses hold none).
"""

import os
import struct
import sys

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEYS = "LETTERS_DECRYPT_HELPER_KEYS"
UNOPENED = "\0"  # an address no key opens; the caller raises its own error
HEADER = struct.Struct("!II")


def write(stream, items):
    payload = "\n".join(items).encode()
    stream.write(HEADER.pack(len(items), len(payload)) + payload)
    stream.flush()


def read(stream):
    """The next batch, or None once the other side has closed."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    count, size = HEADER.unpack(header)
    payload = stream.read(size).decode()
    return payload.split("\n") if count else []


def main():
    cipher = MultiFernet([Fernet(key) for key in os.environ.pop(KEYS).split(",")])

    def opened(token):
        if not token:
            return ""
        try:
            return cipher.decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            return UNOPENED

    try:
        while (tokens := read(sys.stdin.buffer)) is not None:
            write(sys.stdout.buffer, [opened(token) for token in tokens])
    except BrokenPipeError:
        # The export stopped reading (a download abandoned half-way): nothing to report,
        # and nothing more to flush at exit (Python's advice for a closed pipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    main()
