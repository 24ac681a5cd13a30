from django.conf import settings
from django.core.management.base import BaseCommand

from config.progress import terminal_progress
from signatories.services.retention import (
    signatories_purge_unconfirmed,
    signatories_unconfirmed_stale,
)


class Command(BaseCommand):
    help = "Delete signatures that were never confirmed, after the retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Older than this many days (default: UNCONFIRMED_RETENTION_DAYS).",
        )

    def handle(self, *args, days, **options):
        days = settings.UNCONFIRMED_RETENTION_DAYS if days is None else days
        show = terminal_progress(self.stderr, "Deleting: ")
        if show:  # a bar wants the total: one COUNT, on a terminal only
            total = signatories_unconfirmed_stale(older_than_days=days).count()
        count = signatories_purge_unconfirmed(
            older_than_days=days, on_batch=show and (lambda done: show(done, total))
        )
        self.stdout.write(f"Deleted {count} unconfirmed signature(s) older than {days} days.")
