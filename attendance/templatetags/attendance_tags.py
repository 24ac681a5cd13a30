from django import template

from attendance.selectors import events_people_coming
from attendance.services import event_is_over, event_takes_sign_ups

register = template.Library()


@register.simple_tag(takes_context=True)
def event_attendance(context, event):
    """For an event in a list: how many are coming (a number, never who), whether it takes
    sign-ups now, and whether it is over. At the first event of the page's `events`, every
    one's count is read in one query and kept on its object for the rest of the loop."""
    if not hasattr(event, "people_coming_now"):
        listed = [e for e in (context.get("events") or []) if hasattr(e, "pk")]
        together = listed if event in listed else [event]
        counts = events_people_coming(together)
        for each in together:
            each.people_coming_now = counts[each.pk]
        event.people_coming_now = counts[event.pk]
    return {
        "people_coming": event.people_coming_now,
        "open": event_takes_sign_ups(event),
        "is_over": event_is_over(event),
    }
