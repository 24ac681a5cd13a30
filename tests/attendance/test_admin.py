"""Attendance in the admin: counts for the team, sign-ups for organisers, addresses only for
those who may see contact details."""

import pytest
from django.urls import reverse

from teams.models import ContactView
from tests.attendance.conftest import add_sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_up(event):
    add_sign_up(event, "ada@example.net", name="Ada Lovelace", people=3)
    add_sign_up(event, "bob@example.net", name="", people=2)
    add_sign_up(event, "waiting@example.net", name="Waiting", people=9, confirmed_at=None)
    return event


def test_a_moderator_sees_how_many_are_coming_and_nothing_else(moderator_client, signed_up):
    page = moderator_client.get(reverse("admin:attendance_eventattendance_changelist"))
    html = page.content.decode()
    assert page.status_code == 200
    assert signed_up.title in html
    assert '<td class="field-coming">5</td>' in html
    assert '<td class="field-awaiting">1</td>' in html
    detail = moderator_client.get(
        reverse("admin:attendance_eventattendance_change", args=[signed_up.pk])
    )
    assert detail.status_code == 200
    for secret in ["Ada Lovelace", "@example.net"]:
        assert secret not in html and secret not in detail.content.decode()
    assert moderator_client.get(reverse("admin:attendance_signup_changelist")).status_code == 403


def test_an_organiser_sees_the_sign_ups_with_addresses_and_each_look_is_logged(
    organiser_client, signed_up
):
    page = organiser_client.get(reverse("admin:attendance_signup_changelist"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Ada Lovelace" in html and "ada@example.net" in html
    [look] = ContactView.objects.all()
    assert (look.addresses, look.letter_title) == (3, f"Sign-ups for {signed_up.title}")
    sign_up = signed_up.sign_ups.get(name="Ada Lovelace")
    detail = organiser_client.get(reverse("admin:attendance_signup_change", args=[sign_up.pk]))
    assert "ada@example.net" in detail.content.decode()
    assert ContactView.objects.count() == 2


def test_an_organiser_without_the_contact_permission_sees_no_address(organiser_client, signed_up):
    from django.contrib.auth.models import Permission

    organiser_client.user.groups.first().permissions.remove(
        Permission.objects.get(codename="view_contact_details")
    )
    html = organiser_client.get(reverse("admin:attendance_signup_changelist")).content.decode()
    assert "Ada Lovelace" in html and "@example.net" not in html
    sign_up = signed_up.sign_ups.get(name="Ada Lovelace")
    detail = organiser_client.get(reverse("admin:attendance_signup_change", args=[sign_up.pk]))
    assert detail.status_code == 200 and "@example.net" not in detail.content.decode()
    assert not ContactView.objects.exists()


def test_an_organiser_deletes_a_prank_sign_up_and_the_count_goes_down(organiser_client, signed_up):
    from attendance.selectors import event_people_coming

    sign_up = signed_up.sign_ups.get(name="Ada Lovelace")
    response = organiser_client.post(
        reverse("admin:attendance_signup_delete", args=[sign_up.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert event_people_coming(signed_up) == 2


def test_another_campaign_s_sign_ups_are_out_of_sight(signed_up, roles, django_user_model):
    from django.test import Client

    from teams.services import team_member_set
    from tests.factories import CampaignFactory

    user = django_user_model.objects.create_user("elsewhere", password="x", is_staff=True)
    user.groups.add(roles["Organisers"])
    team_member_set(campaign=CampaignFactory(), user=user, role="organiser")
    client = Client()
    client.force_login(user)
    html = client.get(reverse("admin:attendance_signup_changelist")).content.decode()
    assert "Ada Lovelace" not in html
    sign_up = signed_up.sign_ups.first()
    assert (
        client.get(reverse("admin:attendance_signup_change", args=[sign_up.pk])).status_code == 404
    )
    counts = client.get(reverse("admin:attendance_eventattendance_changelist"))
    assert signed_up.title not in counts.content.decode()


def test_who_is_coming_stays_hidden_from_a_campaign_s_moderator_who_organises_another(
    signed_up, roles, django_user_model
):
    from django.test import Client

    from teams.services import team_member_set
    from tests.factories import CampaignFactory

    user = django_user_model.objects.create_user("both", password="x", is_staff=True)
    user.groups.add(roles["Organisers"])  # organises one campaign: has the permission
    team_member_set(campaign=CampaignFactory(), user=user, role="organiser")
    team_member_set(campaign=signed_up.campaign, user=user, role="moderator")
    client = Client()
    client.force_login(user)

    html = client.get(reverse("admin:attendance_signup_changelist")).content.decode()
    assert "Ada Lovelace" not in html
    sign_up = signed_up.sign_ups.first()
    page = client.get(reverse("admin:attendance_signup_change", args=[sign_up.pk]))
    assert page.status_code in {403, 404}
    counts = client.get(reverse("admin:attendance_eventattendance_changelist"))
    assert signed_up.title in counts.content.decode()  # the number is theirs to see
