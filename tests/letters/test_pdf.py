"""The signed-letter PDF: the seed order, names printed literally, two columns, fonts."""

import io
import re

import pytest

from campaign import demo
from letters import fonts
from letters.pdf import TWO_COLUMNS_FROM, render_letter_pdf
from signatories.models import Signatory
from tests.factories import SignatoryFactory
from tests.helpers import pdf_reader_and_pages as pdf_text

pytestmark = pytest.mark.django_db


def render(letter):
    buffer = io.BytesIO()
    render_letter_pdf(letter, buffer)
    return buffer.getvalue()


def test_seed_letter_pdf_reads_back_in_the_seed_order(seed_letter):
    reader, pages = pdf_text(render(seed_letter))
    text = "\n".join(pages)

    assert "Dear Mr Hague," in text
    assert "To: The Foreign Secretary" in text
    assert f"16 December {demo.next_anniversary().year}" in text
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
    # "of m" is a form drawn once m is known: pypdf reads it after a line break.
    assert all(
        f"Page {n} of {len(pages)}" in " ".join(page.split()) for n, page in enumerate(pages, 1)
    )
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
        assert f"Page {number} of {len(pages)}" in " ".join(page.split())
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


def test_every_font_is_embedded_and_the_names_read_back_with_print_tools(letter, tmp_path):
    """qpdf, pdffonts and pdftotext, as a print shop's tools read the file."""
    from tests.helpers import assert_printable_pdf

    SignatoryFactory(letter=letter, name="Ұлжан Сейітқали", affiliation="Қазақстан")
    SignatoryFactory(letter=letter, name="Unite Camden Branch", kind="organisation")
    path = tmp_path / "letter.pdf"
    path.write_bytes(render(letter))
    assert_printable_pdf(path, ["Ұлжан Сейітқали (Қазақстан)", "Unite Camden Branch"])


def test_the_page_count_is_reported(letter):
    SignatoryFactory.create_batch(TWO_COLUMNS_FROM + 1, letter=letter)
    stats = {}
    render_letter_pdf(letter, io.BytesIO(), stats=stats)
    assert stats["pages"] == len(pdf_text(render(letter))[1])


def test_text_tools_read_the_names_in_the_printed_order_column_by_column(letter, tmp_path):
    """pdftotext without -raw, as copy and paste and screen readers read the page."""
    import random
    import subprocess

    rng = random.Random(7)
    words = ["Unite", "RMT", "Union Solidarity International", "personal capacity", "GMB, London"]
    for n in range(240):
        affiliation = ", ".join(rng.sample(words, rng.randint(0, 3)))
        SignatoryFactory(letter=letter, name=f"Name{n:03d} Surname{n:03d}", affiliation=affiliation)
    path = tmp_path / "letter.pdf"
    path.write_bytes(render(letter))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    read = [int(n) for n in re.findall(r"Name(\d{3}) Surname", text)]
    printed = [int(s.name[4:7]) for s in Signatory.objects.filter(letter=letter).for_delivery()]
    assert read == printed


@pytest.mark.parametrize("language", ["en", "kk"])
def test_the_pdf_says_its_language(letter, tmp_path, language):
    """/Lang for screen readers; the XMP packet, which `pdfinfo -meta` shows, for the rest."""
    import subprocess
    import xml.etree.ElementTree as ET

    letter.language, letter.title = language, "Хат <Қ> & co"
    letter.save()
    reader, _ = pdf_text(render(letter))
    assert reader.trailer["/Root"]["/Lang"] == language

    path = tmp_path / "letter.pdf"
    path.write_bytes(render(letter))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "Metadata Stream: yes" in info
    meta = subprocess.run(["pdfinfo", "-meta", str(path)], capture_output=True, text=True).stdout
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    dc = "{http://purl.org/dc/elements/1.1/}"
    packet = meta[meta.index("<x:xmpmeta") : meta.index("</x:xmpmeta>") + 12]
    root = ET.fromstring(packet)  # noqa: S314 - our own output, in a test
    assert [li.text for li in root.find(f".//{dc}language/{rdf}Bag")] == [language]
    assert root.find(f".//{dc}title/{rdf}Alt/{rdf}li").text == "Хат <Қ> & co"


def test_finished_pages_wait_on_disk_not_in_memory(letter, monkeypatch):
    """Before the file is written, every page is a stub sharing one set of settings; the
    drawing of each is in the spill file. (bench/scale.py measures the memory itself.)"""
    from letters import pdf

    Signatory.objects.bulk_create(
        SignatoryFactory.build(letter=letter, name=f"Person{i:04d} Name", email=f"m{i}@x.net")
        for i in range(600)
    )
    seen = {}
    real_save = pdf.StreamingCanvas.save

    def save(canvas):
        pages = canvas._doc.Pages.pages
        seen["stubs"] = all(isinstance(page, pdf.SpilledPage) for page in pages)
        seen["pages"] = len(pages)
        seen["settings"] = len({id(page.settings) for page in pages})
        seen["spilled"] = canvas._spill.tell()
        return real_save(canvas)

    monkeypatch.setattr(pdf.StreamingCanvas, "save", save)
    data = render(letter)

    assert seen["stubs"] and seen["pages"] >= 6
    assert seen["settings"] <= 2  # the letter's own pages, and the pages of names
    assert seen["spilled"] > 0
    _, pages = pdf_text(data)
    assert len(pages) == seen["pages"]
    assert len(re.findall(r"Person\d{4}", "\n".join(pages))) == 600


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_count_printed_is_the_names_printed_while_names_change(monkeypatch):
    """The names come in batches; one approved elsewhere while the PDF is half made does
    not print under a count that leaves it out: the render reads one snapshot."""
    import threading

    from django.db import connection

    from letters import name_list
    from tests.factories import LetterFactory

    if connection.vendor != "postgresql":
        pytest.skip("a snapshot across batches is PostgreSQL's REPEATABLE READ")
    letter = LetterFactory()
    SignatoryFactory.create_batch(5, letter=letter)
    late = SignatoryFactory(letter=letter, name="Zed Zzyzx", status="pending")  # sorts last
    real = name_list.listed_in_delivery_order

    def approve_elsewhere():
        Signatory.objects.filter(pk=late.pk).update(status="approved")
        connection.close()

    def slow(*args, **kwargs):
        for number, row in enumerate(real(*args, **kwargs, batch_size=2)):
            if number == 2:  # another moderator, another connection, committed at once
                worker = threading.Thread(target=approve_elsewhere)
                worker.start()
                worker.join()
            yield row

    monkeypatch.setattr("letters.pdf.listed_in_delivery_order", slow)
    joined = "\n".join(pdf_text(render(letter))[1])
    assert "5 signatures" in joined and "Zed Zzyzx" not in joined
    assert Signatory.objects.get(pk=late.pk).status == "approved"
