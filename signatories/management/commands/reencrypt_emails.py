from django.core.management.base import BaseCommand, CommandError

from signatories import crypto
from signatories.services.encryption import signatories_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every signatory's e-mail address under the newest of EMAIL_ENCRYPTION_KEYS "
        "and re-hash it under EMAIL_INDEX_KEY. Resumable: rows already done are only read."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows per transaction.")
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="Only print a new random key (for either setting) and change nothing.",
        )

    def handle(self, *args, batch_size, new_key, verbosity, **options):
        if new_key:
            self.stdout.write(crypto.new_key())
            return
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")

        def report(progress):
            if verbosity:
                self.stdout.write(
                    f"{progress.done} of {progress.total} addresses checked, "
                    f"{progress.changed} re-encrypted"
                )

        try:
            progress = signatories_reencrypt(batch_size=batch_size, on_batch=report)
        except crypto.UndecryptableAddress as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Done: {progress.changed} of {progress.done} addresses re-encrypted; "
            "the others were under the newest keys already."
        )
