import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from attendance.models import SignUp
from tests.attendance.conftest import add_sign_up
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_purge_attendance_deletes_sign_ups_a_week_after_the_event(settings):
    settings.ATTENDANCE_KEPT_DAYS = 7
    past = EventFactory(starts_at=timezone.now() - datetime.timedelta(days=8))
    coming = EventFactory()
    add_sign_up(past, "a@example.net", people=4)
    add_sign_up(coming, "a@example.net", people=1)
    out = io.StringIO()
    call_command("purge_attendance", stdout=out)
    assert out.getvalue().startswith("Deleted 1 sign-up(s)")
    assert list(SignUp.objects.values_list("event", flat=True)) == [coming.pk]
    past.refresh_from_db()
    assert past.people_coming_kept == 4


def test_the_demo_s_hand_in_has_people_coming_and_names_none(client):
    from attendance.selectors import event_people_coming
    from campaign.models import Event

    call_command("load_demo", "--no-login", stdout=io.StringIO())
    call_command("load_demo", "--no-login", stdout=io.StringIO())  # idempotent
    hand_in = Event.objects.get(title__contains="Foreign Office")
    assert event_people_coming(hand_in) == 9
    page = client.get(hand_in.get_absolute_url()).content.decode()
    assert "data-people-coming>9</span>" in page
    assert "Gabriel" not in page and "example.org" not in page
