from django.conf import settings
from django.core.management.base import BaseCommand

from attendance.services import sign_ups_purge


class Command(BaseCommand):
    help = (
        "Delete event sign-ups (names, addresses) ATTENDANCE_KEPT_DAYS after their event, "
        "keeping only the number of people, and unconfirmed sign-ups whose link has expired. "
        "The worker's sweep does the same every few minutes; this is for cron or by hand."
    )

    def handle(self, *args, **options):
        deleted = sign_ups_purge()
        self.stdout.write(
            f"Deleted {deleted} sign-up(s) "
            f"(events over more than {settings.ATTENDANCE_KEPT_DAYS} days ago, "
            "and unconfirmed ones whose link has expired)."
        )
