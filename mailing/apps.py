from django.apps import AppConfig


class MailingConfig(AppConfig):
    name = "mailing"
    verbose_name = "Mail"

    def ready(self):
        from anymail.signals import tracking

        from mailing import checks  # noqa: F401 - registers the checks
        from mailing.webhooks import record_tracking_event

        # The provider's bounces and complaints fill the suppression list.
        tracking.connect(record_tracking_event, dispatch_uid="mailing.suppression")
