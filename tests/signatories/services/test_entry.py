"""Names organisers add (paper sheets, the admin): approved at once, never twice."""

import pytest

from signatories.models import Signatory
from signatories.services.entry import signatory_add_approved
from signatories.services.signing import signatory_sign
from tests.factories import LetterFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["draft", "closed", "delivered"])
def test_organisers_add_paper_names_to_a_letter_in_any_state(status):
    """Paper sheets come in after a letter closes; only the web form needs it open."""
    letter = LetterFactory(status=status)
    with_email = signatory_add_approved(letter=letter, name="Ada Paper", email="ada@example.net")
    without = signatory_add_approved(letter=letter, name="Bob Paper")
    again = signatory_add_approved(letter=letter, name="Ada Paper", email="ADA@example.net")

    assert with_email.created and without.created and not again.created
    assert Signatory.objects.filter(letter=letter).count() == 2


def test_add_approved_is_idempotent_with_or_without_email(letter):
    first = signatory_add_approved(letter=letter, name="Vaughan Thomas", email="v@example.org")
    again = signatory_add_approved(letter=letter, name="V. Thomas", email="V@EXAMPLE.org")
    paper = signatory_add_approved(letter=letter, name="Neil Rothnie", source="paper")
    paper_again = signatory_add_approved(letter=letter, name="Neil  Rothnie", source="paper")

    assert first.created and paper.created
    assert not again.created and not paper_again.created
    assert Signatory.objects.count() == 2
    assert letter.signatories.published().count() == 2


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
