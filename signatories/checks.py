from django.conf import settings
from django.core.checks import Error, Tags, register

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
