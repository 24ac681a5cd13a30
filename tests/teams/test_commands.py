import pytest
from django.core.management import CommandError, call_command

from teams.models import CampaignMember
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def volunteer(django_user_model):
    return django_user_model.objects.create_user("aigerim", password="x")


def test_add_puts_a_user_on_a_team_in_a_role_and_remove_takes_them_off(roles, volunteer, capsys):
    campaign = CampaignFactory(slug="zhanaozen")
    call_command("campaign_team", "zhanaozen", "add", "aigerim", "--role", "moderator")
    member = CampaignMember.objects.get()
    assert (member.campaign, member.user, member.role) == (campaign, volunteer, "moderator")
    volunteer.refresh_from_db()
    assert volunteer.is_staff
    assert list(volunteer.groups.values_list("name", flat=True)) == ["Moderators"]

    call_command("campaign_team", "zhanaozen", "add", "aigerim", "--role", "organiser")
    assert CampaignMember.objects.get().role == "organiser"  # one role per campaign
    assert list(volunteer.groups.values_list("name", flat=True)) == ["Organisers"]
    call_command("campaign_team", "zhanaozen", "list")
    assert "aigerim\torganiser" in capsys.readouterr().out

    call_command("campaign_team", "zhanaozen", "remove", "aigerim")
    assert not CampaignMember.objects.exists()
    assert not volunteer.groups.exists()
    assert "no longer on the team" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere", "add", "aigerim", "--role", "organiser"], "No campaign with the slug"),
        (["zhanaozen", "add", "nobody", "--role", "organiser"], "No user named 'nobody'"),
        (["zhanaozen", "add", "aigerim"], "Say which role"),
        (["zhanaozen", "remove"], "Say whose membership"),
    ],
)
def test_unknown_campaigns_users_and_missing_roles_are_clear_errors(
    roles, volunteer, args, message
):
    CampaignFactory(slug="zhanaozen")
    with pytest.raises(CommandError, match=message):
        call_command("campaign_team", *args)
    assert not CampaignMember.objects.exists()


def test_it_creates_no_user_and_no_campaign(roles, django_user_model):
    CampaignFactory(slug="zhanaozen")
    with pytest.raises(CommandError):
        call_command("campaign_team", "zhanaozen", "add", "ghost", "--role", "organiser")
    assert not django_user_model.objects.exists()


def test_the_database_refuses_two_roles_for_one_person_on_one_team(volunteer):
    from django.db import IntegrityError

    campaign = CampaignFactory()
    CampaignMember.objects.create(campaign=campaign, user=volunteer, role="moderator")
    with pytest.raises(IntegrityError):
        CampaignMember.objects.create(campaign=campaign, user=volunteer, role="organiser")


def test_the_database_refuses_an_unknown_role(volunteer):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        CampaignMember.objects.create(campaign=CampaignFactory(), user=volunteer, role="owner")
