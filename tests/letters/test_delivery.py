"""The signed-letter PDF, the staff CSV, paper sheets and the frozen delivery record."""

import hashlib
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from pypdf import PdfReader

from campaign import demo
from letters import fonts
from letters.csv_export import neutralise
from letters.models import Delivery
from letters.pdf import TWO_COLUMNS_FROM, render_letter_pdf
from letters.services.lifecycle import letter_transition
from signatories.models import Signatory
from tests.factories import LetterFactory, SignatoryFactory

pytestmark = pytest.mark.django_db


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return reader, [page.extract_text() for page in reader.pages]


def render(letter):
    buffer = io.BytesIO()
    render_letter_pdf(letter, buffer)
    return buffer.getvalue()


@pytest.fixture
def seed_letter():
    call_command("load_demo", "--no-login", stdout=io.StringIO())
    from letters.models import Letter

    return Letter.objects.get()


def test_seed_letter_pdf_reads_back_in_the_seed_order(seed_letter):
    reader, pages = pdf_text(render(seed_letter))
    text = "\n".join(pages)

    assert "Dear Mr Hague," in text
    assert "To: The Foreign Secretary" in text
    assert "16 December 2013" in text
    assert "Yours sincerely," in text
    for number in "1234":
        assert re.search(rf"\n{number}\. To ", text)
    organisation = demo.ORGANISATIONS[0][0]
    expected = [organisation.split(",")[0]] + [
        f"{name} ({affiliation})".split(",")[0] for name, affiliation in demo.INDIVIDUALS
    ]
    flat = " ".join(text.split())
    positions = [flat.find(" ".join(e.split())) for e in expected]
    assert -1 not in positions, expected[positions.index(-1)]
    assert positions == sorted(positions)
    assert "@" not in text
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, start=1))
    assert all("23 signatures" in page for page in pages)
    assert reader.metadata.title == seed_letter.title


def test_names_print_literally_in_any_script_and_hidden_ones_do_not_print(letter):
    SignatoryFactory(letter=letter, name="Қанат Әбілов", affiliation="Қ Ө Ү Ұ Ғ Ң І Ә")
    SignatoryFactory(letter=letter, name="Жанат Мырынбаев")
    SignatoryFactory(letter=letter, name="<b>Smith & Sons</b>", kind="organisation")
    SignatoryFactory(letter=letter, name="<font size=40>Big</font> &amp;")
    SignatoryFactory(letter=letter, name="Rejected Person", status="rejected")
    SignatoryFactory(letter=letter, name="Withdrawn Person", withdrawn_at="2026-01-01T00:00Z")
    SignatoryFactory(letter=letter, name="Unconfirmed Person", confirmed_at=None, status="pending")

    _, pages = pdf_text(render(letter))
    text = "\n".join(pages)

    assert "Қанат Әбілов (Қ Ө Ү Ұ Ғ Ң І Ә)" in text
    assert "Жанат Мырынбаев" in text
    assert "<b>Smith & Sons</b>" in text
    assert "<font size=40>Big</font> &amp;" in text
    assert text.index("<b>Smith & Sons</b>") < text.index("Жанат")  # organisations first
    for hidden in ["Rejected Person", "Withdrawn Person", "Unconfirmed Person", "@example"]:
        assert hidden not in text
    assert "4 signatures" in text


def test_a_long_list_goes_to_two_columns_and_every_page_is_numbered(letter):
    count = TWO_COLUMNS_FROM * 6
    Signatory.objects.bulk_create(
        SignatoryFactory.build(
            letter=letter,
            name=f"Person{i:04d} Surname{i:04d}",
            affiliation="",
            email=f"p{i}@example.net",
        )
        for i in range(count)
    )
    _, pages = pdf_text(render(letter))

    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert f"{count:,} signatures" in page
    # Two columns: a names page holds about twice what one column would.
    names_on_page_2 = len(re.findall(r"Person\d{4}", pages[1]))
    assert names_on_page_2 > 80
    assert len(re.findall(r"Person\d{4}", "\n".join(pages))) == count


def test_a_missing_font_is_a_clear_error(letter, settings, monkeypatch):
    settings.PDF_FONT_DIR = "/nowhere"
    monkeypatch.setattr(fonts, "FALLBACK_DIRS", [])
    fonts.register_fonts.cache_clear()
    try:
        with pytest.raises(fonts.FontMissing, match=r"DejaVuSerif\.ttf.*fonts-dejavu-core"):
            render(letter)
    finally:
        fonts.register_fonts.cache_clear()


class TestCsvExport:
    def url(self, letter):
        return reverse("admin:letters_letter_csv", args=[letter.pk])

    def test_only_contact_permission_holders_export(self, moderator_client, letter):
        assert moderator_client.get(self.url(letter)).status_code == 403

    def test_bom_rows_and_neutralised_formulas_streamed(self, organiser_client, letter):
        SignatoryFactory(letter=letter, name='=HYPERLINK("http://evil")', email="a@example.net")
        SignatoryFactory(
            letter=letter, name="Иван Петров", affiliation="+7 union", email="b@example.net"
        )
        SignatoryFactory(letter=letter, name="Gone", withdrawn_at="2026-01-01T00:00Z")

        response = organiser_client.get(self.url(letter))

        assert response.status_code == 200
        assert response.streaming
        chunks = list(response.streaming_content)
        assert len(chunks) == 3  # header and one line per row, each sent as it is made
        body = b"".join(chunks).decode("utf-8")
        assert body.startswith("\ufeffname,organisation,email,")
        assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body
        assert "'+7 union" in body
        assert "Иван Петров" in body and "b@example.net" in body
        assert "Gone" not in body
        assert "no-store" in response["Cache-Control"]

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("=1+1", "'=1+1"),
            ("+44", "'+44"),
            ("-x", "'-x"),
            ("@SUM", "'@SUM"),
            ("\tx", "'\tx"),
            ("ok", "ok"),
        ],
    )
    def test_neutralise(self, value, expected):
        assert neutralise(value) == expected


