"""What each display choice publishes (the published and listed reads), and the constraints."""

import io

import pytest
from django.db import IntegrityError, transaction

from letters.pdf import render_letter_pdf
from signatories.models import Signatory
from tests.factories import SignatoryFactory
from tests.helpers import pdf_text, sign_data, sign_url

pytestmark = pytest.mark.django_db


def letter_pdf_text(letter):
    buffer = io.BytesIO()
    render_letter_pdf(letter, buffer)
    return pdf_text(buffer.getvalue())


@pytest.fixture
def choices(letter):
    SignatoryFactory(letter=letter, name="Full Person", affiliation="Full Union")
    SignatoryFactory(letter=letter, name="Name Only", affiliation="Secret Employer", display="name")
    SignatoryFactory(letter=letter, name="Hidden One", affiliation="Hidden Union", display="hidden")
    SignatoryFactory(letter=letter, name="Hidden Two", display="hidden")
    SignatoryFactory(
        letter=letter,
        name="Dockers Branch",
        kind="organisation",
        affiliation="contact: Jane Doe",
        display="name",
    )
    return letter


def test_choices_are_honoured_on_the_page_the_count_and_the_pdf(client, choices):
    page = client.get(choices.get_absolute_url())
    html = page.content.decode()
    text = letter_pdf_text(choices)

    assert page.context["count"] == 5
    assert "and 2 others who asked not to be named" in html
    assert "and 2 others who asked not to be named" in text
    assert "5 signatures" in text
    for body in (html, text):
        assert "Full Union" in body and "Name Only" in body and "Dockers Branch" in body
        for secret in ["Secret Employer", "Hidden One", "Hidden Two", "Hidden Union", "Jane Doe"]:
            assert secret not in body


def test_an_all_hidden_list_still_counts(client, letter):
    SignatoryFactory(letter=letter, display="hidden", name="Nobody Named")
    html = client.get(letter.get_absolute_url()).content.decode()
    assert "1 signatory who asked not to be named" in html
    assert "Nobody Named" not in html


def test_the_form_offers_the_choice_and_stores_it(client, letter, on_commit):
    assert (
        "Count my signature, but do not publish my name"
        in client.get(letter.get_absolute_url()).content.decode()
    )
    with on_commit():
        client.post(sign_url(letter), sign_data(display="hidden"))
    assert Signatory.objects.get().display == "hidden"


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
        ("field", "value"),
        [("name", "erin.private@example.org"), ("affiliation", "Unite, dana@example.org")],
    )
    def test_no_address_in_published_text(self, letter, field, value):
        with pytest.raises(IntegrityError), transaction.atomic():
            SignatoryFactory(letter=letter, **{field: value})
        SignatoryFactory(letter=letter, affiliation="@UniteTheUnion, Unite @ work")  # no address

    @pytest.mark.parametrize(
        ("field", "value"), [("status", "maybe"), ("kind", "robot"), ("source", "fax")]
    )
    def test_choices(self, letter, field, value):
        with pytest.raises(IntegrityError), transaction.atomic():
            SignatoryFactory(letter=letter, **{field: value})
