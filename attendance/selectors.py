"""Reading attendance for pages: a number per event, never a row."""

from urllib.parse import urlencode

from django.db.models import Sum

from attendance.models import SignUp


def event_people_coming(event):
    """People the confirmed sign-ups bring, plus what was kept when older ones were deleted."""
    counted = SignUp.objects.filter(event=event).confirmed().aggregate(n=Sum("people"))["n"]
    return (counted or 0) + (event.people_coming_kept or 0)


def event_map_url(event):
    """An OpenStreetMap search for the place: a plain link, so no page or mail loads a map
    (or tells a map provider who is reading) until the reader chooses to follow it."""
    where = ", ".join(part for part in (event.place, event.address) if part)
    return f"https://www.openstreetmap.org/search?{urlencode({'query': where})}"
