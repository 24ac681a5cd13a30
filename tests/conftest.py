import pytest
from django.test import Client

from tests.factories import CampaignFactory, EventFactory, LetterFactory
from tests.smtp import SMTPServer, free_port


@pytest.fixture(autouse=True)
def fresh_cache():
    """Abuse counters and cached letters live in the caches; each test starts with none."""
    from django.core.cache import caches

    for each in caches.all(initialized_only=True):
        each.clear()
    yield
    for each in caches.all(initialized_only=True):
        each.clear()


@pytest.fixture(autouse=True)
def letter_pages_rendered_each_time(settings):
    """Production serves a letter page seconds old; tests that change names want them at once.

    tests/letters/test_page_cache.py turns the caches back on.
    """
    settings.LETTER_PAGE_CACHE_SECONDS = 0
    settings.LETTER_SHELL_CACHE_SECONDS = 0


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


@pytest.fixture(autouse=True)
def _second_factor_off_unless_asked(request, settings):
    """The admin's features are tested as a signed-in team member; the second factor in front
    of them is tested on its own (tests/teams/test_second_factor.py, marked second_factor)."""
    if request.node.get_closest_marker("second_factor") is None:
        settings.SECOND_FACTOR_REQUIRED = False


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (the mail tasks) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def roles(db):
    from signatories.roles import roles_setup

    return roles_setup()


class TeamClient(Client):
    """A staff member on the team of every campaign that exists when they make a request.

    The tests of a feature are about one team at work; tests/teams/ tests the
    walls between teams with clients that are on one team only.
    """

    def request(self, **request):
        from campaign.models import Campaign
        from teams.services import team_member_set

        for campaign in Campaign.objects.exclude(team__user=self.user):
            team_member_set(campaign=campaign, user=self.user, role=self.role)
        return super().request(**request)


def _staff_client(roles, django_user_model, group_name):
    """A client of its own, logged in as a staff member of one group, on every team."""
    user = django_user_model.objects.create_user(
        username=group_name.lower(), password="not-used", is_staff=True
    )
    user.groups.add(roles[group_name])
    client = TeamClient()
    client.force_login(user)
    client.user = user
    client.role = {"Organisers": "organiser", "Moderators": "moderator"}[group_name]
    return client


@pytest.fixture
def moderator_client(roles, django_user_model):
    """Logged in as a moderator: decides on signatures, never sees an e-mail."""
    return _staff_client(roles, django_user_model, "Moderators")


@pytest.fixture
def organiser_client(roles, django_user_model):
    return _staff_client(roles, django_user_model, "Organisers")


@pytest.fixture
def smtp(settings):
    """A stopped SMTP server (tests/smtp.py); the site sends through it. Always stopped after."""
    server = SMTPServer(free_port())
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
        }
    }
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def database_tasks(settings):
    """Queue tasks in the database, as production does; run them with tests.smtp.run_worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def shared_cache(settings):
    """Redis, as production has it: the worker clears the flag the web process set."""
    from django.core.cache import caches

    from tests.helpers import REDIS, redis_up

    if not redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS},
    }
    caches["default"].clear()
    yield
    caches["default"].clear()
