"""Two campaigns, Alpha and Bravo, and members of Alpha's team."""

import pytest
from django.test import Client

from letters.models import Update
from teams.models import Role
from teams.services import team_member_set
from tests.factories import CampaignFactory, EventFactory, LetterFactory, SignatoryFactory

B_MARK = "Bravo-only-marker"


@pytest.fixture
def two_campaigns(roles):
    a = CampaignFactory(title="Campaign Alpha", slug="alpha")
    b = CampaignFactory(title=f"Campaign {B_MARK}", slug="bravo")
    letters = {
        "a": LetterFactory(campaign=a, title="Alpha letter", slug="alpha-letter"),
        "b": LetterFactory(campaign=b, title=f"{B_MARK} letter", slug="bravo-letter"),
    }
    signers = {
        "a": SignatoryFactory(letter=letters["a"], name="Ayan Alpha", email="ayan@alpha.example"),
        "b": SignatoryFactory(
            letter=letters["b"], name=f"{B_MARK} Signer", email="secret@bravo.example"
        ),
    }
    events = {"a": EventFactory(campaign=a), "b": EventFactory(campaign=b, title=B_MARK)}
    updates = {
        key: Update.objects.create(letter=letter, kind=Update.Kind.NEWS, subject=f"News {key}",
                                   body="Body")
        for key, letter in letters.items()
    }  # fmt: skip
    return {"a": a, "b": b, "letters": letters, "signers": signers, "events": events,
            "updates": updates}  # fmt: skip


def member_client(django_user_model, campaign, role, username):
    user = django_user_model.objects.create_user(username, password="not-used")
    team_member_set(campaign=campaign, user=user, role=role)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def alpha_organiser(two_campaigns, django_user_model):
    return member_client(django_user_model, two_campaigns["a"], Role.ORGANISER, "alpha-org")


@pytest.fixture
def alpha_moderator(two_campaigns, django_user_model):
    return member_client(django_user_model, two_campaigns["a"], Role.MODERATOR, "alpha-mod")
