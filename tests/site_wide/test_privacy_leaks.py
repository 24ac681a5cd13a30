"""No signatory's e-mail, hidden name or IP on any public page, or in any log line."""

import logging
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from attendance import tokens as attendance_tokens
from attendance.models import SignUp
from letters.models import Reply, Update
from letters.services.lifecycle import letter_transition
from signatories import tokens
from signatories.models import Signatory
from tests.factories import EventFactory, LetterFactory, SignatoryFactory
from tests.helpers import pdf_text, sign_data, sign_url, tiny_pdf

pytestmark = pytest.mark.django_db

IP = "198.51.100.77"


def public_url_names():
    """Every named URL outside the admin, so a new page cannot dodge this test."""
    names = set()

    def walk(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                # The admin, and the staff's second factor pages under /admin/.
                if p.namespace != "admin" and not str(p.pattern).startswith("admin/"):
                    walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns)
    return names


@pytest.fixture
def world(db):
    event = EventFactory()
    letter = LetterFactory(campaign=event.campaign, hand_in_event=event, moderation="post")
    people = {
        "published": SignatoryFactory(letter=letter, name="Visible Person"),
        "unconfirmed": SignatoryFactory(
            letter=letter, name="Unconfirmed Person", confirmed_at=None
        ),
        "rejected": SignatoryFactory(letter=letter, name="Rejected Person", status="rejected"),
        "withdrawn": SignatoryFactory(
            letter=letter, name="Withdrawn Person", withdrawn_at="2026-01-01T00:00Z"
        ),
        "pending_pre": SignatoryFactory(
            letter=LetterFactory(campaign=event.campaign, moderation="pre"),
            name="Awaiting Approval",
            status="pending",
        ),
        "paper": SignatoryFactory(letter=letter, name="Paper Person", source="paper", email=""),
        "confirming": SignatoryFactory(letter=letter, name="Confirming Person", confirmed_at=None),
        "hidden": SignatoryFactory(letter=letter, name="Hidden Person", display="hidden"),
        "name_only": SignatoryFactory(
            letter=letter, name="Named Person", affiliation="Secret Employer", display="name"
        ),
        "suspect": SignatoryFactory(
            letter=letter, name="Suspect Person", status="pending", suspicion="rate"
        ),
    }
    Signatory.objects.filter(pk=people["published"].pk).update(ip_hash="a" * 64)
    Update.objects.create(
        letter=letter,
        subject="Public news",
        body="Hand-in on Monday.",
        send_requested_at="2026-01-01T00:00Z",
    )
    delivered = LetterFactory(campaign=event.campaign, hand_in_event=event, status="closed")
    SignatoryFactory(letter=delivered, name="Delivered Person", email="delivered@example.net")
    SignatoryFactory(letter=delivered, name="Rejected Person", status="rejected")
    SignatoryFactory(letter=delivered, name="Hidden Person", display="hidden")
    SignatoryFactory(
        letter=delivered, name="Named Person", affiliation="Secret Employer", display="name"
    )
    letter_transition(letter=delivered, to_status="delivered")
    reply = Reply.objects.create(
        letter=delivered,
        received_on="2014-01-20",
        sender="Foreign Office",
        text="We have noted your letter.",
        pdf=tiny_pdf("We have noted your letter."),
        pdf_name="reply.pdf",
    )
    return {
        "event": event,
        "letter": letter,
        "people": people,
        "delivered": delivered,
        "reply": reply,
    }


def body_text(response):
    """What a reader sees: the text of a PDF, the bytes of anything else."""
    if response.streaming and not hasattr(response, "read_once"):
        response.read_once = b"".join(response.streaming_content)  # a stream reads once
    content = response.read_once if response.streaming else response.content
    if response.get("Content-Type") == "application/pdf":
        return pdf_text(content)
    return content.decode()


