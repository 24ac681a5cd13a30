"""The letter's change page: lifecycle buttons, the delivery page, counts per status."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from letters.models import Delivery, LetterStatusChange, SignedPdf
from letters.services.pdf_making import signed_pdf_make
from tests.factories import EventFactory, LetterFactory, SignatoryFactory

pytestmark = pytest.mark.django_db
LOCAL = "%Y-%m-%dT%H:%M"
YESTERDAY = (timezone.localtime() - timedelta(days=1)).replace(hour=11, minute=30).strftime(LOCAL)


def change_url(letter):
    return reverse("admin:letters_letter_change", args=[letter.pk])


def transition(client, letter, status):
    url = reverse("admin:letters_letter_transition", args=[letter.pk, status])
    response = client.post(url, follow=True)
    return response, [str(m) for m in response.context["messages"]] if response.context else []


class TestLifecycle:
    def test_buttons_follow_the_lifecycle_and_record_who(self, admin_client, admin_user):
        letter = LetterFactory(status="draft")
        page = admin_client.get(change_url(letter)).content.decode()
        assert "Open for signatures</button>" in page
        assert "Mark as delivered" not in page
        # Each step is a form of its own, after the change form closes: never nested.
        change_form_end = page.index("</form>", page.index('id="letter_form"'))
        step = page.index(reverse("admin:letters_letter_transition", args=[letter.pk, "open"]))
        assert step < page.index('id="letter_form"') or step > change_form_end
        assert 'form="transition-' not in page

        for status in ["open", "closed"]:
            response, notes = transition(admin_client, letter, status)
            assert response.redirect_chain == [(change_url(letter), 302)]
            assert notes == [f"The letter is now {dict(letter.Status.choices)[status].lower()}."]
        assert (
            "Reopen for signatures</button>"
            in admin_client.get(change_url(letter)).content.decode()
        )

        # Delivery is its own page: asking for it by the step's address leads there.
        response, _ = transition(admin_client, letter, "delivered")
        deliver_url = reverse("admin:letters_letter_deliver", args=[letter.pk])
        assert response.redirect_chain == [(deliver_url, 302)]
        letter.refresh_from_db()
        assert letter.status == "closed"
        response = admin_client.post(
            deliver_url,
            {
                "handed_in_at": YESTERDAY,
                "place": "Foreign Office",
                "handed_in_by": "Unite delegation",
                "signed_pdf": str(
                    signed_pdf_make(signed=SignedPdf.objects.create(letter=letter)).pk
                ),
                "confirm": "on",
            },
            follow=True,
        )
        assert response.redirect_chain == [(change_url(letter), 302)]

        letter.refresh_from_db()
        assert letter.status == "delivered"
        assert (
            list(LetterStatusChange.objects.values_list("changed_by", flat=True))
            == [admin_user.pk] * 3
        )
        assert (
            "its status cannot change any more"
            in admin_client.get(change_url(letter)).content.decode()
        )

    def test_a_refused_transition_is_explained(self, admin_client):
        letter = LetterFactory(status="open")
        _, notes = transition(admin_client, letter, "delivered")
        _, nonsense = transition(admin_client, letter, "exploded")
        letter.refresh_from_db()
        assert letter.status == "open"
        assert notes == ["Close the letter to new signatures before marking it delivered."]
        assert nonsense == ["There is no letter status called “exploded”."]

    def test_transitions_need_post_and_change_permission(self, admin_client, moderator_client):
        letter = LetterFactory(status="draft")
        url = reverse("admin:letters_letter_transition", args=[letter.pk, "open"])
        assert admin_client.get(url).status_code == 405
        assert moderator_client.post(url).status_code == 403
        letter.refresh_from_db()
        assert letter.status == "draft"

    def test_unknown_letter_is_404(self, admin_client):
        assert admin_client.post("/admin/letters/letter/999/transition/open/").status_code == 404
        assert admin_client.get("/admin/letters/letter/abc/paper/").status_code == 404

    def test_change_page_counts_signatures_per_status_and_links_the_public_page(
        self, admin_client, letter
    ):
        SignatoryFactory.create_batch(3, letter=letter)
        SignatoryFactory.create_batch(2, letter=letter, status="pending")
        SignatoryFactory(letter=letter, status="rejected")
        SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
        SignatoryFactory(letter=letter, withdrawn_at="2026-01-01T00:00Z")
        html = admin_client.get(change_url(letter)).content.decode()
        assert "<strong>3</strong> on the list: 3 approved. Not on the list: " in html
        assert (
            "2 awaiting a decision</a>, 1 rejected, 1 not confirmed by e-mail yet, 1 withdrawn."
        ) in html
        assert f'href="{letter.get_absolute_url()}"' in html

    def test_counts_on_a_post_moderated_letter_say_who_is_listed_while_awaiting(self, admin_client):
        letter = LetterFactory(moderation="post")
        SignatoryFactory.create_batch(35, letter=letter)
        SignatoryFactory.create_batch(3, letter=letter, status="pending")
        SignatoryFactory(letter=letter, status="pending", suspicion="rate")
        html = admin_client.get(change_url(letter)).content.decode()
        text = re.sub(r"<[^>]+>", "", html)
        assert "38 on the list: 35 approved, 3 awaiting a decision." in text
        assert "Not on the list: 1 awaiting a decision." in text
        assert "1 flagged as suspect by the abuse checks." in text


class TestDeliveryPage:
    def url(self, letter):
        return reverse("admin:letters_letter_deliver", args=[letter.pk])

    @pytest.fixture
    def closed(self):
        event = EventFactory(place="Foreign Office", address="King Charles Street")
        letter = LetterFactory(status="closed", campaign=event.campaign, hand_in_event=event)
        SignatoryFactory.create_batch(3, letter=letter)
        return letter

    @pytest.fixture
    def looked_at(self, closed):
        """The PDF the organiser made and looked at."""
        return signed_pdf_make(signed=SignedPdf.objects.create(letter=closed))

    def form(self, signed, **extra):
        return {
            "handed_in_at": YESTERDAY,
            "place": "Foreign Office, King Charles Street",
            "handed_in_by": "A delegation of Unite and the RMT",
            "note": "",
            "signed_pdf": str(signed.pk),
            "confirm": "on",
            **extra,
        }

    def test_without_a_pdf_it_asks_for_one_first(self, admin_client, closed):
        html = admin_client.get(self.url(closed)).content.decode()
        assert "No PDF of this letter has been made yet" in html
        assert reverse("admin:letters_letter_signed_pdf_prepare", args=[closed.pk]) in html
        assert "Freeze and mark as delivered" not in html

    def test_shows_the_pdf_that_will_be_frozen_and_the_planned_hand_in(
        self, admin_client, closed, looked_at
    ):
        html = admin_client.get(self.url(closed)).content.decode()
        assert "Ready</strong>: 3 signatures on 1 page" in html
        download = reverse("admin:letters_letter_signed_pdf_file", args=[closed.pk, looked_at.pk])
        assert download in html
        assert 'value="Foreign Office, King Charles Street"' in html
        assert f'name="signed_pdf" value="{looked_at.pk}"' in html
        assert not Delivery.objects.exists()

    def test_freezes_the_pdf_looked_at_and_the_hand_in_as_entered(
        self, admin_client, admin_user, closed, looked_at
    ):
        response = admin_client.post(self.url(closed), self.form(looked_at, note="At the gate."))
        assert response.status_code == 302
        delivery = Delivery.objects.get()
        assert timezone.localtime(delivery.handed_in_at).strftime(LOCAL) == YESTERDAY
        assert (delivery.place, delivery.handed_in_by, delivery.note) == (
            "Foreign Office, King Charles Street",
            "A delegation of Unite and the RMT",
            "At the gate.",
        )
        assert (delivery.signed_pdf, delivery.sha256) == (looked_at, looked_at.sha256)
        assert delivery.recorded_by == admin_user
        assert delivery.recorded_at > delivery.handed_in_at
        closed.refresh_from_db()
        assert closed.status == "delivered"
        page = admin_client.get(change_url(closed)).content.decode()
        assert 'name="body"' not in page and 'name="title"' not in page  # on record now
        assert "(carried in by: A delegation of Unite and the RMT)" in page

    def test_the_time_starts_at_the_planned_hand_in_once_it_has_passed_else_now(
        self, admin_client, closed, looked_at
    ):
        from campaign.models import Event

        event = closed.hand_in_event
        Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(hours=3))
        event.refresh_from_db()
        html = admin_client.get(self.url(closed)).content.decode()
        assert f'value="{timezone.localtime(event.starts_at).strftime(LOCAL)}"' in html
        # Still to come (the demo's hand-in is in twelve days): now, which the form accepts.
        Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() + timedelta(days=12))
        html = admin_client.get(self.url(closed)).content.decode()
        now = timezone.localtime()
        assert any(
            f'value="{(now - timedelta(minutes=m)).strftime(LOCAL)}"' in html for m in (0, 1)
        )

    def test_no_names_are_added_to_a_letter_handed_in(self, admin_client, closed, looked_at):
        assert admin_client.post(self.url(closed), self.form(looked_at)).status_code == 302
        page = admin_client.get(change_url(closed)).content.decode()
        for tool in ("Type in paper sign-ups", "Import CSV", "Paper sheets"):
            assert tool not in page
        for name in ("paper", "import", "sheets"):
            url = reverse(f"admin:letters_letter_{name}", args=[closed.pk])
            for method in (admin_client.get, admin_client.post):
                response = method(url, follow=True)
                assert response.redirect_chain == [(change_url(closed), 302)]
                assert "names can no longer be added to it" in response.content.decode()
        assert closed.signatories.count() == 3

    def test_a_hand_in_still_to_come_is_refused(self, admin_client, closed, looked_at):
        later = (timezone.localtime() + timedelta(days=2)).strftime(LOCAL)
        response = admin_client.post(self.url(closed), self.form(looked_at, handed_in_at=later))
        assert response.status_code == 400
        assert "That is still to come" in response.content.decode()
        assert not Delivery.objects.exists()

    def test_nothing_is_frozen_without_the_confirmation(self, admin_client, closed, looked_at):
        form = self.form(looked_at)
        del form["confirm"]
        response = admin_client.post(self.url(closed), form)
        assert response.status_code == 400
        assert "Tick this box to freeze the letter" in response.content.decode()
        assert not Delivery.objects.exists()

    def test_a_newer_pdf_made_while_one_looked_is_not_frozen_unseen(
        self, admin_client, closed, looked_at
    ):
        SignatoryFactory(letter=closed, name="Late Paper Entry")
        newer = signed_pdf_make(signed=SignedPdf.objects.create(letter=closed))
        response = admin_client.post(self.url(closed), self.form(looked_at))
        assert response.status_code == 400
        html = response.content.decode()
        assert "A newer PDF of this letter was made since you looked" in html
        assert f'name="signed_pdf" value="{newer.pk}"' in html  # the one to look at now
        assert "Ready</strong>: 4 signatures" in html
        assert not Delivery.objects.exists()
        closed.refresh_from_db()
        assert closed.status == "closed"

    def test_the_page_says_when_the_list_has_moved_since_the_pdf(
        self, admin_client, closed, looked_at
    ):
        SignatoryFactory(letter=closed, name="Late Paper Entry")
        html = admin_client.get(self.url(closed)).content.decode()
        assert "The list has changed since this PDF was made: 4 signatures now" in html

    def test_only_a_closed_letter_and_only_for_those_who_may_change_it(
        self, admin_client, moderator_client, closed
    ):
        assert moderator_client.get(self.url(closed)).status_code == 403
        still_open = LetterFactory(status="open")
        response = admin_client.get(self.url(still_open), follow=True)
        assert response.redirect_chain == [(change_url(still_open), 302)]
        assert "Close the letter to new signatures before marking it delivered." in (
            response.content.decode()
        )

    def test_likely_duplicates_are_listed_before_delivery(self, admin_client, closed):
        first = SignatoryFactory(letter=closed, name="Mary O'Brien", affiliation="Unite")
        second = SignatoryFactory(
            letter=closed, name="MARY O’BRIEN", affiliation="UNITE ", source="paper", email=""
        )
        SignatoryFactory(letter=closed, name="Mary O'Brien", affiliation="GMB")  # another one
        for url in (self.url(closed), change_url(closed)):
            html = admin_client.get(url).content.decode()
            assert reverse("admin:signatories_signatory_change", args=[first.pk]) in html
            assert "more than once" in html
        html = admin_client.get(change_url(closed)).content.decode()
        assert reverse("admin:signatories_signatory_change", args=[second.pk]) in html
        assert "1 name appears on the list more than once" in html


def test_a_long_list_shows_the_first_likely_duplicates_and_says_there_may_be_more(
    admin_client, monkeypatch
):
    from signatories import selectors

    monkeypatch.setattr(selectors, "DUPLICATES_SHOWN", 2)
    letter = LetterFactory(status="closed")
    for surname in ["Abai", "Baker", "Carter"]:
        SignatoryFactory.create_batch(2, letter=letter, name=f"Sam {surname}", affiliation="RMT")
    duplicates = selectors.signatory_likely_duplicates(letter=letter)
    assert [group[0].name for group in duplicates] == ["Sam Abai", "Sam Baker"]
    assert duplicates.more
    html = admin_client.get(change_url(letter)).content.decode()
    assert "At least 2 names appear on the list more than once" in html


def test_a_name_signed_many_times_shows_its_first_few_and_how_many_more(admin_client, monkeypatch):
    """An organisation that signed hundreds of times: the page reads a bounded number of
    them, shows the oldest few and links to the rest in the list of signatures."""
    from signatories import selectors

    monkeypatch.setattr(selectors, "DUPLICATE_ROWS_READ", 8)
    letter = LetterFactory(status="closed")
    few = SignatoryFactory.create_batch(
        7, letter=letter, kind="organisation", name="RMT Central Line West", affiliation=""
    )
    SignatoryFactory.create_batch(2, letter=letter, name="Жанар Қасымова", affiliation="")
    html = admin_client.get(change_url(letter)).content.decode()
    for shown in few[:5]:
        assert reverse("admin:signatories_signatory_change", args=[shown.pk]) in html
    for hidden in few[5:]:
        assert reverse("admin:signatories_signatory_change", args=[hidden.pk]) not in html
    assert "and 2 more in the list of signatures" in html
    assert f"letter__id__exact={letter.pk}&amp;queue=all&amp;q=RMT%20Central%20Line%20West" in html
    SignatoryFactory.create_batch(
        3, letter=letter, kind="organisation", name="RMT Central Line West", affiliation=""
    )
    html = admin_client.get(change_url(letter)).content.decode()
    assert "and more in the list of signatures" in html  # 10 signed; only 8 were read
    groups = selectors.signatory_likely_duplicates(letter=letter)
    assert [(len(g), g.total, g.at_least) for g in groups] == [(5, 8, True), (2, 2, False)]
