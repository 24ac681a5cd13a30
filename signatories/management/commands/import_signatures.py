from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.progress import terminal_progress
from letters.management import letter_for_command
from signatories.paper import LIKELY, READY, Summary, check_rows, import_rows, parse_csv


class Command(BaseCommand):
    help = (
        "Import paper sign-ups from a CSV file with columns name, organisation, email, kind "
        "and updates (yes/no). Rows already on the letter (the same e-mail, or a name and "
        "organisation that match one there) are skipped, so importing a file twice adds "
        "nothing; --dry-run lists them."
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

        parsed = parse_csv(data)  # any size: the file is on the server, not an upload
        if parsed.errors:
            raise CommandError(" ".join(parsed.errors))
        for row in parsed.invalid_rows:
            self.stderr.write(f"Line {row.line}: refused: {'; '.join(row.errors)}")

        if dry_run:
            checked = check_rows(letter=target, rows=parsed.rows)
            for each in checked:
                if each.outcome == LIKELY:
                    like = each.duplicate_of or f"line {each.duplicate_line}"
                    self.stderr.write(
                        f"Line {each.row.line}: likely already on the letter as “{like}”."
                    )
            summary = Summary.of(checked)
            already = f"{summary.skipped} already on the letter, " if summary.skipped else ""
            ready = sum(each.outcome == READY for each in checked)
            self.stdout.write(
                f"Dry run: {ready} rows ready, {already}{summary.refused} refused. "
                "Nothing was added."
            )
            return
        summary = import_rows(
            letter=target,
            rows=parsed.rows,
            paper_sheet=sheet,
            progress=terminal_progress(self.stderr, "Adding: "),
        )
        self.stdout.write(self.style.SUCCESS(f"{target}: {summary}."))
