from django.apps import AppConfig


class SignatoriesConfig(AppConfig):
    name = "signatories"
    verbose_name = "Signatories"

    def ready(self):
        from signatories import checks, outboxes  # noqa: F401 - registers checks and outboxes
