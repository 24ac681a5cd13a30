from django.apps import AppConfig


class ResolutionsConfig(AppConfig):
    name = "resolutions"
    verbose_name = "Resolutions"

    def ready(self):
        from config.admin import register_waiting_work
        from resolutions import outboxes  # noqa: F401 - registers the reporters' confirmations
        from resolutions.models import PassedResolution
        from resolutions.selectors import resolutions_waiting
        from signatories.services.encryption import register_address_model

        register_waiting_work(resolutions_waiting)
        # The reporters' addresses move to a new key with the signatures' (reencrypt_emails).
        register_address_model(PassedResolution)
