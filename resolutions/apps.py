from django.apps import AppConfig


class ResolutionsConfig(AppConfig):
    name = "resolutions"
    verbose_name = "Resolutions"

    def ready(self):
        from config.admin import register_waiting_work
        from resolutions import outboxes  # noqa: F401 - registers the reporters' confirmations
        from resolutions.selectors import resolutions_waiting

        register_waiting_work(resolutions_waiting)
