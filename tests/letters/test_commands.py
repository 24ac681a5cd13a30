"""export_letter writes the PDF or the CSV."""

import io

import pytest
from django.core.management import CommandError, call_command

from tests.factories import SignatoryFactory
from tests.helpers import pdf_reader_and_pages as pdf_text

pytestmark = pytest.mark.django_db


class TestExportCommand:
    def test_pdf_and_csv(self, letter, tmp_path):
        SignatoryFactory(letter=letter, name="Ада Лавлейс", email="ada@example.net")
        out = io.StringIO()
        call_command(
            "export_letter",
            letter.slug,
            "--format",
            "pdf",
            "-o",
            str(tmp_path / "l.pdf"),
            stdout=out,
        )
        call_command(
            "export_letter",
            letter.slug,
            "--format",
            "csv",
            "-o",
            str(tmp_path / "l.csv"),
            stdout=out,
        )

        assert "Ада Лавлейс" in pdf_text((tmp_path / "l.pdf").read_bytes())[1][0]
        csv_text = (tmp_path / "l.csv").read_text(encoding="utf-8-sig")
        assert "ada@example.net" in csv_text
        assert "Wrote" in out.getvalue() and "(PDF, 1 names)" in out.getvalue()

    def test_errors(self, letter, tmp_path):
        with pytest.raises(CommandError, match="No letter with the slug"):
            call_command("export_letter", "nope", "-o", str(tmp_path / "x.pdf"))
        with pytest.raises(CommandError, match="Cannot write"):
            call_command("export_letter", letter.slug, "-o", str(tmp_path / "missing" / "x.pdf"))
