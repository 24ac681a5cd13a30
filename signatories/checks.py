from django.conf import settings
from django.core.checks import Error, Tags, register

from config.cache import PER_PROCESS_CACHES

DEVELOPMENT_BACKENDS = {"config.mail.ReadableConsoleBackend"}


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
