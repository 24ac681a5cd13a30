"""Signing: one row per address, a link by mail, each moderation mode, open letters only."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signatories.abuse import hash_ip
from signatories.models import Signatory
from signatories.services.links import signatory_confirm
from signatories.services.signing import LetterNotOpen, signatory_sign
from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import link, sign

pytestmark = pytest.mark.django_db


def test_sign_creates_an_unconfirmed_pending_signature_and_mails_a_link(
    letter, on_commit, mailoutbox
):
    result = sign(letter, on_commit, affiliation="member of Unite", ip_address="203.0.113.9")

    assert result.created
    signatory = Signatory.objects.get()
    assert signatory.status == Signatory.Status.PENDING
    assert signatory.confirmed_at is None
    assert signatory.source == Signatory.Source.WEB
    assert signatory.sort_name == "Lovelace, Ada"
    assert signatory.consents_to_updates is False
    assert signatory.ip_hash == hash_ip("203.0.113.9")
    assert "203.0.113.9" not in signatory.ip_hash
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.net"]
    assert "confirm" in mailoutbox[0].subject.lower()
    assert link(mailoutbox[0], "confirm") and link(mailoutbox[0], "withdraw")


def test_signing_again_in_another_case_keeps_one_row_and_mails_already_signed(
    letter, on_commit, mailoutbox
):
    first = sign(letter, on_commit, email="Ada@Example.net")
    second = sign(letter, on_commit, email="  ada@EXAMPLE.NET ", name="Someone Else")

    assert Signatory.objects.count() == 1
    assert second.created is False
    assert second.signatory.pk == first.signatory.pk
    assert Signatory.objects.get().name == "Ada Lovelace"
    assert [m.subject.split(":")[0] for m in mailoutbox] == [
        "Please confirm your signature",
        "You have already signed",
    ]
    # Not yet confirmed: the repeat mail carries a fresh confirmation link.
    assert link(mailoutbox[1], "confirm")
    # Every mail can take the name off the letter.
    assert all(link(mail, "withdraw") for mail in mailoutbox)


def test_the_same_address_may_sign_another_letter(letter, on_commit):
    sign(letter, on_commit)
    sign(LetterFactory(), on_commit)
    assert Signatory.objects.count() == 2


@pytest.mark.parametrize("moderation", ["pre", "post"])
def test_sign_confirm_publish_in_each_moderation_mode(moderation, on_commit, mailoutbox):
    letter = LetterFactory(moderation=moderation)
    sign(letter, on_commit)
    assert not letter.signatories.published().exists()

    signatory = signatory_confirm(token=link(mailoutbox[0], "confirm"))

    assert signatory.confirmed_at is not None
    published = letter.signatories.published()
    if moderation == "post":
        assert list(published) == [signatory]
    else:
        assert not published.exists()
        Signatory.objects.filter(pk=signatory.pk).update(status=Signatory.Status.APPROVED)
        assert list(published) == [signatory]


def test_rejected_signatures_are_never_published_even_post_moderated(post_letter):
    SignatoryFactory(letter=post_letter, status=Signatory.Status.REJECTED)
    SignatoryFactory(letter=post_letter, status=Signatory.Status.PENDING, confirmed_at=None)
    assert not post_letter.signatories.published().exists()


@pytest.mark.parametrize("status", ["draft", "closed", "delivered"])
def test_signing_a_letter_that_is_not_open_saves_nothing(status, on_commit, mailoutbox):
    letter = LetterFactory(status=status)
    with pytest.raises(LetterNotOpen):
        sign(letter, on_commit)
    assert not Signatory.objects.exists()
    assert mailoutbox == []


def test_model_validation_refuses_what_the_form_would(letter):
    with pytest.raises(ValidationError):
        signatory_sign(letter=letter, name="Ada", email="not-an-address")
    with pytest.raises(ValidationError):
        signatory_sign(letter=letter, name="   ", email="ada@example.net")
    assert not Signatory.objects.exists()


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
