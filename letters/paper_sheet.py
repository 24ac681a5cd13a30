"""Printable paper sign-up sheets, one numbered sheet per page (A4 landscape).

The columns follow the seed's slip: name in block letters, organisation or
title, e-mail "to contact you, not published", plus the separate consent box.
The QR code leads to the online form, for people who would rather sign there.
"""

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from letters.fonts import register_fonts
from letters.pdf import wrap_text

ROWS = 14
COLUMNS = [
    ("Name (BLOCK LETTERS)", 0.29),
    ("Organisation or title, if any", 0.28),
    ("E-mail (to contact you, not published)", 0.30),
    ("Send me updates", 0.13),
]


def _qr(url, size):
    widget = QrCodeWidget(url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def render_paper_sheets(letter, sheets, sign_url, out):
    """Write one page per sheet to `out` (a path or binary file)."""
    fonts = register_fonts()
    width, height = landscape(A4)
    margin = 14 * mm
    pdf = canvas.Canvas(out, pagesize=(width, height), initialFontName=fonts["Sans"])
    pdf.setTitle(f"Paper sign-up sheets: {letter.title}")
    pdf.setAuthor(letter.campaign.title)
    for sheet in sheets:
        top = height - margin
        qr_size = 30 * mm
        renderPDF.draw(_qr(sign_url, qr_size), pdf, width - margin - qr_size, top - qr_size)
        pdf.setFont(fonts["Sans"], 7)
        pdf.drawCentredString(width - margin - qr_size / 2, top - qr_size - 8, "Or sign online")

        pdf.setFont(fonts["Sans-Bold"], 11)
        pdf.drawString(margin, top - 10, f"Sheet {sheet.code}")
        pdf.setFont(fonts["Serif-Bold"], 16)
        text_width = width - 2 * margin - qr_size - 10 * mm
        y = top - 32
        title = f"Sign the open letter: {letter.title}"
        for line in wrap_text(title, fonts["Serif-Bold"], 16, text_width):
            pdf.drawString(margin, y, line)
            y -= 19
        pdf.setFont(fonts["Sans"], 9.5)
        summary = letter.campaign.summary
        for line in wrap_text(summary, fonts["Sans"], 9.5, text_width)[:3]:
            pdf.drawString(margin, y, line)
            y -= 12.5
        pdf.setFont(fonts["Sans"], 8.5)
        pdf.setFillColor(colors.HexColor("#444444"))
        pdf.drawString(
            margin,
            y - 2,
            "Please write CLEARLY, in BLOCK LETTERS. Your e-mail is only for the organisers "
            "to contact you; it is never published. Tick the box only if you want updates.",
        )
        pdf.setFillColor(colors.black)

        table_top = min(y - 14, top - qr_size - 18)
        row_height = (table_top - margin - 12) / (ROWS + 1)
        table_width = width - 2 * margin
        x = margin
        pdf.setFont(fonts["Sans-Bold"], 8.5)
        for title, share in COLUMNS:
            pdf.drawString(x + 3, table_top - row_height + 6, title)
            x += share * table_width
        pdf.setLineWidth(0.6)
        for row in range(ROWS + 2):
            y_line = table_top - row * row_height
            pdf.line(margin, y_line, margin + table_width, y_line)
        x = margin
        for _, share in [("", 0), *COLUMNS]:
            x += share * table_width
            pdf.line(x, table_top, x, table_top - (ROWS + 1) * row_height)
        pdf.line(margin, table_top, margin, table_top - (ROWS + 1) * row_height)
        box = 4 * mm
        box_x = margin + table_width * (1 - COLUMNS[-1][1] / 2) - box / 2
        pdf.setFont(fonts["Sans"], 7)
        for row in range(1, ROWS + 1):
            y_row = table_top - (row + 1) * row_height
            pdf.drawString(margin - 9, y_row + row_height / 2 - 2, str(row))
            pdf.rect(box_x, y_row + (row_height - box) / 2, box, box)

        pdf.setFont(fonts["Sans"], 8)
        contact = letter.campaign.contact_email
        footer = f"Sheet {sheet.code} · return it to the organisers"
        if contact:
            footer += f" ({contact})"
        pdf.drawString(margin, margin - 8, footer)
        pdf.showPage()
    pdf.save()
