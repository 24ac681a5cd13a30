from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_second_factor_required(app_configs, **kwargs):
    """Production: a stolen password alone must not open signatories' addresses."""
    if settings.SECOND_FACTOR_REQUIRED:
        return []
    return [
        Error(
            "SECOND_FACTOR_REQUIRED is off: staff who can see contact details would sign in "
            "with a password alone.",
            hint="Unset SECOND_FACTOR_REQUIRED (it is on whenever DEBUG is off).",
            id="teams.E001",
        )
    ]
