"""`check --deploy` refuses settings that would lose rate limits or mail."""

import pytest

pytestmark = pytest.mark.django_db


def test_check_deploy_refuses_a_per_process_cache_for_rate_limits(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with pytest.raises(SystemCheckError, match=r"signatories\.E002"):
        call_command("check", "--deploy", "--tag", "caches")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
    call_command("check", "--deploy", "--tag", "caches")


def test_check_deploy_refuses_mail_sent_inside_requests(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.DEBUG = False
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(SystemCheckError, match=r"signatories\.E003"):
        call_command("check", "--deploy", "--tag", "compatibility")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("check", "--deploy", "--tag", "compatibility")


def test_check_deploy_refuses_console_mail(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.MAILERS = {"default": {"BACKEND": "config.mail.ReadableConsoleBackend"}}
    with pytest.raises(SystemCheckError, match=r"signatories\.E001"):
        call_command("check", "--deploy", "--tag", "mail")
