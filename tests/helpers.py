import io
import os
import re
import socket
import subprocess
import time

from django.urls import reverse
from pypdf import PdfReader

from signatories.abuse import form_stamp
from signatories.services.signing import signatory_sign


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
    return re.search(rf"https?://[^/\s]+(/s/{kind}/\S+/)", mail.body).group(1)


def link_url(mail, kind):
    """The link as a person follows it: path and query (the mail's language), no host."""
    return re.search(rf"https?://[^/\s]+(/s/{kind}/\S+/\?lang=\w+)", mail.body).group(1)


def pdf_text(data):
    """The text of every page of a PDF, as pypdf reads it back."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_reader_and_pages(data):
    """A PDF's reader and the text of each of its pages, as pypdf reads them back."""
    reader = PdfReader(io.BytesIO(data))
    return reader, [page.extract_text() for page in reader.pages]


def tiny_pdf(text):
    """A one-line PDF, as an addressee's reply might arrive."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buffer.getvalue()


def sign(letter, on_commit, email="ada@example.net", name="Ada Lovelace", **extra):
    """Sign through the service (not the form), running the mail tasks it queues."""
    with on_commit():
        return signatory_sign(letter=letter, name=name, email=email, **extra)


def link(mail, kind):
    """The token of the confirm or withdraw link in a mail."""
    return re.search(rf"http://\S+/s/{kind}/(\S+)/", mail.body).group(1)


# A database of its own per xdist worker: each test flushes it.
REDIS = f"redis://127.0.0.1:6379/{10 + int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0')[2:] or 0)}"


def redis_up():
    """Whether a Redis answers on 127.0.0.1:6379 (the tests that need one skip without it)."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def assert_printable_pdf(path, names):
    """qpdf finds no damage, every font is embedded, and the names read back."""
    subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
    fonts = subprocess.run(
        ["pdffonts", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), fonts  # the "emb" column
    text = subprocess.run(
        ["pdftotext", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for name in names:
        assert name in " ".join(text.split()), name
    assert "@" not in text
    PdfReader(str(path))


def admin_signed_pdf(client, letter, *, translations=False):
    """The signed PDF as an organiser gets it: asked for, made by the worker, downloaded."""
    from django.urls import reverse

    from letters.models import SignedPdf
    from letters.services.pdf_making import signed_pdf_make

    prepare = reverse("admin:letters_letter_signed_pdf_prepare", args=[letter.pk])
    client.post(prepare, {"translations": "1"} if translations else {})
    signed = SignedPdf.objects.filter(letter=letter, with_translations=translations).first()
    signed = signed_pdf_make(signed=signed)  # what the worker does with it
    download = reverse("admin:letters_letter_signed_pdf_file", args=[letter.pk, signed.pk])
    return b"".join(client.get(download).streaming_content)
