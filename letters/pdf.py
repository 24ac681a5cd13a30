"""The signed letter as it is handed in: A4, the letter text, then the names.

Organisations come first in bold, then individuals by sort name, each as
"Name (organisation or title)", as the seed letter prints them. Names are
drawn as plain strings, never parsed as markup, so "<b>Smith & Sons</b>"
prints exactly so.

Memory stays flat whatever the number of names (a million names is some
9,000 pages):

- names come from the database a batch at a time, along the delivery
  order's index (letters/name_list.py);
- each page's drawing is written to a spill file the moment the page is
  finished, and only a small stub of it stays in memory
  (`StreamingCanvas`), where ReportLab keeps every page until the end;
- "Page n of m" is drawn with m as a form that is defined once m is known,
  at the end, instead of holding every page back to number it;
- the file is written object by object as it is formatted
  (`write_streaming`), where ReportLab builds the whole file in memory.

ReportLab's own classes do the drawing, fonts and formatting; what is
replaced is where finished pages wait (reportlab is pinned, and
tests/letters/test_pdf.py reads every PDF back with qpdf, pdffonts and
pdftotext).
"""

import functools
import os
import tempfile
import zlib
from xml.sax.saxutils import escape

from django.utils import formats
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfdoc import XMP, PDFObject
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)

from config.db import one_snapshot
from letters.fonts import register_fonts
from letters.name_list import listed_in_delivery_order
from letters.selectors import letter_signature_counts
from signatories.models import Signatory

# Up to this many names print in one column straight after the letter, as in
# the seed; longer lists start on a fresh page in two columns.
TWO_COLUMNS_FROM = 40
MARGIN = 20 * mm
FOOTER_Y = 11 * mm
NAME_SIZE = 9.5
NAME_LEADING = 12.5


def wrap_text(text, font, size, width):
    """Break text into lines that fit width; words longer than a line are cut."""
    if stringWidth(text, font, size) <= width:
        return [text]  # nearly every name: one measurement, not one per word
    lines, current = [], ""
    for word in text.split(" "):
        while stringWidth(word, font, size) > width:
            cut = len(word)
            while cut > 1 and stringWidth(word[:cut], font, size) > width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, font, size) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


class NameLine(Flowable):
    """One signatory: a few strings, much lighter than a Paragraph."""

    indent = 10

    def __init__(self, text, font, *, key=None, pages=None):
        super().__init__()
        self.text = text
        self.font = font
        self.lines = []
        self.key, self.pages = key, pages

    def wrap(self, avail_width, avail_height):
        self.lines = wrap_text(self.text, self.font, NAME_SIZE, avail_width - self.indent)
        # No space between names: a gap after each made every name a text block of
        # its own, and text tools (pdftotext, screen readers, copy and paste) then
        # read across the two columns instead of down one, then the other. A
        # name's second line is indented instead.
        self.height = len(self.lines) * NAME_LEADING
        return avail_width, self.height

    def split(self, avail_width, avail_height):
        return []  # a name is never cut across columns or pages

    def draw(self):
        if self.pages is not None and self.key is not None:
            self.pages(self.key, self.canv.getPageNumber())
        self.canv.setFont(self.font, NAME_SIZE)
        y = self.height - NAME_SIZE
        for number, line in enumerate(self.lines):
            self.canv.drawString(self.indent if number else 0, y, line)
            y -= NAME_LEADING


def name_text(name, affiliation):
    return f"{name} ({affiliation})" if affiliation else name


class LazyFlowables:
    """The list ReportLab's build() consumes, filled from an iterator as it goes.

    build() only looks at the front of its list (reads, deletes, re-inserts
    split parts), so a buffer in front of a database iterator is enough.
    """

    def __init__(self, head, tail):
        self._buffer = list(head)
        self._tail = iter(tail)
        self._exhausted = False

    def _fill(self, size):
        while len(self._buffer) < size and not self._exhausted:
            try:
                self._buffer.append(next(self._tail))
            except StopIteration:
                self._exhausted = True

    def __len__(self):
        # A lower bound, never 0 while anything is left: build() asks "is there
        # more?" and looks a flowable or two ahead. (Filling one further on
        # every call made the buffer, and each delete from its front, grow
        # with the number of names.)
        self._fill(2)
        return len(self._buffer)

    def _reach(self, index):
        if isinstance(index, slice):
            self._fill(len(self) if index.stop is None else index.stop)
        else:
            self._fill(index + 1)

    def __getitem__(self, index):
        self._reach(index)
        return self._buffer[index]

    def __setitem__(self, index, value):
        self._reach(index)
        self._buffer[index] = value

    def __delitem__(self, index):
        self._reach(index)
        del self._buffer[index]

    def insert(self, index, value):
        self._fill(index)
        self._buffer.insert(index, value)


