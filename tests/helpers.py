import io
import re
import time

from django.urls import reverse
from pypdf import PdfReader

from signatories.abuse import form_stamp


def sign_data(**overrides):
    """What a person's browser sends, a minute after the form was rendered."""
    data = {
        "name": "Ada Lovelace",
        "affiliation": "member of Unite, personal capacity",
        "email": "ada@example.net",
        "kind": "individual",
        "display": "full",
        "website": "",
        "rendered": form_stamp(time.time() - 60),
    }
    data.update(overrides)
    return data


def sign_url(letter):
    return reverse("letters:sign", kwargs={"slug": letter.slug})


def link_path(mail, kind):
    """The path of the confirm or withdraw link in a mail."""
    return re.search(rf"http://[^/\s]+(/s/{kind}/\S+/)", mail.body).group(1)


def pdf_text(data):
    """The text of every page of a PDF, as pypdf reads it back."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def tiny_pdf(text):
    """A one-line PDF, as an addressee's reply might arrive."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buffer.getvalue()
