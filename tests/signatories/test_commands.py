import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from signatories.models import Signatory
from signatories.roles import MODERATORS, ORGANISERS

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class TestImportSignatures:
    @pytest.fixture
    def csv_file(self, tmp_path):
        path = tmp_path / "sheet.csv"
        path.write_bytes(
            "\ufeffname,organisation,email,kind\r\n"
            "Иван Петров,КТР,ivan@example.org,\r\n"
            "Ұлжан Сейітқали,,,\r\n"
            ",nameless,,\r\n".encode()
        )
        return path

    def test_imports_reports_refused_lines_and_is_idempotent(self, letter, csv_file):
        out, err = run("import_signatures", letter.slug, str(csv_file), "--sheet", "S-9")
        assert "2 added, 0 skipped as already on the letter, 1 refused" in out
        assert "Line 4: refused: Name: This field is required." in err
        assert set(Signatory.objects.values_list("name", "source", "status", "paper_sheet")) == {
            ("Иван Петров", "paper", "approved", "S-9"),
            ("Ұлжан Сейітқали", "paper", "approved", "S-9"),
        }

        out, _ = run("import_signatures", letter.slug, str(csv_file))
        assert "0 added, 2 skipped as already on the letter, 1 refused" in out
        assert Signatory.objects.count() == 2

    def test_a_file_bigger_than_the_admin_takes_imports_from_the_shell(
        self, letter, csv_file, monkeypatch
    ):
        from signatories import paper

        monkeypatch.setattr(paper, "MAX_CSV_BYTES", 10)  # the admin's cap: not the command's
        out, _ = run("import_signatures", letter.slug, str(csv_file))
        assert "2 added" in out

    def test_dry_run_adds_nothing(self, letter, csv_file):
        out, _ = run("import_signatures", letter.slug, str(csv_file), "--dry-run")
        assert "Dry run: 2 rows ready, 1 refused. Nothing was added." in out
        assert not Signatory.objects.exists()

    def test_clear_errors(self, letter, tmp_path, csv_file):
        with pytest.raises(CommandError, match="No letter with the slug"):
            run("import_signatures", "nope", str(csv_file))
        with pytest.raises(CommandError, match="Cannot read"):
            run("import_signatures", letter.slug, str(tmp_path / "missing.csv"))
        bad = tmp_path / "bad.csv"
        bad.write_bytes(b"fullname\nAda\n")
        with pytest.raises(CommandError, match="the header needs the column name"):
            run("import_signatures", letter.slug, str(bad))


def test_import_records_updates_and_a_dry_run_names_likely_duplicates(letter, tmp_path):
    from tests.factories import SignatoryFactory

    SignatoryFactory(letter=letter, name="Owen Jones", affiliation="columnist")
    path = tmp_path / "sheet.csv"
    path.write_text(
        "name,organisation,email,updates\nDana Ali,GMB,dana@example.net,y\nOWEN JONES,Columnist,,\n"
    )
    out, err = run("import_signatures", letter.slug, str(path), "--dry-run")
    assert "Dry run: 1 rows ready, 1 already on the letter, 0 refused." in out
    assert "Line 3: likely already on the letter as “Owen Jones (columnist)”." in out
    assert not err
    out, _ = run("import_signatures", letter.slug, str(path))
    assert "1 added, 1 skipped as already on the letter, 0 refused" in out
    # The command has no ticks: it says where a true namesake is added instead.
    assert "import those lines in the admin (the letter's Import CSV) and tick “Add anyway”" in out
    assert Signatory.objects.get(name="Dana Ali").consents_to_updates


def test_an_e_mail_given_twice_in_a_file_is_skipped_and_counted_once(letter, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text(
        "name,organisation,email,updates\n"
        "Paul Scott,Unite,paul@example.net,yes\n"
        "Someone Else,,PAUL@example.net,\n"
    )
    out, _ = run("import_signatures", letter.slug, str(path), "--dry-run")
    assert "Line 3: the same e-mail as line 2; skipped." in out
    assert "Dry run: 1 rows ready, 1 already on the letter, 0 refused." in out

    out, _ = run("import_signatures", letter.slug, str(path))
    assert "1 added, 1 skipped as already on the letter, 0 refused" in out
    assert "(1 of the skipped repeat the e-mail of an earlier row)" in out
    [stored] = Signatory.objects.filter(letter=letter)
    assert (stored.name, stored.email, stored.consents_to_updates) == (
        "Paul Scott",
        "paul@example.net",
        True,
    )


def test_a_dry_run_lists_a_hundred_rows_that_need_a_look_and_counts_the_rest(letter, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("name\n" + "Same Person\n" * 150)
    out, _ = run("import_signatures", letter.slug, str(path), "--dry-run")
    assert out.count("likely already on the letter as “line 2”") == 100
    assert "… and 49 more rows like these." in out
    assert "Dry run: 1 rows ready, 149 already on the letter, 0 refused." in out


def test_setup_roles_is_idempotent_and_keeps_contacts_from_moderators():
    out, _ = run("setup_roles")
    run("setup_roles")

    assert "Moderators: 10 permissions" in out
    moderators = Group.objects.get(name=MODERATORS)
    organisers = Group.objects.get(name=ORGANISERS)
    moderator_perms = set(moderators.permissions.values_list("codename", flat=True))
    organiser_perms = set(organisers.permissions.values_list("codename", flat=True))
    assert "change_signatory" in moderator_perms
    assert "view_contact_details" not in moderator_perms
    assert "add_signatory" not in moderator_perms
    assert {"view_contact_details", "add_signatory", "change_letter"} <= organiser_perms
    assert Group.objects.count() == 2