class TestAdminDelivery:
    def test_pdf_button_and_action(self, admin_client, letter):
        SignatoryFactory(letter=letter, name="Ada Lovelace")
        page = admin_client.get(reverse("admin:letters_letter_change", args=[letter.pk]))
        assert "Signed letter (PDF)" in page.content.decode()

        response = admin_client.get(reverse("admin:letters_letter_pdf", args=[letter.pk]))
        assert response["Content-Type"] == "application/pdf"
        assert "Ada Lovelace" in pdf_text(b"".join(response.streaming_content))[1][0]

        action = admin_client.post(
            reverse("admin:letters_letter_changelist"),
            {"action": "download_pdf", "_selected_action": [letter.pk]},
        )
        assert action["Content-Type"] == "application/pdf"
        two = admin_client.post(
            reverse("admin:letters_letter_changelist"),
            {"action": "download_pdf", "_selected_action": [letter.pk, LetterFactory().pk]},
            follow=True,
        )
        assert "Select exactly one letter." in two.content.decode()

    def test_export_action_needs_the_contact_permission(
        self, moderator_client, organiser_client, letter
    ):
        data = {"action": "export_contacts", "_selected_action": [letter.pk]}
        url = reverse("admin:letters_letter_changelist")
        assert organiser_client.post(url, data)["Content-Type"].startswith("text/csv")
        refused = moderator_client.post(url, data)
        assert not refused.get("Content-Type", "").startswith("text/csv")

    def test_paper_sheets_are_numbered_and_printed(self, organiser_client, letter):
        url = reverse("admin:letters_letter_sheets", args=[letter.pk])
        assert organiser_client.get(url).status_code == 200

        first = organiser_client.post(url, {"count": 3})
        second = organiser_client.post(url, {"count": 1})

        assert first["Content-Type"] == "application/pdf"
        _, pages = pdf_text(b"".join(first.streaming_content))
        assert len(pages) == 3
        assert [f"L{letter.pk}-000{n}" in page for n, page in enumerate(pages, start=1)] == [
            True
        ] * 3
        assert "Name (BLOCK LETTERS)" in pages[0]
        assert "E-mail (to contact you, not published)" in pages[0]
        assert "Send me updates" in pages[0]
        _, pages = pdf_text(b"".join(second.streaming_content))
        assert f"L{letter.pk}-0004" in pages[0]
        assert organiser_client.post(url, {"count": 0}).status_code == 400
        assert organiser_client.post(url, {"count": 1000}).status_code == 400

    def test_moderators_cannot_print_sheets(self, moderator_client, letter):
        assert (
            moderator_client.get(
                reverse("admin:letters_letter_sheets", args=[letter.pk])
            ).status_code
            == 403
        )


class TestDeliveryRecord:
    def deliver(self, letter, user=None):
        letter_transition(letter=letter, to_status="closed", changed_by=user)
        letter_transition(letter=letter, to_status="delivered", changed_by=user)
        return Delivery.objects.get(letter=letter)

    def test_marking_delivered_freezes_the_pdf(self, client, admin_user, seed_letter):
        delivery = self.deliver(seed_letter, admin_user)

        assert delivery.signature_count == 23
        assert delivery.delivered_by == admin_user
        assert delivery.place.startswith("Foreign Office")
        assert hashlib.sha256(bytes(delivery.pdf)).hexdigest() == delivery.sha256
        frozen = bytes(delivery.pdf)

        Signatory.objects.filter(name="Owen Jones").update(withdrawn_at="2026-11-01T00:00Z")
        SignatoryFactory(letter=seed_letter, name="Late Comer")
        delivery.refresh_from_db()
        assert bytes(delivery.pdf) == frozen

        page = client.get(seed_letter.get_absolute_url()).content.decode()
        assert "It was handed in on" in page and "<strong>23</strong> signatures" in page
        assert "cannot be recalled" in page
        served = client.get(reverse("letters:delivered_pdf", kwargs={"slug": seed_letter.slug}))
        assert served["Content-Type"] == "application/pdf"
        assert served.content == frozen
        _, pages = pdf_text(served.content)
        assert "Owen Jones" in "\n".join(pages) and "Late Comer" not in "\n".join(pages)
        assert "@" not in "\n".join(pages)

    def test_no_delivered_pdf_before_delivery(self, client, letter):
        assert (
            client.get(reverse("letters:delivered_pdf", kwargs={"slug": letter.slug})).status_code
            == 404
        )

    def test_admin_shows_the_record_read_only(self, admin_client, letter):
        delivery = self.deliver(letter)
        assert admin_client.get(reverse("admin:letters_delivery_changelist")).status_code == 200
        page = admin_client.get(reverse("admin:letters_delivery_change", args=[delivery.pk]))
        assert delivery.sha256 in page.content.decode()


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
