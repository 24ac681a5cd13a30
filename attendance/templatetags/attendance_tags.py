from django import template

from attendance.selectors import event_people_coming
from attendance.services import event_is_over, event_takes_sign_ups

register = template.Library()


@register.simple_tag
def event_attendance(event):
    """For an event in a list: how many are coming (a number, never who), whether it takes
    sign-ups now, and whether it is over."""
    return {
        "people_coming": event_people_coming(event),
        "open": event_takes_sign_ups(event),
        "is_over": event_is_over(event),
    }
