"""A minimal iCalendar (RFC 5545) writer for one event; no dependency needed."""

from datetime import UTC

from django.utils import timezone


def _escape(text):
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line):
    """Fold at 75 octets without splitting a UTF-8 character (RFC 5545 §3.1)."""
    out, current = [], ""
    for ch in line:
        limit = 75 if not out else 74
        if len((current + ch).encode()) > limit:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    return "\r\n ".join(out)


def _utc(value):
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event_to_ics(event, *, url, domain):
    location = ", ".join(part for part in (event.place, event.address) if part)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Open letters//Campaign events//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:event-{event.pk}@{domain}",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(event.starts_at)}",
    ]
    if event.ends_at:
        lines.append(f"DTEND:{_utc(event.ends_at)}")
    lines += [
        f"SUMMARY:{_escape(event.title)}",
        f"LOCATION:{_escape(location)}",
        f"DESCRIPTION:{_escape(event.description)}",
        f"URL:{url}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines)
