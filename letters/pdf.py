"""The signed letter as it is handed in: A4, the letter text, then the names.

Organisations come first in bold, then individuals by sort name, each as
"Name (organisation or title)", as the seed letter prints them. Names are
drawn as plain strings, never parsed as markup, so "<b>Smith & Sons</b>"
prints exactly so. The names stream from the database: 100,000 of them never
sit in memory at once.
"""

import functools
from xml.sax.saxutils import escape

from django.utils import formats
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import XMP
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

from letters.fonts import register_fonts
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
            self.pages[str(self.key)] = self.canv.getPageNumber()
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
        # A lower bound that is exact at the end: one item past the buffer is
        # looked at, so "is there more?" is always answered truthfully.
        self._fill(len(self._buffer) + 1)
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


class NumberedCanvas(canvas.Canvas):
    """Writes "Page n of m" once m is known, when the document is saved."""

    def __init__(
        self, *args, footer="", footer_font="Helvetica", stats=None, metadata="", **kwargs
    ):
        super().__init__(*args, **kwargs)
        self._pages = []
        self._metadata = metadata
        self._footer = footer
        self._footer_font = footer_font
        self._stats = stats

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        if self._stats is not None:
            self._stats["pages"] = total
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(self._footer_font, 8)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawString(MARGIN, FOOTER_Y, self._footer)
            self.drawRightString(A4[0] - MARGIN, FOOTER_Y, f"Page {number} of {total}")
            super().showPage()
        if self._metadata:
            self._doc.Catalog.Metadata = XMP(creator=lambda doc: self._metadata)
        super().save()


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


def render_letter_pdf(
    letter, out, *, progress=None, with_translations=False, pages=None, stats=None
):
    """Write the signed letter to `out` (a path or binary file); returns the number of names.

    `progress(done, total)` is called as names are laid out. With
    `with_translations`, ready translations follow the names. A `pages` dict
    is filled with {signatory id: page number} as each name is drawn; a
    `stats` dict gets the number of "pages".
    """
    fonts = register_fonts()
    styles = _styles(fonts)
    rows = Signatory.objects.filter(letter=letter).for_delivery()
    count, unnamed = letter_signature_counts(letter=letter)
    listed = count - unnamed

    def names():
        columns = ("pk", "kind", "name", "affiliation", "display")
        rows_iter = rows.values_list(*columns).iterator(chunk_size=2000)
        for done, (pk, kind, name, affiliation, display) in enumerate(rows_iter, start=1):
            if progress and (done % 500 == 0 or done == listed):
                progress(done, listed)
            bold = kind == Signatory.Kind.ORGANISATION
            shown = affiliation if display == Signatory.Display.FULL else ""
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
            NumberedCanvas,
            footer=footer,
            footer_font=fonts["Sans"],
            stats=stats,
            metadata=xmp_metadata(
                title=letter.title, author=letter.campaign.title, language=letter.language
            ),
        ),
    )
    return count
