"""django.request's error lines: one line per request while the database is away, and
never a mail link's token."""

import logging
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_link_answered_503_while_the_database_is_away_logs_one_line_without_its_token(
    caplog,
):
    client = Client(raise_request_exception=False)
    away = OperationalError("connection failed: Connection refused\nIs the server running?")
    with (
        mock.patch("signatories.views.signatory_get_by_token", side_effect=away),
        caplog.at_level(logging.ERROR, logger="django.request"),
    ):
        response = client.get("/s/confirm/SECRET-TOKEN-abc/")
    assert response.status_code == 503
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == (
        "Service Unavailable: /s/confirm/…/ (database unavailable: OperationalError: "
        "connection failed: Connection refused)"
    )
    assert record.exc_info is None
    assert "SECRET-TOKEN" not in caplog.text


def test_the_filter_cuts_tokens_and_tracebacks():
    from config.logging import RequestLineFilter

    try:
        raise OperationalError("the database system is starting up\nDETAIL: recovery")
    except OperationalError as error:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Service Unavailable: %s",
            ("/s/withdraw/AbC.123-xyz/",), (type(error), error, error.__traceback__),
        )  # fmt: skip
    assert RequestLineFilter().filter(record)
    line = logging.Formatter("%(message)s").format(record)
    assert line == (
        "Service Unavailable: /s/withdraw/…/ (database unavailable: OperationalError: "
        "the database system is starting up)"
    )
    assert "Traceback" not in line


def test_other_errors_keep_their_traceback():
    from config.logging import RequestLineFilter

    try:
        raise ValueError("a bug")
    except ValueError as error:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s",
            ("/letters/x/",), (type(error), error, error.__traceback__),
        )  # fmt: skip
    RequestLineFilter().filter(record)
    assert "Traceback" in logging.Formatter("%(message)s").format(record)
