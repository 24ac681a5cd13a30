from django.apps import AppConfig
from django.db.models.signals import post_save


class AttendanceConfig(AppConfig):
    name = "attendance"
    verbose_name = "Coming to events"

    def ready(self):
        from attendance import outboxes  # noqa: F401 - registers the sign-ups' outboxes
        from attendance.models import SignUp
        from attendance.services import sign_ups_purge
        from campaign.models import Event
        from mailing import sweeps
        from signatories.services.encryption import register_address_model

        # Its addresses move to a new key with the signatures' (reencrypt_emails).
        register_address_model(SignUp)

        # Who said they would come to a protest is sensitive: gone a few days after it.
        sweeps.register(sign_ups_purge)
        post_save.connect(_event_saved, sender=Event, dispatch_uid="attendance_event_saved")


def _event_saved(sender, instance, created, **kwargs):
    """An event moved: the reminders not sent yet follow its new start."""
    if not created:
        from attendance.services import event_reminders_follow

        event_reminders_follow(event=instance)