def test_no_public_url_shows_an_email_a_hidden_name_or_an_ip(client, world, on_commit):
    letter, event, people = world["letter"], world["event"], world["people"]
    with on_commit():
        client.post(sign_url(letter), sign_data(email="new.signer@example.net"), REMOTE_ADDR=IP)
    published = people["published"]
    confirm = tokens.make_token(people["confirming"], tokens.CONFIRM)
    withdraw = tokens.make_token(published, tokens.WITHDRAW)
    urls = {
        "campaign:home": reverse("campaign:home"),
        "campaign:detail": event.campaign.get_absolute_url(),
        "campaign:event_ics": event.get_ics_url(),
        "letters:detail": letter.get_absolute_url(),
        "letters:sign": sign_url(letter),
        "letters:thanks": reverse("letters:thanks", kwargs={"slug": letter.slug}),
        "health": reverse("health"),
        "ready": reverse("ready"),
        "letters:count_json": reverse("letters:count_json", kwargs={"slug": letter.slug}),
        "letters:embed": reverse("letters:embed", kwargs={"slug": letter.slug}),
        "letters:reply_pdf": reverse(
            "letters:reply_pdf",
            kwargs={"slug": world["delivered"].slug, "pk": world["reply"].pk},
        ),
        "letters:delivered_pdf": reverse(
            "letters:delivered_pdf", kwargs={"slug": world["delivered"].slug}
        ),
        "signatories:withdraw": reverse("signatories:withdraw", kwargs={"token": withdraw}),
        "signatories:unsubscribe": reverse(
            "signatories:unsubscribe",
            kwargs={"token": tokens.make_token(published, tokens.UNSUBSCRIBE)},
        ),
        "signatories:erase": reverse(
            "signatories:erase",
            kwargs={"token": tokens.make_token(published, tokens.ERASE)},
        ),
        "signatories:restore": reverse(
            "signatories:restore",
            kwargs={"token": tokens.make_token(people["withdrawn"], tokens.RESTORE)},
        ),
        "signatories:confirm": reverse("signatories:confirm", kwargs={"token": confirm}),
    }
    # Event sign-ups (attendance/): the pages count them and never name them.
    attending = SignUp.objects.create(
        event=event, name="Attending Person", email="attending@example.net", people=2
    )
    SignUp.objects.create(event=event, name="Attending Unconfirmed", email="unc@example.net")
    SignUp.objects.filter(pk=attending.pk).update(confirmed_at="2026-01-01T00:00Z")
    event_url_kwargs = {"slug": event.campaign.slug, "pk": event.pk}
    urls |= {
        "attendance:event": event.get_absolute_url(),
        "attendance:thanks": reverse("attendance:thanks", kwargs=event_url_kwargs),
        "attendance:confirm": reverse(
            "attendance:confirm",
            kwargs={"token": attendance_tokens.make_token(attending, attendance_tokens.CONFIRM)},
        ),
        "attendance:cancel": reverse(
            "attendance:cancel",
            kwargs={"token": attendance_tokens.make_token(attending, attendance_tokens.CANCEL)},
        ),
    }
    # Bodies that passed the resolution (resolutions/): an approved report and its reporter's
    # address, which no page shows; the campaign of `event` publishes the model resolution.
    from campaign.models import Resource
    from resolutions import services as resolution_services
    from resolutions.tokens import LINKS as resolution_links

    Resource.objects.create(
        campaign=event.campaign, kind="model_resolution", title="Model", body="This union notes"
    )
    reported, _ = resolution_services.resolution_report(
        campaign=event.campaign,
        email="reporting.secretary@example.net",
        body="Central Line West branch",
        organisation="RMT",
        level="branch",
        passed_on="2012-11-01",
    )
    # Confirmed and approved: listed on the campaign page, its address on none.
    type(reported).objects.filter(pk=reported.pk).update(
        confirmed_at="2026-01-01T00:00Z", status="approved"
    )
    urls |= {
        "resolutions:report": reverse("resolutions:report", args=[event.campaign.slug]),
        "resolutions:sent": reverse("resolutions:sent", args=[event.campaign.slug]),
        "resolutions:confirm": reverse(
            "resolutions:confirm",
            kwargs={"token": resolution_links.make(reported, "confirm")},
        ),
    }
    # The mail provider's webhook (mailing/webhooks.py): takes signed POSTs only, shows nothing.
    urls["mailing:mailgun_events"] = reverse("mailing:mailgun_events")
    assert set(urls) == public_url_names()

    pages = {name: client.get(url, follow=True) for name, url in urls.items()}
    pages["letter, last page"] = client.get(letter.get_absolute_url(), {"last": 1})
    pages["repeat confirm"] = client.get(urls["signatories:confirm"])
    pages["404"] = client.get("/letters/nope/")
    pages["delivered letter"] = client.get(world["delivered"].get_absolute_url())

    secrets = [s.email for s in Signatory.objects.exclude(email="")] + [
        "attending@example.net",
        "unc@example.net",
        "new.signer@example.net",
        "reporting.secretary@example.net",
        IP,
    ]
    hidden = [
        "Unconfirmed Person",
        "Rejected Person",
        "Withdrawn Person",
        "Awaiting Approval",
        "Hidden Person",
        "Secret Employer",
        "Suspect Person",
        "Attending Person",
        "Attending Unconfirmed",
    ]
    for label, response in pages.items():
        body = body_text(response)
        for secret in [*secrets, "a" * 64]:
            assert secret not in body, (label, secret)
        for name in hidden:
            assert name not in body, (label, name)
        assert "@example.net" not in body, label
    assert "Visible Person" in pages["letters:detail"].content.decode()
    assert "Central Line West branch" in pages["campaign:detail"].content.decode()
    assert "Delivered Person" in body_text(pages["letters:delivered_pdf"])


