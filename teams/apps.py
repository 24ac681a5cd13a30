from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Access log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from teams import checks  # noqa: F401 (registers the deploy check)
