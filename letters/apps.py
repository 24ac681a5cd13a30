from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Open letters"

    def ready(self):
        from letters import outboxes  # noqa: F401 - registers the update copies' outbox
        from letters.services.contacts_export import (
            contacts_exports_discard,
            contacts_exports_expire,
        )
        from letters.services.milestones import milestones_record
        from mailing import sweeps
        from signatories.signals import addresses_removed

        sweeps.register(contacts_exports_expire)
        sweeps.register(milestones_record)
        addresses_removed.connect(contacts_exports_discard, dispatch_uid="contacts_exports")
