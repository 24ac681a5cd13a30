from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.compatibility)
def check_lease_outlasts_retries(app_configs, **kwargs):
    """The outbox tells a worker's lease from a retry's wait by how far ahead it is."""
    if settings.MAIL_CLAIM_LEASE_SECONDS > settings.MAIL_RETRY_MAX_SECONDS:
        return []
    return [
        Error(
            "MAIL_CLAIM_LEASE_SECONDS must be longer than the longest wait between two "
            f"tries of a mail (MAIL_RETRY_MAX_SECONDS, {settings.MAIL_RETRY_MAX_SECONDS} s).",
            hint="The default, 3600, is longer than a batch of mail can take to send.",
            id="mailing.E001",
        )
    ]
