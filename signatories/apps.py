from django.apps import AppConfig


class SignatoriesConfig(AppConfig):
    name = "signatories"
    verbose_name = "Signatories"

    def ready(self):
        from mailing import sweeps
        from signatories import checks, outboxes  # noqa: F401 - registers checks and outboxes
        from signatories.services.tally import tallies_compact

        sweeps.register(tallies_compact)
