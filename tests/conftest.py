import pytest

from tests.factories import CampaignFactory, EventFactory, LetterFactory


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Production serves hashed names from collectstatic's manifest; tests skip that step."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def letter(db):
    return LetterFactory()


@pytest.fixture
def post_letter(db):
    return LetterFactory(moderation="post")


@pytest.fixture
def campaign_with_everything(db):
    campaign = CampaignFactory()
    EventFactory(campaign=campaign)
    return campaign


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (the mail tasks) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
