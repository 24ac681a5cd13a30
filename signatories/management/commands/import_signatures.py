from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from letters.management import letter_for_command
from signatories.paper import import_rows, parse_csv


class Command(BaseCommand):
    help = (
        "Import paper sign-ups from a CSV file with columns name, organisation, email, kind. "
        "Rows already on the letter are skipped, so importing a file twice adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("letter", help="The letter's slug.")
        parser.add_argument("file", type=Path, help="A UTF-8 CSV file (Excel's CSV UTF-8 works).")
        parser.add_argument("--sheet", default="", help="The paper sheet ID to record.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row; add nothing.")

    def handle(self, *args, letter, file, sheet, dry_run, **options):
        target = letter_for_command(letter)
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error

        parsed = parse_csv(data)
        if parsed.errors:
            raise CommandError(" ".join(parsed.errors))
        for row in parsed.invalid_rows:
            self.stderr.write(f"Line {row.line}: refused: {'; '.join(row.errors)}")

        if dry_run:
            self.stdout.write(
                f"Dry run: {len(parsed.valid_rows)} rows ready, "
                f"{len(parsed.invalid_rows)} refused. Nothing was added."
            )
            return
        summary = import_rows(letter=target, rows=parsed.rows, paper_sheet=sheet)
        self.stdout.write(self.style.SUCCESS(f"{target}: {summary}."))
