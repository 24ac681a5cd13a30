"""Log filters: what a request's error line may say, and how much of it."""

import logging
import re

from django.db import InterfaceError, OperationalError

# /s/confirm/<token>/ and the other mail links: the token is a key to someone's signature.
_TOKEN_IN_PATH = re.compile(r"(/s/[a-z]+/)[^/\s]+")


def path_without_token(text):
    return _TOKEN_IN_PATH.sub(r"\1…", text)


class RequestLineFilter(logging.Filter):
    """For django.request: no link token in a line; a database outage is one line a request.

    A PostgreSQL restart answers every request 503 for its few seconds
    (config/views.py); a traceback each buried the log (bench/faults.py
    counted 766 for a 6 s restart). The first line of the error says enough.
    """

    def filter(self, record):
        message = path_without_token(record.getMessage())
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OperationalError | InterfaceError):
            reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
            message = f"{message} (database unavailable: {type(error).__name__}: {reason})"
            record.exc_info = record.exc_text = None
        record.msg, record.args = message, ()
        return True
