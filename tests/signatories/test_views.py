import time
from unittest import mock

import pytest

from signatories.models import Signatory
from tests.factories import LetterFactory
from tests.helpers import link_path, sign_data, sign_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(client, on_commit, mailoutbox):
    """A letter signed through the web form; returns (letter, the confirmation mail)."""

    def _signed(**letter_fields):
        letter = LetterFactory(**letter_fields)
        with on_commit():
            client.post(sign_url(letter), sign_data(name="Жанат Мырынбаев"))
        return letter, mailoutbox[-1]

    return _signed


def test_supporter_journey_on_a_post_moderated_letter(client, signed):
    letter, mail = signed(moderation="post")
    assert "Жанат Мырынбаев" not in client.get(letter.get_absolute_url()).content.decode()

    confirmed = client.get(link_path(mail, "confirm"))

    assert confirmed.status_code == 200
    assert "Your name is now on the letter" in confirmed.content.decode()
    page = client.get(letter.get_absolute_url())
    assert "Жанат Мырынбаев" in page.content.decode()
    assert page.context["count"] == 1


def test_pre_moderated_confirmation_says_an_organiser_checks_first(client, signed):
    letter, mail = signed(moderation="pre")

    confirmed = client.get(link_path(mail, "confirm"))

    assert "An organiser will check" in confirmed.content.decode()
    assert client.get(letter.get_absolute_url()).context["count"] == 0
    Signatory.objects.update(status=Signatory.Status.APPROVED)
    assert client.get(letter.get_absolute_url()).context["count"] == 1


def test_following_the_confirmation_link_twice_is_harmless(client, signed):
    _, mail = signed()
    client.get(link_path(mail, "confirm"))
    confirmed_at = Signatory.objects.get().confirmed_at

    again = client.get(link_path(mail, "confirm"))

    assert again.status_code == 409
    assert "Already confirmed" in again.content.decode()
    assert Signatory.objects.get().confirmed_at == confirmed_at


def test_expired_link_is_a_410_that_says_how_to_get_a_new_one(client, signed):
    _, mail = signed()
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 30 * 86400):
        response = client.get(link_path(mail, "confirm"))
    assert response.status_code == 410
    assert "sign the letter again" in response.content.decode()
    assert Signatory.objects.get().confirmed_at is None


@pytest.mark.parametrize("token", ["garbage", "1.abc:1abc:abc", "%00", "x" * 5000])
def test_forged_links_are_a_400(client, signed, token):
    signed()
    response = client.get(f"/s/confirm/{token}/")
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert client.get(f"/s/withdraw/{token}/").status_code == 400
    assert client.post(f"/s/withdraw/{token}/").status_code == 400
    assert Signatory.objects.get().confirmed_at is None


def test_withdraw_asks_first_then_withdraws_once(client, signed):
    letter, mail = signed(moderation="post")
    client.get(link_path(mail, "confirm"))
    path = link_path(mail, "withdraw")

    asked = client.get(path)
    assert asked.status_code == 200
    assert Signatory.objects.get().withdrawn_at is None  # a GET (or a mail scanner) changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "has been withdrawn" in done.content.decode()
    page = client.get(letter.get_absolute_url())
    assert page.context["count"] == 0
    assert "Жанат" not in page.content.decode()

    assert client.post(path).status_code == 409
    assert client.get(path).status_code == 409


def test_confirm_after_withdrawal_does_not_bring_the_name_back(client, signed):
    letter, mail = signed(moderation="post")
    client.post(link_path(mail, "withdraw"))

    response = client.get(link_path(mail, "confirm"))

    assert response.status_code == 409
    assert client.get(letter.get_absolute_url()).context["count"] == 0


def test_repeat_signature_gives_exactly_the_same_response(client, letter, on_commit, mailoutbox):
    with on_commit():
        first = client.post(sign_url(letter), sign_data(email="ada@example.net"))
    with on_commit():
        second = client.post(sign_url(letter), sign_data(email="ADA@example.NET"))

    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    assert first.content == second.content
    assert Signatory.objects.count() == 1
    assert mailoutbox[1].subject.startswith("You have already signed")
