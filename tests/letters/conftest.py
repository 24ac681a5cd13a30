"""Letters every test in tests/letters/ may ask for: the seed letter and an update's audience."""

import io

import pytest
from django.core.management import call_command

from tests.factories import LetterFactory, SignatoryFactory


@pytest.fixture
def seed_letter():
    call_command("load_demo", "--no-login", stdout=io.StringIO())
    from letters.models import Letter

    return Letter.objects.get()


@pytest.fixture
def audience():
    letter = LetterFactory(status="open")
    people = {
        "wants": SignatoryFactory(
            letter=letter, email="wants@example.net", consents_to_updates=True
        ),
        "also": SignatoryFactory(letter=letter, email="also@example.net", consents_to_updates=True),
        "silent": SignatoryFactory(letter=letter, email="silent@example.net"),
        "unconfirmed": SignatoryFactory(
            letter=letter,
            email="unconfirmed@example.net",
            consents_to_updates=True,
            confirmed_at=None,
            status="pending",
        ),
        "withdrawn": SignatoryFactory(
            letter=letter,
            email="withdrawn@example.net",
            consents_to_updates=True,
            withdrawn_at="2026-01-01T00:00Z",
        ),
        "erased": SignatoryFactory(
            letter=letter,
            email="",
            source="paper",
            consents_to_updates=True,
        ),
    }
    return letter, people
