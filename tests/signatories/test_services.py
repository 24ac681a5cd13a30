import re
import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from letters.models import Letter
from signatories import tokens
from signatories.abuse import hash_ip
from signatories.models import Signatory
from signatories.services.entry import signatory_add_approved
from signatories.services.links import AlreadyDone, signatory_confirm, signatory_withdraw
from signatories.services.signing import LetterNotOpen, signatory_sign
from tests.factories import LetterFactory, SignatoryFactory

pytestmark = pytest.mark.django_db


def sign(letter, on_commit, email="ada@example.net", name="Ada Lovelace", **extra):
    with on_commit():
        return signatory_sign(letter=letter, name=name, email=email, **extra)


def link(mail, kind):
    return re.search(rf"http://\S+/s/{kind}/(\S+)/", mail.body).group(1)


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
    Signatory.objects.update(email="other@example.net")
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


@pytest.mark.parametrize("status", ["draft", "closed", "delivered"])
def test_signing_a_letter_that_is_not_open_saves_nothing(status, on_commit, mailoutbox):
    letter = LetterFactory(status=status)
    with pytest.raises(LetterNotOpen):
        sign(letter, on_commit)
    assert not Signatory.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize("status", ["draft", "closed", "delivered"])
def test_organisers_add_paper_names_to_a_letter_in_any_state(status):
    """Paper sheets come in after a letter closes; only the web form needs it open."""
    letter = LetterFactory(status=status)
    with_email = signatory_add_approved(letter=letter, name="Ada Paper", email="ada@example.net")
    without = signatory_add_approved(letter=letter, name="Bob Paper")
    again = signatory_add_approved(letter=letter, name="Ada Paper", email="ADA@example.net")

    assert with_email.created and without.created and not again.created
    assert Signatory.objects.filter(letter=letter).count() == 2


def test_confirming_after_the_letter_closed_is_refused(letter, on_commit, mailoutbox):
    sign(letter, on_commit)
    Letter.objects.update(status=Letter.Status.CLOSED)
    with pytest.raises(LetterNotOpen):
        signatory_confirm(token=link(mailoutbox[0], "confirm"))
    assert Signatory.objects.get().confirmed_at is None


def test_model_validation_refuses_what_the_form_would(letter):
    with pytest.raises(ValidationError):
        signatory_sign(letter=letter, name="Ada", email="not-an-address")
    with pytest.raises(ValidationError):
        signatory_sign(letter=letter, name="   ", email="ada@example.net")
    assert not Signatory.objects.exists()


def test_add_approved_is_idempotent_with_or_without_email(letter):
    first = signatory_add_approved(letter=letter, name="Vaughan Thomas", email="v@example.org")
    again = signatory_add_approved(letter=letter, name="V. Thomas", email="V@EXAMPLE.org")
    paper = signatory_add_approved(letter=letter, name="Neil Rothnie", source="paper")
    paper_again = signatory_add_approved(letter=letter, name="Neil  Rothnie", source="paper")

    assert first.created and paper.created
    assert not again.created and not paper_again.created
    assert Signatory.objects.count() == 2
    assert letter.signatories.published().count() == 2


class TestDatabaseConstraints:
    """The database is the last word, whatever the form or service did."""

    def test_one_signature_per_email_per_letter_case_insensitive(self, letter):
        SignatoryFactory(letter=letter, email="ada@example.net")
        with pytest.raises(IntegrityError), transaction.atomic():
            SignatoryFactory(letter=letter, email="ADA@example.net")

    def test_organiser_entries_may_share_a_blank_email(self, letter):
        SignatoryFactory(letter=letter, email="", source="paper")
        SignatoryFactory(letter=letter, email="", source="paper")
        assert letter.signatories.count() == 2

    def test_web_signatures_need_an_email(self, letter):
        with pytest.raises(IntegrityError), transaction.atomic():
            SignatoryFactory(letter=letter, email="", source="web")

    def test_blank_name(self, letter):
        with pytest.raises(IntegrityError), transaction.atomic():
            SignatoryFactory(letter=letter, name="")

    @pytest.mark.parametrize(
        ("field", "value"), [("status", "maybe"), ("kind", "robot"), ("source", "fax")]
    )
    def test_choices(self, letter, field, value):
        with pytest.raises(IntegrityError), transaction.atomic():
            SignatoryFactory(letter=letter, **{field: value})
