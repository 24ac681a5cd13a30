from django.core.management.base import BaseCommand

from letters.management import letter_for_command
from signatories.services.signing import signatories_resend_confirmations


class Command(BaseCommand):
    help = "Send the confirmation mail again to signatures still unconfirmed (after a mail outage)."

    def add_arguments(self, parser):
        parser.add_argument("--letter", help="Only this letter (its slug).")
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=10,
            help="Leave alone signatures younger than this (default 10).",
        )

    def handle(self, *args, letter, older_than_minutes, **options):
        target = letter_for_command(letter) if letter else None
        count = signatories_resend_confirmations(
            letter=target, older_than_minutes=older_than_minutes
        )
        self.stdout.write(f"Queued {count} confirmation mail(s).")
