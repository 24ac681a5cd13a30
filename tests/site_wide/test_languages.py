"""English, Russian and Kazakh: the interface, form errors and e-mails; never the letter."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import sign_data, sign_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter_en():
    letter = LetterFactory(salutation="Dear Mr Hague,", target_count=10)
    SignatoryFactory(letter=letter, name="Жанат Мырынбаев")
    return letter


@pytest.mark.parametrize(
    ("accept", "lang", "button", "heading"),
    [
        ("ru-RU,ru;q=0.9", "ru", "Подписать письмо", "Подписали"),
        ("kk-KZ,kk;q=0.9,ru;q=0.8", "kk", "Хатқа қол қою", "Қол қойғандар"),
        ("en-GB,en;q=0.9", "en", "Sign the letter", "Signed by"),
        ("de-DE", "en", "Sign the letter", "Signed by"),
    ],
)
def test_the_browser_language_chooses_the_interface_not_the_letter(
    client, letter_en, accept, lang, button, heading
):
    html = client.get(letter_en.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=accept).content.decode()

    assert f'<html lang="{lang}">' in html
    assert button in html and heading in html
    assert "Dear Mr Hague," in html  # the letter stays as written
    assert 'lang="en"' in html  # and says so, for screen readers


def test_the_switcher_overrides_the_browser(client, letter_en):
    url = letter_en.get_absolute_url()
    html = client.get(url, {"last": "1"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    link = f'href="{url}?last=1&amp;lang=kk"'
    assert link in html  # a plain link: no form, so no CSRF cookie for it

    response = client.get(url, {"last": "1", "lang": "kk"}, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 302 and response["Location"] == f"{url}?last=1"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="kk">' in html
    assert 'hreflang="ru" lang="ru"' in html and "Русский" in html and "English" in html
    current = 'lang="kk" rel="alternate nofollow" class="btn btn-sm btn-light" aria-current="true"'
    assert current in html


def test_form_errors_come_in_the_visitors_language(client, letter_en):
    response = client.post(
        sign_url(letter_en), sign_data(email="nope", name="..."), HTTP_ACCEPT_LANGUAGE="ru"
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Введите правильный адрес электронной почты." in html
    assert "Пожалуйста, введите имя, в котором есть хотя бы одна буква." in html


@pytest.mark.parametrize(
    ("accept", "subject", "line"),
    [
        ("kk", "Қолыңызды растаңыз:", "Қолыңызды растаңыз: мына сілтемені ашып"),
        ("ru", "Подтвердите подпись:", "Пожалуйста, подтвердите подпись: откройте эту ссылку"),
        ("en", "Please confirm your signature:", "Please confirm your signature: open this link"),
    ],
)
def test_mails_are_written_in_the_language_the_signer_used(
    client, letter_en, on_commit, mailoutbox, accept, subject, line
):
    with on_commit():
        client.post(sign_url(letter_en), sign_data(), HTTP_ACCEPT_LANGUAGE=accept)
    with on_commit():
        client.post(sign_url(letter_en), sign_data(), HTTP_ACCEPT_LANGUAGE="en")

    assert mailoutbox[0].subject.startswith(subject)
    assert line in mailoutbox[0].body
    assert letter_en.title in mailoutbox[0].subject
    # The repeat mail follows the language stored at signing, not the second visit.
    assert mailoutbox[1].subject.startswith(
        {"kk": "Сіз бұрын", "ru": "Вы уже", "en": "You have already"}[accept]
    )


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_message_is_translated(language):
    po = Path(settings.BASE_DIR, "locale", language, "LC_MESSAGES", "django.po").read_text()
    entries = [
        e for e in po.split("\n\n") if "\nmsgid " in f"\n{e}" and 'msgid ""\nmsgstr' not in e
    ]
    untranslated = [
        e for e in entries if re.search(r'^msgstr(\[\d\])? ""$(?!\n")', e, flags=re.MULTILINE)
    ]
    fuzzy = [e for e in entries if "#, fuzzy" in e]  # compilemessages skips these silently
    assert entries and untranslated == [] and fuzzy == []
