"""What a sign-up's mails say, and sending one, in the signer's language, naming no address.

The outboxes (attendance/outboxes.py) decide when; this decides what. As for
signatures (signatories/mail.py): an SMTP error's text holds the recipient's
address, so a failure goes up as MailNotSent naming only the sign-up's id.
"""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse

from attendance import tokens
from attendance.selectors import event_map_url, event_people_coming
from campaign.ics import event_to_ics
from signatories.mail import absolute, site_mail


def _language(sign_up):
    return sign_up.language or settings.LANGUAGE_CODE


def _in_language(url, sign_up):
    """The page a link opens comes in the mail's language (config/middleware.py reads ?lang)."""
    return f"{url}?{urlencode({'lang': _language(sign_up)})}"


def sign_up_links(sign_up):
    def link(name, purpose):
        path = reverse(name, kwargs={"token": tokens.make_token(sign_up, purpose)})
        return _in_language(absolute(path), sign_up)

    event = sign_up.event
    return {
        "confirm_url": link("attendance:confirm", tokens.CONFIRM),
        "cancel_url": link("attendance:cancel", tokens.CANCEL),
        "event_url": _in_language(absolute(event.get_absolute_url()), sign_up),
        "ics_url": absolute(event.get_ics_url()),
        "map_url": event_map_url(event),
    }


def event_calendar(event):
    """The event as an .ics file (campaign/ics.py), its URL the event's own page."""
    return event_to_ics(
        event,
        url=absolute(event.get_absolute_url()),
        domain=urlsplit(settings.SITE_URL).hostname or "localhost",
    )


def send_to_sign_up(sign_up, template, *, calendar=False):
    """Render templates/attendance/email/<template>_subject.txt and _body.txt and send it
    (signatories.mail.site_mail: never to a suppressed address)."""
    event = sign_up.event
    context = {
        "sign_up": sign_up,
        "event": event,
        "campaign": event.campaign,
        "confirm_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        **sign_up_links(sign_up),
    }
    if template == "notice":
        context["people_coming"] = event_people_coming(event)
    site_mail(
        template=f"attendance/email/{template}",
        context=context,
        to=sign_up.email,
        language=_language(sign_up),
        what=f"{template} mail for sign-up {sign_up.pk}",
        reply_to=event.campaign.contact_email,
        attach=[(f"event-{event.pk}.ics", event_calendar(event), "text/calendar")]
        if calendar
        else (),
    )
