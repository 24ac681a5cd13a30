"""Letter status changes, and the delivery record frozen when it is handed in."""

import hashlib

import pytest
from django.urls import reverse

from letters.models import Delivery, Letter, LetterStatusChange, SignedPdf
from letters.selectors import signed_pdf_bytes
from letters.services.lifecycle import (
    PdfNotCurrent,
    TransitionNotAllowed,
    letter_deliver,
    letter_transition,
)
from letters.services.pdf_making import signed_pdf_make
from signatories.models import Signatory
from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import pdf_reader_and_pages as pdf_text

pytestmark = pytest.mark.django_db


def test_the_full_lifecycle_is_recorded(admin_user):
    letter = LetterFactory(status="draft")
    for status in ["open", "closed", "open", "closed", "delivered"]:
        letter_transition(letter=letter, to_status=status, changed_by=admin_user)

    letter.refresh_from_db()
    assert letter.status == Letter.Status.DELIVERED
    assert letter.status_changed_at is not None
    steps = LetterStatusChange.objects.order_by("changed_at", "pk")
    assert [(s.from_status, s.to_status) for s in steps] == [
        ("draft", "open"),
        ("open", "closed"),
        ("closed", "open"),
        ("open", "closed"),
        ("closed", "delivered"),
    ]
    assert {s.changed_by for s in steps} == {admin_user}


@pytest.mark.parametrize(
    ("start", "to", "says"),
    [
        ("open", "delivered", "Close the letter"),
        ("draft", "closed", "never been open"),
        ("delivered", "open", "cannot become"),
        ("open", "open", "cannot become"),
    ],
)
def test_refused_transitions_explain_and_change_nothing(start, to, says):
    letter = LetterFactory(status=start)
    with pytest.raises(TransitionNotAllowed, match=says):
        letter_transition(letter=letter, to_status=to)
    letter.refresh_from_db()
    assert letter.status == start
    assert not LetterStatusChange.objects.exists()


class TestDeliveryRecord:
    def deliver(self, letter, user=None):
        letter_transition(letter=letter, to_status="closed", changed_by=user)
        letter_transition(letter=letter, to_status="delivered", changed_by=user)
        return Delivery.objects.get(letter=letter)

    def test_marking_delivered_freezes_the_pdf(self, client, admin_user, seed_letter):
        delivery = self.deliver(seed_letter, admin_user)

        assert delivery.signature_count == 23
        assert delivery.recorded_by == admin_user
        assert delivery.place.startswith("Foreign Office")
        frozen = b"".join(signed_pdf_bytes(delivery.signed_pdf))
        assert hashlib.sha256(frozen).hexdigest() == delivery.sha256

        Signatory.objects.filter(name="Owen Jones").update(withdrawn_at="2026-11-01T00:00Z")
        SignatoryFactory(letter=seed_letter, name="Late Comer")
        signed_pdf_make(signed=SignedPdf.objects.create(letter=seed_letter))  # a newer one
        delivery.refresh_from_db()
        assert b"".join(signed_pdf_bytes(delivery.signed_pdf)) == frozen  # kept, as it was

        page = client.get(seed_letter.get_absolute_url()).content.decode()
        assert "It was handed in on" in page and "<strong>23</strong> signatures" in page
        assert "cannot be recalled" in page
        served = client.get(reverse("letters:delivered_pdf", kwargs={"slug": seed_letter.slug}))
        assert served["Content-Type"] == "application/pdf"
        assert served["Content-Length"] == str(len(frozen))
        content = b"".join(served.streaming_content)
        assert content == frozen
        _, pages = pdf_text(content)
        assert "Owen Jones" in "\n".join(pages) and "Late Comer" not in "\n".join(pages)
        assert "@" not in "\n".join(pages)

    def test_a_pdf_not_ready_or_of_another_letter_is_refused(self, admin_user, letter):
        letter_transition(letter=letter, to_status="closed")
        other = signed_pdf_make(signed=SignedPdf.objects.create(letter=LetterFactory()))
        making = SignedPdf.objects.create(letter=letter, state="making")
        for signed, says in [(other, "not a PDF of this letter"), (making, "still being made")]:
            with pytest.raises(PdfNotCurrent, match=says):
                letter_deliver(
                    letter=letter, hand_in=None, recorded_by=admin_user, signed_pdf=signed
                )
        assert not Delivery.objects.exists()

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
