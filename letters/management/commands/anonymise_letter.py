from django.core.management.base import BaseCommand, CommandError

from config.progress import terminal_progress
from letters.management import letter_for_command
from letters.models import Letter
from signatories.services.retention import signatories_anonymise


class Command(BaseCommand):
    help = (
        "Erase the e-mail addresses and IP hashes of a letter's signatories, keeping names "
        "and counts. Meant for after the hand-in; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("letter", help="The letter's slug.")
        parser.add_argument(
            "--force", action="store_true", help="Also for a letter not delivered yet."
        )

    def handle(self, *args, letter, force, **options):
        target = letter_for_command(letter)
        if target.status != Letter.Status.DELIVERED and not force:
            raise CommandError(
                f"“{target}” is {target.get_status_display().lower()}, not delivered: "
                "organisers may still need to reach its signatories. Use --force to go ahead."
            )
        show = terminal_progress(self.stderr, "Anonymising: ")
        if show:  # a bar wants the total: one COUNT, on a terminal only
            total = target.signatories.filter(anonymised_at__isnull=True).count()
        count = signatories_anonymise(
            letter=target, on_batch=show and (lambda done: show(done, total))
        )
        self.stdout.write(f"{target}: {count} signature(s) anonymised.")
