"""The event page, its form, and the links in the mails, through the browser's requests."""

import datetime
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance import tokens
from attendance.models import SignUp
from signatories.abuse import form_stamp
from tests.attendance.conftest import add_sign_up, link_path
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def form(**overrides):
    data = {
        "name": "Ada Lovelace",
        "email": "ada@example.net",
        "people": "2",
        "website": "",
        "rendered": form_stamp(time.time() - 60),
    }
    data.update(overrides)
    return data


def test_the_event_page_shows_the_count_and_never_a_name_or_address(client, event):
    add_sign_up(event, "ada@example.net", name="Ada Lovelace", people=3)
    add_sign_up(event, "zhanat@example.net", name="Жанат Мырынбаев", people=2)
    add_sign_up(event, "waiting@example.net", name="Waiting Person", people=7, confirmed_at=None)
    page = client.get(event.get_absolute_url())
    body = page.content.decode()
    assert page.status_code == 200
    assert "data-people-coming>5</span>" in body
    for secret in ["Ada Lovelace", "Жанат", "Waiting Person", "@example.net"]:
        assert secret not in body
    campaign_page = client.get(event.campaign.get_absolute_url()).content.decode()
    assert "<strong>5</strong> people are coming" in campaign_page
    assert event.get_absolute_url() in campaign_page
    assert "Ada Lovelace" not in campaign_page and "@example.net" not in campaign_page


def test_the_map_is_a_plain_link_and_nothing_loads_from_elsewhere(client, event):
    body = client.get(event.get_absolute_url()).content.decode()
    assert 'href="https://www.openstreetmap.org/search?query=Kazakh+Embassy' in body
    for tag in ("<iframe", "<img", "<script"):
        assert tag not in body
    assert body.count("openstreetmap.org") == 2  # the link, and the words saying where it goes


def test_signing_up_through_the_form(client, event, on_commit, mailoutbox):
    with on_commit():
        response = client.post(event.get_absolute_url(), form(), HTTP_ACCEPT_LANGUAGE="kk")
    assert response.status_code == 302
    assert response["Location"].startswith(
        reverse("attendance:thanks", kwargs={"slug": event.campaign.slug, "pk": event.pk})
    )
    sign_up = SignUp.objects.get()
    assert (sign_up.name, sign_up.people, sign_up.language) == ("Ada Lovelace", 2, "kk")
    assert len(mailoutbox) == 1 and "?lang=kk" in mailoutbox[0].body
    thanks = client.get(response["Location"])
    assert "Ada Lovelace" not in thanks.content.decode()


def test_a_repeat_sign_up_sees_the_same_page_and_gets_no_second_mail(
    client, event, on_commit, mailoutbox
):
    with on_commit():
        first = client.post(event.get_absolute_url(), form())
    with on_commit():
        second = client.post(event.get_absolute_url(), form(people="9"))
    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    assert SignUp.objects.get().people == 2
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "not-an-address"},
        {"email": ""},
        {"email": "ada\x00@example.net"},
        {"name": "Ada\x00"},
        {"name": "x" * 10_000},
        {"people": "0"},
        {"people": "51"},
        {"people": "two"},
        {"people": "1" * 400},
    ],
)
def test_bad_input_gets_the_form_back_with_a_message(client, event, overrides):
    response = client.post(event.get_absolute_url(), form(**overrides))
    assert response.status_code == 400
    assert 'id="form-errors"' in response.content.decode()
    assert not SignUp.objects.exists()


def test_right_to_left_text_is_taken(client, event, on_commit):
    with on_commit():
        client.post(event.get_absolute_url(), form(name="\u202eعلي"))
    assert SignUp.objects.get().name == "علي"


def test_a_honeypot_sign_up_gets_the_same_page_and_no_mail(client, event, on_commit, mailoutbox):
    with on_commit():
        response = client.post(event.get_absolute_url(), form(website="http://spam"))
    assert response.status_code == 302
    assert mailoutbox == []


def test_a_double_tap_takes_the_form_once(client, event, on_commit, mailoutbox):
    data = form()
    with on_commit():
        client.post(event.get_absolute_url(), data)
    with on_commit():
        again = client.post(event.get_absolute_url(), {**data, "email": "other@example.net"})
    assert again.status_code == 302
    assert SignUp.objects.count() == 1 and len(mailoutbox) == 1


