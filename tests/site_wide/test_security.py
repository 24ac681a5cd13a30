"""Security settings, escaping everywhere user text goes, and admin login guessing."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core import mail
from django.urls import reverse

from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import admin_signed_pdf, pdf_text, sign_data, sign_url

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","click")'


def test_pages_carry_a_content_security_policy_without_inline_script(client, letter):
    response = client.get(letter.get_absolute_url())
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_no_template_has_inline_script_or_a_third_party_resource():
    for path in Path(django_settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        # Links out (share buttons) are fine; nothing may be loaded from elsewhere.
        assert not re.search(
            r"""<(?:script|img|iframe|link|source)[^>]*(?:src|href)=["']https?://""", text
        ), path
        assert " style=" not in text, path  # CSP allows no inline styles either


def test_xss_and_formulas_as_names_stay_text_in_page_admin_pdf_and_csv(
    client, admin_client, on_commit, roles, django_user_model
):
    letter = LetterFactory(moderation="post")
    xss = SignatoryFactory(letter=letter, name=XSS, affiliation=FORMULA, email="x@example.net")
    SignatoryFactory(letter=letter, name=FORMULA, email="f@example.net")

    page = client.get(letter.get_absolute_url()).content.decode()
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    admin_pages = [
        admin_client.get(reverse("admin:signatories_signatory_changelist") + "?queue=all"),
        admin_client.get(reverse("admin:signatories_signatory_change", args=[xss.pk])),
    ]
    for response in admin_pages:
        assert XSS not in response.content.decode()
        assert "&lt;script&gt;" in response.content.decode()

    text = pdf_text(admin_signed_pdf(admin_client, letter))
    assert XSS in text  # printed literally, never interpreted
    assert FORMULA in text

    csv = b"".join(
        admin_client.get(reverse("admin:letters_letter_csv", args=[letter.pk])).streaming_content
    ).decode("utf-8-sig")
    assert f"'{FORMULA}".replace('"', '""') in csv
    assert f",{FORMULA}" not in csv and f"\n{FORMULA}" not in csv
    assert XSS in csv  # plain text in a spreadsheet; not a formula


def test_mail_headers_cannot_be_injected_through_a_title(client, on_commit, mailoutbox):
    letter = LetterFactory(title="Letter\r\nBcc: victim@example.org\r\nX-Evil: 1")
    with on_commit():
        client.post(sign_url(letter), sign_data())
    message = mailoutbox[0].message()
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in message["Subject"]
    assert mailoutbox[0].recipients() == ["ada@example.net"]


def test_admin_login_guessing_is_locked_out(client, admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": admin_user.username, "password": "wrong"})
    locked = client.post(url, {"username": admin_user.username, "password": "password"})
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.content.decode()
    other = type(client)(REMOTE_ADDR="198.51.100.3")
    ok = other.post(url, {"username": admin_user.username, "password": "password"})
    assert ok.status_code == 302


def test_no_mail_leaves_during_a_request(client, letter, settings):
    """Mail goes through tasks; with them queued, a request sends nothing itself."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    client.post(sign_url(letter), sign_data())
    assert mail.outbox == []


def test_pages_deny_the_browser_features_the_site_does_not_use(client, letter):
    for url in ["/", letter.get_absolute_url(), "/no-such-page/"]:
        policy = client.get(url)["Permissions-Policy"]
        assert "camera=()" in policy and "geolocation=()" in policy
        assert "microphone=()" in policy and "payment=()" in policy


def test_the_favicon_is_ours(client, letter):
    html = client.get(letter.get_absolute_url()).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert Path(finders.find("favicon.svg")).read_text().startswith("<svg")
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200
    assert b"".join(ico.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header


@pytest.mark.parametrize("cached", [False, True])
def test_a_csrf_cookie_only_where_there_is_a_form_and_not_for_a_year(
    client, letter, settings, cached
):
    if cached:
        settings.LETTER_PAGE_CACHE_SECONDS = 60
    closed = LetterFactory(campaign=letter.campaign, status="closed")
    for url in ["/", letter.campaign.get_absolute_url(), closed.get_absolute_url(), "/nowhere/"]:
        assert settings.CSRF_COOKIE_NAME not in client.get(url).cookies, url
        assert settings.CSRF_COOKIE_NAME not in client.get(url).cookies, url  # cached too

    response = client.get(letter.get_absolute_url())
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["max-age"] == settings.SIGN_FORM_MAX_AGE_HOURS * 3600 <= 24 * 3600
    assert cookie.value  # and the form carries a token for it
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