TOTAL_FORM = "pages-total"
FOOTER_SIZE = 8
FOOTER_GREY = colors.HexColor("#555555")


class SpilledContent(PDFObject):
    """A finished page's drawing, compressed, waiting in the spill file until it is written.

    Registered right after its page, so it is written right after it too,
    and only one page's drawing is ever in memory.
    """

    __RefOnly__ = 1

    def __init__(self, spill, data):
        spill.seek(0, os.SEEK_END)
        self.spill, self.offset, self.length = spill, spill.tell(), len(data)
        spill.write(data)

    def format(self, document):
        self.spill.seek(self.offset)
        data = self.spill.read(self.length)
        # "Filter" set: PDFStream writes the bytes as they are, compressed already.
        flate = pdfdoc.PDFDictionary({"Filter": pdfdoc.PDFName("FlateDecode")})
        return pdfdoc.PDFStream(flate, data).format(document)


def _settings_key(value):
    """A hashable picture of a page setting, to tell pages set up alike (nearly all of them)."""
    if value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, pdfdoc.PDFObjectReference):
        return ("ref", value.name)
    if isinstance(value, pdfdoc.PDFDictionary):
        value = value.dict
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _settings_key(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("list", tuple(_settings_key(v) for v in value))
    return ("object", id(value))  # anything else is this page's own


class SpilledPage(PDFObject):
    """A finished page, kept as its settings (shared with every page set up alike) and
    where its drawing is (a SpilledContent).

    ReportLab registers a page under a name and lists it among the pages;
    this stands in both places until the file is written, when `format`
    builds the real page again.
    """

    __RefOnly__ = 1

    def __init__(self, page, content, alike):
        settings = {
            key: value
            for key, value in vars(page).items()
            if key not in {"stream", "__InternalName__"}
        }
        key = tuple(sorted((k, _settings_key(v)) for k, v in settings.items()))
        self.settings = alike.setdefault(key, settings)
        self.content = content

    def format(self, document):
        page = pdfdoc.PDFPage()
        vars(page).update(self.settings)
        page.Contents = self.content
        return page.format(document)


class StreamingCanvas(canvas.Canvas):
    """A canvas that keeps finished pages on disk and numbers them "Page n of m" in one pass."""

    def __init__(
        self,
        *args,
        footer="",
        footer_font="Helvetica",
        stats=None,
        metadata="",
        expected_pages=1,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self._metadata = metadata
        self._footer = footer
        self._footer_font = footer_font
        self._stats = stats
        self._spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed in save()
        self._alike = {}  # page settings seen, shared by the pages set up alike
        # DejaVu's digits are all one width: m's width is known from its number of digits.
        digits = len(str(max(expected_pages, 1)))
        self._total_width = digits * stringWidth("0", footer_font, FOOTER_SIZE)

    def showPage(self):
        self._draw_footer()
        super().showPage()
        pages = self._doc.Pages.pages
        page = pages[-1]
        # Compressed as ReportLab would at the end (UTF-8, zlib), but now, onto disk.
        content = SpilledContent(self._spill, zlib.compress(page.stream.encode("utf-8")))
        stub = SpilledPage(page, self._doc.Reference(content), self._alike)
        stub.__InternalName__ = page.__InternalName__
        self._doc.idToObject[stub.__InternalName__] = stub
        pages[-1] = stub

    def _draw_footer(self):
        self.saveState()
        self.setFont(self._footer_font, FOOTER_SIZE)
        self.setFillColor(FOOTER_GREY)
        self.drawString(MARGIN, FOOTER_Y, self._footer)
        total_at = A4[0] - MARGIN - self._total_width
        self.drawRightString(total_at, FOOTER_Y, f"Page {self.getPageNumber()} of ")
        self.translate(total_at, FOOTER_Y)
        self.doForm(TOTAL_FORM)
        self.restoreState()

    def save(self):
        if len(self._code):
            self.showPage()
        total = self.getPageNumber() - 1
        if self._stats is not None:
            self._stats["pages"] = total
        self.beginForm(TOTAL_FORM)
        self.setFont(self._footer_font, FOOTER_SIZE)
        self.setFillColor(FOOTER_GREY)
        self.drawString(0, 0, str(total))
        self.endForm()
        if self._metadata:
            self._doc.Catalog.Metadata = XMP(creator=lambda doc: self._metadata)
        try:
            write_streaming(self._doc, self._filename, self)
        finally:
            self._spill.close()


class _Output(pdfdoc.PDFFile):
    """ReportLab's output collector, writing each piece to the file as it comes."""

    def __init__(self, out, version):
        self._out = out
        self.offset = 0
        self.write = out.write
        self.add(pdfdoc.pdfdocEnc(f"%PDF-{version[0]}.{version[1]}"))
        self.add(b"\n%\223\214\213\236 ReportLab Generated PDF document (opensource)\n")

    def format(self, document):
        return b""


def write_streaming(doc, out, canvas_):
    """ReportLab's PDFDocument.format, writing each object as formatted and then letting it go.

    The same steps in the same order as `GetPDFData` and `format` of
    reportlab 5.1 (pinned): fonts, info, catalogue, outlines, every object
    in number order (new ones appear while others are formatted), the
    cross-reference table and the trailer. What differs: each object goes
    to `out` at once, and a page's drawing and any stream are dropped once
    written.
    """
    own = isinstance(out, str | os.PathLike)
    handle = open(out, "wb") if own else out  # noqa: SIM115 - closed below when ours
    try:
        for font in doc.delayedFonts:
            font.addObjects(doc)
        doc.info.invariant = doc.invariant
        doc.info.digest(doc.signature)
        doc.Reference(doc.Catalog)
        doc.Reference(doc.info)
        doc.Outlines.prepare(doc, canvas_)
        if doc.Outlines.ready < 0:
            doc.Catalog.Outlines = None
        doc.encrypt.prepare(doc)
        catalog, info = doc.Reference(doc.Catalog), doc.Reference(doc.info)
        output = doc.__accum__ = _Output(handle, doc._pdfVersion)
        number, ids = 0, []
        while (number := number + 1) in doc.numberToId:
            name = doc.numberToId[number]
            obj = doc.idToObject[name]
            doc.idToOffset[name] = output.add(pdfdoc.PDFIndirectObject(name, obj).format(doc))
            ids.append(name)
            if isinstance(obj, SpilledPage | SpilledContent | pdfdoc.PDFStream):
                doc.idToObject[name] = None  # written: it need not stay
        del doc.__accum__
        xref = pdfdoc.PDFCrossReferenceTable()
        xref.addsection(0, ids)
        start = output.add(xref.format(doc))
        trailer = pdfdoc.PDFTrailer(
            startxref=start,
            Size=len(doc.numberToId) + 1,
            Root=catalog,
            Info=info,
            Encrypt=None,
            ID=doc.ID(),
        )
        output.add(trailer.format(doc))
    finally:
        if own:
            handle.close()


def xmp_metadata(*, title, author, language):
    """The XMP packet: title, author and language where tools that read only XMP look.

    The catalogue's /Lang is what screen readers use; `pdfinfo -meta`, archives
    and PDF/A checkers read the language from here.
    """
    title, author, language = (escape(v) for v in (title, author, language))
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
<dc:language><rdf:Bag><rdf:li>{language}</rdf:li></rdf:Bag></dc:language>
<dc:format>application/pdf</dc:format>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>""".encode()  # XMP is UTF-8, whatever the letter's script


def _styles(fonts):
    body = ParagraphStyle("body", fontName=fonts["Serif"], fontSize=11, leading=15.5, spaceAfter=7)
    return {
        "campaign": ParagraphStyle(
            "campaign",
            parent=body,
            fontName=fonts["Sans"],
            fontSize=8.5,
            textColor=colors.HexColor("#555555"),
            spaceAfter=2,
        ),
        "title": ParagraphStyle(
            "title",
            parent=body,
            fontName=fonts["Serif-Bold"],
            fontSize=16,
            leading=20,
            spaceAfter=10,
        ),
        "meta": ParagraphStyle(
            "meta", parent=body, fontName=fonts["Sans"], fontSize=9.5, leading=13, spaceAfter=1
        ),
        "body": body,
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontName=fonts["Sans-Bold"],
            fontSize=11,
            spaceBefore=10,
            spaceAfter=6,
            keepWithNext=True,
        ),
    }


def _text(value):
    """Escape user text for a Paragraph, keeping its line breaks."""
    return escape(value).replace("\n", "<br/>")


def letter_flowables(letter, styles, count):
    items = [
        Paragraph(_text(letter.campaign.title), styles["campaign"]),
        Paragraph(_text(letter.title), styles["title"]),
        Paragraph(f"To: {_text(letter.addressee)}", styles["meta"]),
    ]
    if letter.hand_in_date:
        where = f", {letter.hand_in_event.place}" if letter.hand_in_event else ""
        date = formats.date_format(letter.hand_in_date, "j F Y")
        items.append(Paragraph(_text(f"To be handed in: {date}{where}"), styles["meta"]))
    items.append(Spacer(1, 8 * mm))
    items.append(Paragraph(_text(letter.salutation), styles["body"]))
    items += [Paragraph(_text(p), styles["body"]) for p in letter.paragraphs]
    items.append(Paragraph(_text(letter.closing), styles["body"]))
    label = f"{count:,} signature{'s' * (count != 1)}"
    items.append(Paragraph(label, styles["heading"]))
    return items


def translation_flowables(letter, styles):
    """Ready translations after the names, for readers; the original stays the letter."""
    items = []
    for translation in letter.translations.filter(is_ready=True).exclude(language=letter.language):
        items += [
            NextPageTemplate("letter"),
            PageBreak(),
            Paragraph(
                _text(
                    f"Translation ({translation.get_language_display()}), for information: "
                    "the original text above is the letter handed in."
                ),
                styles["campaign"],
            ),
            Paragraph(_text(translation.title), styles["title"]),
            Paragraph(_text(translation.salutation), styles["body"]),
            *(Paragraph(_text(p), styles["body"]) for p in translation.paragraphs),
            Paragraph(_text(translation.closing), styles["body"]),
        ]
    return items


NAMES_PER_PAGE = 2 * int((A4[1] - 2 * MARGIN) // NAME_LEADING)


def render_letter_pdf(
    letter, out, *, progress=None, with_translations=False, pages=None, stats=None
):
    """Write the signed letter to `out` (a path or binary file); returns the number of names.

    `progress(done, total)` is called as names are laid out. With
    `with_translations`, ready translations follow the names. `pages`, a
    callable, is given (signatory id, page number) as each name is drawn
    (a dict is filled with {"<id>": page} instead); a `stats` dict gets the
    number of "pages". Memory does not grow with the number of names.
    """
    with one_snapshot():
        return _render(letter, out, progress, with_translations, pages, stats)


def _render(letter, out, progress, with_translations, pages, stats):
    if isinstance(pages, dict):
        found, pages = pages, lambda pk, page: found.__setitem__(str(pk), page)
    fonts = register_fonts()
    styles = _styles(fonts)
    count, unnamed = letter_signature_counts(letter=letter)
    listed = count - unnamed

    def names():
        full = Signatory.Display.FULL
        for done, (pk, kind, name, affiliation, display) in enumerate(
            listed_in_delivery_order(letter), start=1
        ):
            if progress and (done % 500 == 0 or done == listed):
                progress(done, listed)
            bold = kind == Signatory.Kind.ORGANISATION
            shown = affiliation if display == full else ""
            font = fonts["Sans-Bold" if bold else "Sans"]
            yield NameLine(name_text(name, shown), font, key=pk, pages=pages)
        if unnamed:
            others = f"and {unnamed:,} other{'s' * (unnamed != 1)} who asked not to be named"
            yield NameLine(others, fonts["Sans"])
        if with_translations:
            yield from translation_flowables(letter, styles)

    head = letter_flowables(letter, styles, count)
    if count > TWO_COLUMNS_FROM:
        head += [NextPageTemplate("names"), PageBreak()]

    width, height = A4
    body = Frame(MARGIN, MARGIN, width - 2 * MARGIN, height - 2 * MARGIN, id="body")
    gap = 8 * mm
    column = (width - 2 * MARGIN - gap) / 2
    columns = [
        Frame(MARGIN, MARGIN, column, height - 2 * MARGIN, id="left"),
        Frame(MARGIN + column + gap, MARGIN, column, height - 2 * MARGIN, id="right"),
    ]
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=letter.title,
        author=letter.campaign.title,
        subject=f"Open letter to {letter.addressee}",
        creator="Open letters",
        # The canvas's own first font too, or every page names a Helvetica it
        # never embeds (pdffonts shows it), and a printer substitutes its own.
        initialFontName=fonts["Sans"],
        lang=letter.language,  # screen readers and print tools read the PDF's language
    )
    doc.addPageTemplates([PageTemplate("letter", [body]), PageTemplate("names", columns)])
    footer = f"{letter.title} · {count:,} signature{'s' * (count != 1)}"
    doc.build(
        LazyFlowables(head, names()),
        canvasmaker=functools.partial(
            StreamingCanvas,
            footer=footer,
            footer_font=fonts["Sans"],
            stats=stats,
            expected_pages=2 + listed // NAMES_PER_PAGE,
            metadata=xmp_metadata(
                title=letter.title, author=letter.campaign.title, language=letter.language
            ),
        ),
    )
    return count