def test_no_log_line_holds_an_email_or_ip(client, letter, on_commit, mailoutbox, caplog):
    caplog.set_level(logging.DEBUG)
    with on_commit():
        client.post(sign_url(letter), sign_data(email="Secret.Person@example.net"), REMOTE_ADDR=IP)
    with on_commit():
        client.post(sign_url(letter), sign_data(email="secret.person@example.net"), REMOTE_ADDR=IP)
    for mail in mailoutbox:
        path = mail.body.split("/s/confirm/")[1].split()[0]
        client.get(f"/s/confirm/{path}")
    client.get("/s/confirm/forged/")

    text = caplog.text.lower()  # formatted lines, tracebacks included
    assert "secret.person" not in text
    assert IP not in text
    assert "New signature" in caplog.text


# The address column by name: SELECTs that read it decrypt every address they load.
READS_ADDRESS = re.compile(r'"signatories_signatory"\."email"')


def test_no_public_page_even_reads_an_address_from_the_database(client, world):
    """Letter pages, lists, counts, feeds and PDFs never load the column, so never decrypt it.

    The signer's own link pages (signatories:*) do read their one address: the
    link is checked against it (signatories/tokens.py).
    """
    letter = world["letter"]
    urls = [
        reverse("campaign:home"),
        world["event"].campaign.get_absolute_url(),
        world["event"].get_ics_url(),
        letter.get_absolute_url(),
        f"{letter.get_absolute_url()}?last=1",
        f"{letter.get_absolute_url()}?from=a",
        reverse("letters:count_json", kwargs={"slug": letter.slug}),
        reverse("letters:embed", kwargs={"slug": letter.slug}),
        world["delivered"].get_absolute_url(),
        reverse("letters:delivered_pdf", kwargs={"slug": world["delivered"].slug}),
    ]
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            body_text(response)  # a streamed PDF is read from the database as it is sent
        assert response.status_code == 200, url
        assert not [q["sql"] for q in queries if READS_ADDRESS.search(q["sql"])], url

    # Signing, and signing again with the same address: one INSERT, then a lookup by hash.
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            signed = client.post(
                sign_url(letter), sign_data(email="again@example.net"), REMOTE_ADDR=IP
            )
        assert signed.status_code == 302
        selects = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
        assert not [sql for sql in selects if READS_ADDRESS.search(sql)]
