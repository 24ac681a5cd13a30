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
