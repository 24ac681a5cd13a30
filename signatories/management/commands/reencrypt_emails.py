import contextlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from signatories import crypto
from signatories.services.encryption import signatories_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored e-mail address (signatures, event sign-ups, reports of a "
        "resolution passed) under the newest of EMAIL_ENCRYPTION_KEYS and re-hash it under "
        "EMAIL_INDEX_KEY, the suppression list's hashes with it. Resumable: rows already done "
        "are only read."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows per transaction.")
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="Only print a new random key (for either setting) and change nothing.",
        )
        parser.add_argument(
            "--from-development-key",
            action="store_true",
            help="Also open addresses stored while no keys were set (the key derived from "
            "SECRET_KEY), to move a database set up without keys onto EMAIL_ENCRYPTION_KEYS.",
        )

    def handle(self, *args, batch_size, new_key, from_development_key, verbosity, **options):
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

        keys = crypto.encryption_keys()
        self.stdout.write(
            f"Encrypting with the first of {len(keys)} key(s), fingerprint "
            f"{crypto.fingerprint(keys[0])}; re-hashing under EMAIL_INDEX_KEY."
        )
        extra = crypto.development_key() if from_development_key else None
        try:
            with crypto.also_opening(extra) if extra else contextlib.nullcontext():
                progress = signatories_reencrypt(batch_size=batch_size, on_batch=report)
        except crypto.UndecryptableAddress as error:
            hint = (
                ""
                if from_development_key or not settings.EMAIL_ENCRYPTION_KEYS
                else " If this database was set up before any keys were set, add "
                "--from-development-key."
            )
            raise CommandError(f"{error}{hint}") from None
        unchanged = progress.done - progress.changed
        self.stdout.write(
            f"Done: {progress.changed} of {progress.done} addresses re-encrypted"
            + (f"; {unchanged} were under these keys already." if unchanged else ".")
        )