def test_too_many_sign_ups_from_one_address_get_a_429(client, event, on_commit, settings):
    settings.ATTENDANCE_SIGN_UPS_PER_IP_PER_HOUR = 3
    for n in range(3):
        with on_commit():
            assert (
                client.post(event.get_absolute_url(), form(email=f"p{n}@example.net")).status_code
                == 302
            )
    response = client.post(event.get_absolute_url(), form(email="p9@example.net"))
    assert response.status_code == 429
    assert SignUp.objects.count() == 3


def test_an_event_that_has_started_takes_no_sign_ups(client):
    started = EventFactory(starts_at=timezone.now() - datetime.timedelta(hours=1))
    page = client.get(started.get_absolute_url())
    assert 'name="email"' not in page.content.decode()
    assert client.post(started.get_absolute_url(), form()).status_code == 409
    assert not SignUp.objects.exists()


def test_an_event_of_another_campaign_is_a_404(client, event):
    other = EventFactory()
    url = reverse("attendance:event", kwargs={"slug": other.campaign.slug, "pk": event.pk})
    assert client.get(url).status_code == 404


def test_confirm_asks_on_get_and_confirms_only_on_post(client, event, on_commit, mailoutbox):
    with on_commit():
        client.post(event.get_absolute_url(), form())
    url = link_path(mailoutbox[0], "confirm")
    page = client.get(url)
    assert page.status_code == 200 and "Yes, I’ll be there" in page.content.decode()
    assert SignUp.objects.get().confirmed_at is None  # a mail scanner's GET changes nothing
    with on_commit():
        done = client.post(url)
    assert done.status_code == 200
    assert SignUp.objects.get().confirmed_at is not None
    assert "data-people-coming>2</span>" in client.get(event.get_absolute_url()).content.decode()
    assert client.post(url).status_code == 409  # replayed
    assert client.get(url).status_code == 409
    assert len(mailoutbox) == 2  # the confirmation and the calendar mail, once


def test_cancel_asks_on_get_and_cancels_on_post(client, event):
    sign_up = add_sign_up(event, people=4)
    url = reverse("attendance:cancel", kwargs={"token": tokens.make_token(sign_up, tokens.CANCEL)})
    assert client.get(url).status_code == 200
    assert SignUp.objects.exists()
    response = client.post(url)
    assert response.status_code == 200
    assert not SignUp.objects.exists()
    assert client.post(url).status_code == 410  # nothing left
    assert "no longer here" in client.get(url).content.decode()


@pytest.mark.parametrize("view", ["attendance:confirm", "attendance:cancel"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_mangled_link_is_a_400_and_changes_nothing(client, event, view, method):
    sign_up = add_sign_up(event, confirmed_at=None)
    good = tokens.make_token(sign_up, tokens.CONFIRM if view.endswith("confirm") else tokens.CANCEL)
    for bad in [good[:-3] + "xyz", "nonsense", "%00", good + "\u202e"]:
        response = getattr(client, method)(reverse(view, kwargs={"token": bad}))
        assert response.status_code == 400
    assert SignUp.objects.get().confirmed_at is None


def test_a_signature_s_link_does_not_work_here(client, event):
    from signatories import tokens as signature_tokens
    from tests.factories import SignatoryFactory

    signatory = SignatoryFactory(letter__campaign=event.campaign, pk=1)
    add_sign_up(event, signatory.email, pk=1)
    token = signature_tokens.make_token(signatory, signature_tokens.WITHDRAW)
    response = client.post(reverse("attendance:cancel", kwargs={"token": token}))
    assert response.status_code == 400
    assert SignUp.objects.exists()


def test_the_campaign_page_counts_every_event_in_one_query(client, django_assert_max_num_queries):
    from tests.factories import CampaignFactory, EventFactory

    campaign = CampaignFactory()
    events = [EventFactory(campaign=campaign, title=f"Event {n}") for n in range(6)]
    for n, event in enumerate(events):
        add_sign_up(event, f"p{n}@example.net", people=n + 1)
    with django_assert_max_num_queries(30) as captured:
        page = client.get(campaign.get_absolute_url()).content.decode()
    counting = [q for q in captured.captured_queries if "attendance_signup" in q["sql"]]
    assert len(counting) == 1
    assert f'id="event-{events[5].pk}-coming"><strong>6</strong>' in page
