"""Compression where it is safe; the language a mail's link asks for."""

import gzip

import pytest

from tests.factories import SignatoryFactory

pytestmark = pytest.mark.django_db


def test_public_pages_go_out_compressed(client, letter):
    for i in range(30):
        SignatoryFactory(letter=letter, name=f"Signer {i}", affiliation="Unite")
    plain = client.get(letter.get_absolute_url())
    packed = client.get(letter.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip")

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert "Signer 29" in html
    assert len(packed.content) < len(plain.content) / 3


def test_the_admin_is_never_compressed(admin_client, letter):
    """Addresses beside a reflected search box are what BREACH reads out of gzip."""
    response = admin_client.get(
        "/admin/signatories/signatory/", {"q": "a@"}, HTTP_ACCEPT_ENCODING="gzip"
    )
    assert response.status_code == 200
    assert "Content-Encoding" not in response


def test_a_file_in_the_sign_form_is_refused_and_nothing_stored(client, letter, caplog):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from signatories.models import Signatory
    from tests.helpers import sign_data, sign_url

    upload = SimpleUploadedFile("big.bin", b"\0" * (200 * 1024))
    response = client.post(sign_url(letter), {**sign_data(), "attachment": upload})
    assert response.status_code == 400
    assert not Signatory.objects.exists()


def test_a_20_mb_multipart_body_is_refused_unread(client, letter):
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    from signatories.models import Signatory
    from tests.helpers import sign_data, sign_url

    body = encode_multipart(BOUNDARY, {**sign_data(), "affiliation": "x" * (20 * 1024 * 1024)})
    response = client.generic("POST", sign_url(letter), body, content_type=MULTIPART_CONTENT)
    assert response.status_code == 413
    assert "That was more than the form takes" in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert not Signatory.objects.exists()


def test_the_refusal_comes_in_the_signers_language(client, letter):
    from tests.helpers import sign_url

    response = client.post(
        sign_url(letter),
        "name=" + "x" * (300 * 1024),
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="kk",
    )
    assert response.status_code == 413 and '<html lang="kk">' in response.content.decode()


def test_the_admin_import_keeps_its_own_limit(admin_client, letter, settings):
    """The paper sheet upload is a file, bigger than a sign form: not stopped here."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    rows = "name,affiliation,email\n" + "".join(
        f"Person Number{i},{'Unite ' * 30},p{i}@example.net\n" for i in range(1500)
    )
    assert len(rows.encode()) > settings.PUBLIC_FORM_MAX_BYTES
    url = reverse("admin:letters_letter_import", args=[letter.pk])
    response = admin_client.post(url, {"file": SimpleUploadedFile("s.csv", rows.encode())})
    assert response.status_code == 200
    assert "Preview: 1,500 rows ready" in response.content.decode()
