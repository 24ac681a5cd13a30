"""`check --deploy` refuses settings that would lose rate limits or mail, or expose addresses."""

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


def test_check_deploy_refuses_address_keys_derived_from_the_secret_key(settings):
    from signatories import crypto
    from signatories.checks import check_email_keys_set

    settings.EMAIL_ENCRYPTION_KEYS, settings.EMAIL_INDEX_KEY = [], ""
    (error,) = check_email_keys_set(None)
    assert error.id == "signatories.E004"
    assert "EMAIL_ENCRYPTION_KEYS and EMAIL_INDEX_KEY are not set" in error.msg
    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key()]
    (error,) = check_email_keys_set(None)
    assert "EMAIL_INDEX_KEY is not set" in error.msg
    settings.EMAIL_INDEX_KEY = crypto.new_key()
    assert check_email_keys_set(None) == []


def test_a_mistyped_or_short_address_key_is_refused_at_start_up(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from signatories import crypto

    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key(), "not-a-key"]
    with pytest.raises(SystemCheckError, match=r"signatories\.E005"):
        call_command("check")  # not only with --deploy: a typo stops the app starting
    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key()]
    settings.EMAIL_INDEX_KEY = "password"
    with pytest.raises(SystemCheckError, match=r"signatories\.E006"):
        call_command("check")
    settings.EMAIL_INDEX_KEY = crypto.new_key()
    call_command("check")


@pytest.mark.parametrize("hours, errors", [(0, 0), (24, 0), (167, 0), (168, 1), (-1, 1)])
def test_the_reminder_must_come_while_the_link_still_works(settings, hours, errors):
    from signatories.checks import check_reminder_before_the_link_expires

    settings.CONFIRMATION_MAX_AGE_DAYS = 7
    settings.UNCONFIRMED_RETENTION_DAYS = 30
    settings.UNCONFIRMED_REMINDER_HOURS = hours
    found = check_reminder_before_the_link_expires(None)
    assert [e.id for e in found] == ["signatories.E007"] * errors
