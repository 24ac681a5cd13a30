"""While signing is paused: no form, no signature taken, and confirmations still work."""

import pytest

from signatories.models import Signatory
from signatories.services.pause import signing_pause, signing_resume
from tests.factories import SignatoryFactory
from tests.helpers import link_path, sign_data, sign_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(django_user_model):
    return django_user_model.objects.create_superuser("boss", password="x")


def test_a_signer_who_signed_before_the_pause_can_still_confirm(
    client, letter, boss, mailoutbox, on_commit
):
    with on_commit():
        assert client.post(sign_url(letter), sign_data()).status_code == 302
    signing_pause(message="Paused for now.", by=boss)
    confirm = link_path(mailoutbox[0], "confirm")
    assert client.post(confirm).status_code == 200
    assert Signatory.objects.get().confirmed_at is not None


def test_a_post_while_paused_stores_nothing_even_a_repeat(client, letter, boss):
    SignatoryFactory(letter=letter, email="ada@example.net")
    signing_pause(message="Paused <b>now</b>.", by=boss)
    response = client.post(sign_url(letter), sign_data())
    assert response.status_code == 409
    assert "Paused &lt;b&gt;now&lt;/b&gt;." in response.content.decode()  # the words, escaped
    assert Signatory.objects.count() == 1
    assert client.get(sign_url(letter)).status_code == 302  # a GET goes back to the letter
    signing_resume(by=boss)
    assert client.post(sign_url(letter), sign_data(email="new@example.net")).status_code == 302
