"""Confirm and withdraw links: once only, signed, expiring, dead once the address is gone."""

import time
from unittest import mock

import pytest

from letters.models import Letter
from signatories import crypto, tokens
from signatories.models import Signatory
from signatories.services.links import AlreadyDone, signatory_confirm, signatory_withdraw
from signatories.services.signing import LetterNotOpen
from tests.factories import SignatoryFactory
from tests.helpers import link, sign

pytestmark = pytest.mark.django_db


def test_confirming_twice_changes_nothing(letter, on_commit, mailoutbox):
    sign(letter, on_commit)
    token = link(mailoutbox[0], "confirm")
    first = signatory_confirm(token=token)

    with pytest.raises(AlreadyDone):
        signatory_confirm(token=token)

    assert Signatory.objects.get().confirmed_at == first.confirmed_at


def test_expired_confirmation_link_changes_nothing(letter, on_commit, mailoutbox):
    sign(letter, on_commit)
    token = link(mailoutbox[0], "confirm")
    eight_days_later = time.time() + 8 * 86400

    with (
        mock.patch("django.core.signing.time.time", return_value=eight_days_later),
        pytest.raises(tokens.TokenExpired),
    ):
        signatory_confirm(token=token)

    assert Signatory.objects.get().confirmed_at is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],
        lambda t: t + "x",
        lambda t: t.replace(t.split(".")[0], "999999", 1),
        lambda t: "",
        lambda t: "1.abc:1xyz:forged",
    ],
)
def test_forged_or_truncated_tokens_are_refused(letter, on_commit, mailoutbox, mangle):
    sign(letter, on_commit)
    with pytest.raises(tokens.TokenInvalid):
        signatory_confirm(token=mangle(link(mailoutbox[0], "confirm")))
    assert Signatory.objects.get().confirmed_at is None


def test_a_withdraw_token_does_not_confirm(letter, on_commit, mailoutbox):
    sign(letter, on_commit)
    with pytest.raises(tokens.TokenInvalid):
        signatory_confirm(token=link(mailoutbox[0], "withdraw"))


def test_links_die_when_the_address_is_erased(letter, on_commit, mailoutbox):
    sign(letter, on_commit)
    signatory = Signatory.objects.get()
    signatory.email = "other@example.net"
    signatory.save()
    with pytest.raises(tokens.TokenInvalid):
        signatory_confirm(token=link(mailoutbox[0], "confirm"))


def test_withdraw_takes_the_name_off_the_list_and_count_at_once(post_letter, on_commit, mailoutbox):
    sign(post_letter, on_commit)
    signatory_confirm(token=link(mailoutbox[0], "confirm"))
    assert post_letter.signatories.published().count() == 1

    signatory_withdraw(token=link(mailoutbox[0], "withdraw"))

    assert post_letter.signatories.published().count() == 0
    with pytest.raises(AlreadyDone):
        signatory_withdraw(token=link(mailoutbox[0], "withdraw"))


def test_confirming_after_the_letter_closed_is_refused(letter, on_commit, mailoutbox):
    sign(letter, on_commit)
    Letter.objects.update(status=Letter.Status.CLOSED)
    with pytest.raises(LetterNotOpen):
        signatory_confirm(token=link(mailoutbox[0], "confirm"))
    assert Signatory.objects.get().confirmed_at is None


def test_links_survive_a_secret_key_rotation(letter, settings):
    # Production's address keys are its own, not derived from SECRET_KEY (signatories/crypto.py).
    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key()]
    settings.EMAIL_INDEX_KEY = crypto.new_key()
    signatory = SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
    token = tokens.make_token(signatory, tokens.CONFIRM)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50

    assert signatory_confirm(token=token).confirmed_at is not None
