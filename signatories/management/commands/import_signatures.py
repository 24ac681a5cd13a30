from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.progress import terminal_progress
from letters.management import letter_for_command
from signatories.paper import (
    ALREADY,
    LIKELY,
    Summary,
    check_rows,
    import_rows,
    parse_csv,
)

# A dry run names this many rows that need a look, then counts the rest: importing a file
# again would otherwise print a line for every row of it.
LISTED = 100
ADD_ANYWAY = (
    "to add a true namesake, import those lines in the admin (the letter's Import CSV) "
    "and tick “Add anyway”"
)


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
            notes = [note for each in checked if (note := self._note(each))]
            for note in notes[:LISTED]:
                self.stdout.write(note)
            if len(notes) > LISTED:
                self.stdout.write(f"… and {len(notes) - LISTED:,} more rows like these.")
            summary = Summary.of(checked)
            already = f"{summary.skipped:,} already on the letter, " if summary.skipped else ""
            self.stdout.write(
                f"Dry run: {summary.added:,} rows ready, {already}{summary.refused:,} refused. "
                "Nothing was added."
            )
            return
        self.stderr.style_func = None  # the progress bar in plain text, not an error's colour
        summary = import_rows(
            letter=target,
            rows=parsed.rows,
            paper_sheet=sheet,
            progress=terminal_progress(self.stderr, "Adding: "),
        )
        self.stdout.write(
            self.style.SUCCESS(f"{target}: {summary.describe(how_to_add_anyway=ADD_ANYWAY)}.")
        )

    @staticmethod
    def _note(each):
        """What a dry run says of a row that will not simply be added, or None."""
        line = f"Line {each.row.line}"
        if each.outcome == LIKELY:
            like = each.duplicate_of or f"line {each.duplicate_line}"
            return f"{line}: likely already on the letter as “{like}”."
        if each.outcome == ALREADY and each.duplicate_of is None:
            return f"{line}: the same e-mail as line {each.duplicate_line}; skipped."
        return None
