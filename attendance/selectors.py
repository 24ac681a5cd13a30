"""Reading attendance for pages: a number per event, never a row."""

from urllib.parse import urlencode

from django.db.models import Sum

from attendance.models import SignUp


def event_people_coming(event):
    """People the confirmed sign-ups bring, plus what was kept when older ones were deleted."""
    return events_people_coming([event])[event.pk]


def events_people_coming(events):
    """{event id: people coming} for several events in one query (a campaign page's list)."""
    events = list(events)
    counted = dict(
        SignUp.objects.filter(event__in=events)
        .confirmed()
        .order_by()
        .values_list("event")
        .annotate(n=Sum("people"))
    )
    return {e.pk: counted.get(e.pk, 0) + (e.people_coming_kept or 0) for e in events}


def event_map_url(event):
    """An OpenStreetMap search for the place: a plain link, so no page or mail loads a map
    (or tells a map provider who is reading) until the reader chooses to follow it."""
    where = ", ".join(part for part in (event.place, event.address) if part)
    return f"https://www.openstreetmap.org/search?{urlencode({'query': where})}"
