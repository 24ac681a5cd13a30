from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.progress import terminal_progress
from letters.csv_export import csv_lines, export_address_count, export_queryset
from letters.management import letter_for_command
from letters.pdf import render_letter_pdf
from signatories.crypto import UndecryptableAddress
from teams.models import LookedAt
from teams.services import contact_view_record


class Command(BaseCommand):
    help = (
        "Export a letter for delivery: the signed letter as PDF (names only), or the staff "
        "CSV with contact details (handle it as personal data)."
    )

    def add_arguments(self, parser):
        parser.add_argument("letter", help="The letter's slug.")
        parser.add_argument("--format", choices=["pdf", "csv"], default="pdf")
        parser.add_argument("-o", "--output", type=Path, required=True, help="File to write.")
        parser.add_argument(
            "--all",
            action="store_true",
            dest="everything",
            help="CSV only: every signature in any state, not only the live list.",
        )
        parser.add_argument(
            "--with-translations",
            action="store_true",
            help="PDF only: append the translations marked ready after the names.",
        )

    def _progress(self):
        return terminal_progress(self.stderr)

    def handle(self, *args, letter, format, output, with_translations, everything, **options):
        target = letter_for_command(letter)
        try:
            with output.open("wb") as out:
                if format == "pdf":
                    count = render_letter_pdf(
                        target,
                        out,
                        progress=self._progress(),
                        with_translations=with_translations,
                    )
                else:
                    total = count = export_queryset(target, everything=everything).count()
                    contact_view_record(
                        user=None,
                        letter=target,
                        what=LookedAt.COMMAND,
                        addresses=export_address_count(target, everything=everything),
                    )
                    lines = csv_lines(
                        target, everything=everything, progress=self._progress(), total=total
                    )
                    for line in lines:
                        out.write(line.encode())
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from error
        except UndecryptableAddress as error:
            output.unlink(missing_ok=True)  # a CSV cut off half-way is not an export
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {output} ({format.upper()}, {count:,} names).")
        )
