"""Letter lifecycle buttons, counts per status, and paper sign-ups (typed and uploaded)."""

import io

import pytest
from django.urls import reverse

from letters.models import LetterStatusChange
from signatories.models import Signatory
from tests.factories import LetterFactory, SignatoryFactory

pytestmark = pytest.mark.django_db


def change_url(letter):
    return reverse("admin:letters_letter_change", args=[letter.pk])


def transition(client, letter, status):
    url = reverse("admin:letters_letter_transition", args=[letter.pk, status])
    response = client.post(url, follow=True)
    return response, [str(m) for m in response.context["messages"]] if response.context else []


class TestLifecycle:
    def test_buttons_follow_the_lifecycle_and_record_who(self, admin_client, admin_user):
        letter = LetterFactory(status="draft")
        page = admin_client.get(change_url(letter)).content.decode()
        assert "Open for signatures</button>" in page
        assert "Mark as delivered</button>" not in page

        for status in ["open", "closed", "delivered"]:
            response, notes = transition(admin_client, letter, status)
            assert response.redirect_chain == [(change_url(letter), 302)]
            assert notes == [f"The letter is now {dict(letter.Status.choices)[status].lower()}."]

        letter.refresh_from_db()
        assert letter.status == "delivered"
        assert (
            list(LetterStatusChange.objects.values_list("changed_by", flat=True))
            == [admin_user.pk] * 3
        )
        assert (
            "its status cannot change any more"
            in admin_client.get(change_url(letter)).content.decode()
        )

    def test_a_refused_transition_is_explained(self, admin_client):
        letter = LetterFactory(status="open")
        _, notes = transition(admin_client, letter, "delivered")
        _, nonsense = transition(admin_client, letter, "exploded")
        letter.refresh_from_db()
        assert letter.status == "open"
        assert notes == ["Close the letter to new signatures before marking it delivered."]
        assert nonsense == ["There is no letter status called “exploded”."]

    def test_transitions_need_post_and_change_permission(self, admin_client, moderator_client):
        letter = LetterFactory(status="draft")
        url = reverse("admin:letters_letter_transition", args=[letter.pk, "open"])
        assert admin_client.get(url).status_code == 405
        assert moderator_client.post(url).status_code == 403
        letter.refresh_from_db()
        assert letter.status == "draft"

    def test_unknown_letter_is_404(self, admin_client):
        assert admin_client.post("/admin/letters/letter/999/transition/open/").status_code == 404
        assert admin_client.get("/admin/letters/letter/abc/paper/").status_code == 404

    def test_change_page_counts_signatures_per_status_and_links_the_public_page(
        self, admin_client, letter
    ):
        SignatoryFactory.create_batch(3, letter=letter)
        SignatoryFactory.create_batch(2, letter=letter, status="pending")
        SignatoryFactory(letter=letter, status="rejected")
        SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
        SignatoryFactory(letter=letter, withdrawn_at="2026-01-01T00:00Z")
        html = admin_client.get(change_url(letter)).content.decode()
        assert "<strong>3</strong> published · 3 approved" in html
        assert "2 awaiting a decision</a> · 1 rejected · 1 not confirmed · 1 withdrawn" in html
        assert f'href="{letter.get_absolute_url()}"' in html


def rows(*entries):
    data = {
        "paper_sheet": "S-0042",
        "rows-TOTAL_FORMS": "10",
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "200",
    }
    for i in range(10):
        name, affiliation, email, kind = (
            [*entries[i], "", "", ""][:4] if i < len(entries) else ("", "", "", "")
        )
        data.update(
            {
                f"rows-{i}-name": name,
                f"rows-{i}-affiliation": affiliation,
                f"rows-{i}-email": email,
                f"rows-{i}-kind": kind or "individual",
            }
        )
    return data


class TestTypingPage:
    def url(self, letter):
        return reverse("admin:letters_letter_paper", args=[letter.pk])

    def test_renders_with_ten_rows(self, organiser_client, letter):
        response = organiser_client.get(self.url(letter))
        assert response.status_code == 200
        assert response.content.decode().count('name="rows-') >= 40
        assert "E-mail (optional, never published)" in response.content.decode()

    def test_adds_typed_rows_as_approved_paper_signatures_once(self, organiser_client, letter):
        data = rows(
            ("ИВАН ПЕТРОВ", "КТР Казахстана", "ivan@example.org"),
            ("Unite Camden Branch", "", "", "organisation"),
            ("Neil Rothnie", "RMT, personal capacity"),
        )
        response = organiser_client.post(self.url(letter), data, follow=True)

        assert "Paper sign-ups: 3 added, 0 skipped" in response.content.decode()
        added = Signatory.objects.filter(letter=letter)
        assert added.count() == 3
        assert set(added.values_list("source", "status", "paper_sheet")) == {
            ("paper", "approved", "S-0042")
        }
        assert letter.signatories.published().count() == 3
        assert added.get(kind="organisation").name == "Unite Camden Branch"

        again = organiser_client.post(self.url(letter), data, follow=True)
        assert "0 added, 3 skipped as already on the letter" in again.content.decode()
        assert added.count() == 3

    def test_a_bad_row_saves_nothing_and_says_which(self, organiser_client, letter):
        data = rows(("Good Name", "", ""), ("Bad Mail", "", "bad@"), ("A" * 300, "", ""))
        response = organiser_client.post(self.url(letter), data)
        assert response.status_code == 400
        html = response.content.decode()
        assert "Enter a valid email address." in html
        assert "at most 200 characters" in html
        assert not Signatory.objects.exists()

    def test_moderators_do_not_see_it(self, moderator_client, letter):
        assert moderator_client.get(self.url(letter)).status_code == 403


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
            (6, "Kind: Select a valid choice."),
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

    def test_a_10_mb_file_is_refused(self, organiser_client, letter, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
        big = b"name\n" + b"A Name\n" * (10 * 1024 * 1024 // 7)
        response = upload(organiser_client, letter, big)
        assert response.status_code == 400
        assert "the limit is 2 MB" in response.content.decode()
        assert not Signatory.objects.exists()

    def test_moderator_cannot_upload(self, moderator_client, letter):
        assert upload(moderator_client, letter, GOOD_CSV).status_code == 403
