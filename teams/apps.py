from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams and access log"
    default_auto_field = "django.db.models.BigAutoField"
