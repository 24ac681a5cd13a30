"""Defects found in review, each pinned by a test that failed before its fix."""

import datetime
import logging
import smtplib
import zoneinfo

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signatories import tokens
from signatories.models import Signatory
from signatories.names import sort_key
from signatories.services.entry import signatory_add_approved
from signatories.services.links import signatory_confirm
from signatories.services.signing import signatory_sign
from tests.factories import EventFactory, SignatoryFactory
from tests.helpers import link_path, sign_data, sign_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", [",", "...", "\u200b\u2060", "\ufffd\ufffd", "-- --"])
def test_names_without_letters_are_a_400_not_a_500(client, letter, name):
    response = client.post(sign_url(letter), sign_data(name=name))
    assert response.status_code == 400
    assert not Signatory.objects.exists()


def test_a_title_and_a_comma_is_a_name_that_sorts(letter, on_commit):
    with on_commit():
        signatory = signatory_sign(letter=letter, name="Dr ,", email="dr@example.net").signatory
    assert signatory.sort_name == "Dr ," and signatory.sort_key


def test_right_to_left_marks_are_dropped_not_refused(client, letter, on_commit):
    with on_commit():
        response = client.post(sign_url(letter), sign_data(name="\u200fمحمد\u200e عبد الله"))
    assert response.status_code == 302
    assert Signatory.objects.get().name == "محمد عبد الله"


def test_undecodable_bytes_in_a_post_are_refused(client, letter):
    body = b"name=%FF%FEAda&email=ada%40example.net&kind=individual"
    response = client.post(sign_url(letter), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert not Signatory.objects.exists()


@pytest.mark.parametrize(
    "spellings",
    [
        ["ivan@Почта.рф", "IVAN@почта.РФ", "ivan@xn--80a1acny.xn--p1ai"],
        ["a@BÜCHER.de", "a@bücher.de"],
        ["a@İx.com", "A@İX.COM"],
    ],
)
def test_one_signer_however_the_address_is_spelled(client, letter, on_commit, spellings):
    for email in spellings:
        with on_commit():
            response = client.post(sign_url(letter), sign_data(email=email))
        assert response.status_code == 302
    assert Signatory.objects.count() == 1


def test_a_repeat_signature_raises_no_database_error(letter, on_commit):
    """A unique violation would make PostgreSQL log the conflicting address."""
    sign = lambda: signatory_sign(letter=letter, name="Ada", email="ada@example.net")  # noqa: E731
    with on_commit():
        sign()
    with CaptureQueriesContext(connection) as queries, on_commit():
        result = sign()
    assert result.created is False
    insert = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT"))
    assert "ON CONFLICT DO NOTHING" in insert or "INSERT OR IGNORE" in insert


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses the recipient, quoting the address as real ones do."""

    def send_messages(self, messages):
        address = messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused({address: (550, f"<{address}>: rejected".encode())})


def test_a_refused_recipient_keeps_the_signature_and_logs_no_address(
    client, letter, on_commit, settings, caplog
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    caplog.set_level(logging.DEBUG)
    with on_commit():
        response = client.post(sign_url(letter), sign_data(email="dissident@example.kz"))

    assert response.status_code == 302
    assert Signatory.objects.filter(email="dissident@example.kz").exists()
    assert "dissident" not in caplog.text  # caplog.text includes tracebacks
    assert "Could not send confirm mail" in caplog.text


def test_other_scripts_sort_in_code_point_order_without_collisions():
    assert sort_key("中") != sort_key("煕")
    assert sorted(["王", "李", "张"], key=sort_key) == sorted(["王", "李", "张"])


def test_links_survive_a_secret_key_rotation(letter, settings):
    signatory = SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
    token = tokens.make_token(signatory, tokens.CONFIRM)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50

    assert signatory_confirm(token=token).confirmed_at is not None


def test_head_works_on_public_pages_and_never_confirms(client, letter, on_commit, mailoutbox):
    event = EventFactory(campaign=letter.campaign)
    for url in [
        "/",
        letter.campaign.get_absolute_url(),
        letter.get_absolute_url(),
        event.get_ics_url(),
    ]:
        assert client.head(url).status_code == 200, url
    with on_commit():
        client.post(sign_url(letter), sign_data())
    assert client.head(link_path(mailoutbox[0], "confirm")).status_code == 405
    assert Signatory.objects.get().confirmed_at is None


def test_ics_times_are_utc_in_summer_too(client):
    london = zoneinfo.ZoneInfo("Europe/London")
    event = EventFactory(starts_at=datetime.datetime(2026, 6, 1, 12, 0, tzinfo=london))
    assert "DTSTART:20260601T110000Z" in client.get(event.get_ics_url()).content.decode()


def test_a_paper_form_confirms_an_unconfirmed_web_signature(letter, on_commit):
    with on_commit():
        signatory_sign(letter=letter, name="Ada", email="ada@example.net")
    result = signatory_add_approved(
        letter=letter, name="ADA", email="Ada@Example.net", source="paper"
    )
    assert result.created
    stored = Signatory.objects.get()
    assert stored.confirmed_at is not None and stored.status == "approved"
    assert stored in letter.signatories.published()
