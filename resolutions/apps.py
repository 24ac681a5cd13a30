from django.apps import AppConfig


class ResolutionsConfig(AppConfig):
    name = "resolutions"
    verbose_name = "Resolutions"

    def ready(self):
        from resolutions import outboxes  # noqa: F401 - registers the reporters' confirmations
