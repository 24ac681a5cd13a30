"""Uploading paper sign-ups as a CSV: preview, confirm, refuse what cannot be imported."""

import io

import pytest
from django.urls import reverse

from signatories.models import Signatory

pytestmark = pytest.mark.django_db


def upload(client, letter, content, name="sheet.csv", sheet=""):
    url = reverse("admin:letters_letter_import", args=[letter.pk])
    file = io.BytesIO(content)
    file.name = name
    return client.post(url, {"file": file, "paper_sheet": sheet})


def confirm(client, letter):
    return client.post(
        reverse("admin:letters_letter_import", args=[letter.pk]), {"confirm": "1"}, follow=True
    )


GOOD_CSV = (
    "\ufeffName,Organisation,Email,Kind\r\n"
    "Иван Петров,Конфедерация труда России,ivan@example.org,individual\r\n"
    "Қанат Әбілов,,,\r\n"
    "RMT Offshore Energy Branch,,,organisation\r\n"
).encode()


class TestCsvUpload:
    def test_get_shows_the_form(self, organiser_client, letter):
        response = organiser_client.get(reverse("admin:letters_letter_import", args=[letter.pk]))
        assert response.status_code == 200
        assert "Columns: name, organisation, email, kind" in response.content.decode()

    def test_preview_then_confirm_then_reimport_adds_nothing(self, organiser_client, letter):
        preview = upload(organiser_client, letter, GOOD_CSV, sheet="S-7")
        assert preview.status_code == 200
        html = preview.content.decode()
        assert (
            "Preview: 3 rows ready" in html and "Иван Петров" in html and "ivan@example.org" in html
        )
        assert not Signatory.objects.exists()

        done = confirm(organiser_client, letter)
        assert "3 added, 0 skipped as already on the letter, 0 refused" in done.content.decode()
        assert set(Signatory.objects.values_list("name", "source", "paper_sheet")) == {
            ("Иван Петров", "paper", "S-7"),
            ("Қанат Әбілов", "paper", "S-7"),
            ("RMT Offshore Energy Branch", "paper", "S-7"),
        }

        upload(organiser_client, letter, GOOD_CSV)
        again = confirm(organiser_client, letter)
        assert "0 added, 3 skipped as already on the letter" in again.content.decode()
        assert Signatory.objects.count() == 3

    def test_confirm_without_a_pending_file_imports_nothing(self, organiser_client, letter):
        response = confirm(organiser_client, letter)
        assert "Nothing to import: upload the file again." in response.content.decode()

    def test_bad_rows_are_refused_by_line_and_good_ones_kept(self, organiser_client, letter):
        content = (
            b"name,organisation,email,kind\n"
            b"Good Person,,good@example.org,\n"
            b",Nameless,,\n"
            b"Bad Mail,,bad@,\n"
            b"Nul\x00Byte,,,\n"
            b"Robot,,,robot\n"
        )
        html = upload(organiser_client, letter, content).content.decode()
        assert "Preview: 1 row ready, 4 refused" in html
        for line, message in [
            (3, "Name: This field is required."),
            (4, "E-mail: Enter a valid email address."),
            (5, "Name: Please remove the invisible control characters"),
            (6, "Kind: “robot” is not a kind of signatory"),
        ]:
            assert f"<td>{line}</td>" in html
            assert message in html
        done = confirm(organiser_client, letter)
        assert "1 added, 0 skipped as already on the letter, 4 refused" in done.content.decode()

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"fullname,email\nAda,ada@example.org\n", "the header needs the column name"),
            ("name\nÉmile\n".encode("cp1252"), "The file is not UTF-8"),
            (b"", "The submitted file is empty."),
            (b"name\n,\n", "No row in this file can be imported"),
        ],
    )
    def test_files_that_cannot_be_imported(self, organiser_client, letter, content, message):
        response = upload(organiser_client, letter, content)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not Signatory.objects.exists()

    def test_a_file_over_20_mb_is_refused(self, organiser_client, letter, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
        big = b"name\n" + b"A Name\n" * (21 * 1024 * 1024 // 7)
        response = upload(organiser_client, letter, big)
        assert response.status_code == 400
        assert "the limit is 20 MB" in response.content.decode()
        assert not Signatory.objects.exists()

    def test_moderator_cannot_upload(self, moderator_client, letter):
        assert upload(moderator_client, letter, GOOD_CSV).status_code == 403


def test_a_big_file_lists_only_the_rows_that_need_a_look_and_imports_them_all(
    organiser_client, letter, monkeypatch
):
    from letters.admin import imports

    monkeypatch.setattr(imports, "LIST_WHOLE_UP_TO", 5)
    lines = ["name,organisation,email"] + [f"Person{n:03d} Name,RMT," for n in range(30)]
    lines += ["ALL CAPITALS PERSON,,", "Robot,,not-an-address"]
    response = upload(organiser_client, letter, "\n".join(lines).encode())
    html = response.content.decode()
    assert "30 rows ready to add are not listed here." in html
    assert "Person001 Name" not in html
    assert "As <strong>All Capitals Person</strong>" in html and "Enter a valid email" in html
    done = organiser_client.post(
        reverse("admin:letters_letter_import", args=[letter.pk]), {"confirm": "1"}, follow=True
    )
    assert "31 added, 0 skipped as already on the letter, 1 refused" in done.content.decode()
    assert Signatory.objects.filter(letter=letter).count() == 31
