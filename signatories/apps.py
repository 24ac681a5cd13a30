from django.apps import AppConfig


class SignatoriesConfig(AppConfig):
    name = "signatories"
    verbose_name = "Signatories"

    def ready(self):
        from signatories import checks  # noqa: F401 - registers the deploy checks
