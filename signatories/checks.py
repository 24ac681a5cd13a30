from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, register

from config.cache import PER_PROCESS_CACHES

DEVELOPMENT_BACKENDS = {"config.mail.ReadableConsoleBackend"}
# A generated key is 44 characters; a short one is a password, and guessable.
MIN_INDEX_KEY_LENGTH = 32


@register(Tags.mail, deploy=True)
def check_production_mailer(app_configs, **kwargs):
    """Django's own check knows its console backend, not our readable one."""
    backend = settings.MAILERS.get("default", {}).get("BACKEND", "")
    if backend not in DEVELOPMENT_BACKENDS:
        return []
    return [
        Error(
            "Mail to signatories is only printed on the console.",
            hint="Set EMAIL_URL, e.g. smtp://user:password@mail.example.org:587?tls=1.",
            id="signatories.E001",
        )
    ]


@register(Tags.caches, deploy=True)
def check_shared_cache_for_rate_limits(app_configs, **kwargs):
    """Rate limits counted in one process's memory do not hold across processes or hosts."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        Error(
            "The abuse limits are counted in a per-process cache, so each gunicorn worker "
            "and each host keeps its own count.",
            hint="Set REDIS_URL, e.g. redis://127.0.0.1:6379/0.",
            id="signatories.E002",
        )
    ]


@register(Tags.compatibility, deploy=True)
def check_mail_off_the_request(app_configs, **kwargs):
    """The immediate task backend sends mail inside the signer's request (and drains the outbox)."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or not backend.endswith("ImmediateBackend"):
        return []
    return [
        Error(
            "Tasks run inside web requests, so every signature would wait for mail to be sent.",
            hint="Set TASKS_BACKEND=database and run `manage.py worker`.",
            id="signatories.E003",
        )
    ]


@register(Tags.security, deploy=True)
def check_email_keys_set(app_configs, **kwargs):
    """Production: keys derived from SECRET_KEY would put the addresses' key beside them."""
    missing = [
        name for name in ("EMAIL_ENCRYPTION_KEYS", "EMAIL_INDEX_KEY") if not getattr(settings, name)
    ]
    if not missing:
        return []
    return [
        Error(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
            "signatories' e-mail addresses would be encrypted and indexed with keys derived "
            "from SECRET_KEY.",
            hint="Make keys with `manage.py reencrypt_emails --new-key` and set them in the "
            "environment; addresses already stored without them move with `manage.py "
            "reencrypt_emails --from-development-key` (README, Keys and their rotation).",
            id="signatories.E004",
        )
    ]


@register(Tags.security)
def check_email_keys_valid(app_configs, **kwargs):
    """A mistyped key is found at start-up, not at the first signature."""
    errors = []
    try:
        for key in settings.EMAIL_ENCRYPTION_KEYS:
            Fernet(key)
    except (ValueError, TypeError):
        errors.append(
            Error(
                "EMAIL_ENCRYPTION_KEYS holds something that is not a Fernet key.",
                hint="Each key is 32 url-safe base64-encoded bytes, as "
                "`manage.py reencrypt_emails --new-key` prints; separate keys with commas.",
                id="signatories.E005",
            )
        )
    if settings.EMAIL_INDEX_KEY and len(settings.EMAIL_INDEX_KEY) < MIN_INDEX_KEY_LENGTH:
        errors.append(
            Error(
                f"EMAIL_INDEX_KEY is shorter than {MIN_INDEX_KEY_LENGTH} characters: its hashes "
                "could be tested against guessed addresses.",
                hint="Use `manage.py reencrypt_emails --new-key` for it too.",
                id="signatories.E006",
            )
        )
    return errors


@register()
def check_reminder_before_the_link_expires(app_configs, **kwargs):
    """A reminder that arrives after the signature's link, or the signature itself, is gone
    reminds nobody of anything they can still do."""
    hours = settings.UNCONFIRMED_REMINDER_HOURS
    limit = min(settings.CONFIRMATION_MAX_AGE_DAYS, settings.UNCONFIRMED_RETENTION_DAYS) * 24
    if 0 <= hours < limit:
        return []
    return [
        Error(
            f"UNCONFIRMED_REMINDER_HOURS is {hours}: it must be 0 (no reminder) or less than "
            f"{limit}, the hours a confirmation link works and an unconfirmed signature is kept.",
            hint="Set it to 24, say, or to 0 to send no reminder.",
            id="signatories.E007",
        )
    ]
