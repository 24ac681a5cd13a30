import datetime
import email
import email.policy
import re

import icalendar
import pytest
from django.utils import timezone

from attendance.models import SignUp
from tests.factories import EventFactory


@pytest.fixture
def event(db):
    return EventFactory(
        title="Demonstration at the Kazakh Embassy",
        place="Kazakh Embassy",
        address="125 Pall Mall, London SW1",
        starts_at=timezone.now() + datetime.timedelta(days=10),
    )


def add_sign_up(event, email="ada@example.net", *, name="Ada Lovelace", people=1, **fields):
    """A sign-up straight in the table, confirmed unless told otherwise (no mail owed)."""
    fields.setdefault("confirmed_at", timezone.now())
    return SignUp.objects.create(event=event, email=email, name=name, people=people, **fields)


def link_path(mail, kind):
    """The path of a confirm or cancel link in a mail."""
    return re.search(rf"https?://[^/\s]+(/attend/{kind}/\S+/)", mail.body).group(1)


def link_url(mail, kind):
    """The link as a person follows it: path and the mail's language."""
    return re.search(rf"https?://[^/\s]+(/attend/{kind}/\S+/\?lang=\w+)", mail.body).group(1)


def token(mail, kind):
    return re.search(rf"/attend/{kind}/(\S+)/", mail.body).group(1)


def strict(mail):
    """The mail's bytes as they go out, read back under the strict policy (raises if bad)."""
    raw = mail.message().as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.strict)


def calendar_of(mail):
    """The .ics attached to a mail, parsed by the icalendar package as a calendar app would."""
    [(_name, content, mimetype)] = [a for a in mail.attachments if a[0].endswith(".ics")]
    assert mimetype.startswith("text/calendar")
    return icalendar.Calendar.from_ical(content)
