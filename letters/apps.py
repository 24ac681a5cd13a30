from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Open letters"

    def ready(self):
        from letters import outboxes  # noqa: F401 - registers the update copies' outbox
