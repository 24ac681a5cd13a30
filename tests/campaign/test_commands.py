"""load_demo: the seed campaign, idempotent, with or without a login."""

import datetime
import io
import zoneinfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from campaign import demo
from campaign.models import Campaign, Event
from letters.models import Letter
from signatories.models import Signatory

pytestmark = pytest.mark.django_db


def load_demo(*args):
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_load_demo_creates_the_seed_campaign():
    output = load_demo()

    campaign = Campaign.objects.get()
    letter = Letter.objects.get()
    assert letter.status == Letter.Status.OPEN
    assert letter.addressee == "The Foreign Secretary"
    assert letter.salutation == "Dear Mr Hague,"
    for number in "1234":
        assert f"\n\n{number}. To " in letter.body
    assert 'catch-all law on "inciting social discord"' in letter.body
    london = zoneinfo.ZoneInfo("Europe/London")
    times = {
        e.place: e.starts_at.astimezone(london).strftime("%Y-%m-%d %H:%M")
        for e in Event.objects.all()
    }
    # On the next anniversary, so that a newcomer sees a hand-in still to come.
    day = demo.next_anniversary()
    assert day.month == 12 and day.day == 16 and day >= datetime.date.today()
    assert letter.hand_in_date == day
    assert times == {"Foreign Office": f"{day} 10:00", "Kazakh Embassy": f"{day} 12:00"}
    assert all(e.ends_at > e.starts_at for e in Event.objects.all())
    translated = {t.language: t.title for t in letter.translations.filter(is_ready=True)}
    assert translated == {
        "ru": "Открытое письмо министру иностранных дел",
        "kk": "Сыртқы істер министріне ашық хат",
    }
    assert letter.hand_in_event.place == "Foreign Office"
    assert campaign.resources.get().kind == "model_resolution"
    assert campaign.demands.count() == 3

    signatories = letter.signatories.for_delivery()
    assert signatories.count() == len(demo.INDIVIDUALS) + 1 == 23
    assert signatories[0].kind == Signatory.Kind.ORGANISATION
    assert [s.name for s in signatories[1:]] == [n for n, _ in demo.INDIVIDUALS]
    assert all(s.email.endswith("@example.org") for s in signatories)
    assert "gmail" not in str(Signatory.objects.values_list("email", flat=True))
    assert "username organiser, password zhanaozen-2011" in output
    organiser = get_user_model().objects.get(username="organiser")
    assert organiser.check_password("zhanaozen-2011")
    # Staff in the roles the README describes, not superusers.
    assert not organiser.is_superuser
    assert list(organiser.groups.values_list("name", flat=True)) == ["Organisers"]
    moderator = get_user_model().objects.get(username="moderator")
    assert list(moderator.groups.values_list("name", flat=True)) == ["Moderators"]
    assert "username moderator, password zhanaozen-2011" in output
    # One team: the campaign's organiser and moderator.
    team = dict(letter.campaign.team.values_list("user__username", "role"))
    assert team == {"organiser": "organiser", "moderator": "moderator"}


def test_load_demo_is_idempotent():
    load_demo()
    user = get_user_model().objects.get(username="organiser")
    user.set_password("changed-by-the-organiser")
    user.save()

    output = load_demo()

    assert Campaign.objects.count() == 1
    assert Letter.objects.count() == 1
    assert Event.objects.count() == 2
    assert Signatory.objects.count() == 23
    assert "0 signatories added, 23 already there" in output
    assert (
        get_user_model()
        .objects.get(username="organiser")
        .check_password("changed-by-the-organiser")
    )


def test_load_demo_without_login():
    load_demo("--no-login")
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize(
    ("today", "expected"),
    [("2026-12-01", "2026-12-16"), ("2026-12-16", "2026-12-16"), ("2026-12-17", "2027-12-16")],
)
def test_the_demo_hand_in_is_the_next_anniversary(today, expected):
    assert str(demo.next_anniversary(datetime.date.fromisoformat(today))) == expected
