from django.apps import AppConfig


class SignatoriesConfig(AppConfig):
    name = "signatories"
    verbose_name = "Signatories"

    def ready(self):
        from config.admin import register_waiting_work
        from mailing import sweeps
        from signatories import checks, outboxes  # noqa: F401 - registers checks and outboxes
        from signatories.selectors import signatories_waiting
        from signatories.services.tally import tallies_compact

        sweeps.register(tallies_compact)
        register_waiting_work(signatories_waiting)
