"""The letter page from memory: one render serves many readers, each with their own token."""

import re

import pytest
from django.core.cache import caches
from django.test import Client

from signatories.abuse import form_stamp_suspicion
from signatories.models import Signatory
from tests.factories import SignatoryFactory
from tests.helpers import sign_data, sign_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.LETTER_PAGE_CACHE_SECONDS = 10


def hidden(html, name):
    return re.search(rf'name="{name}" value="([^"]+)"', html).group(1)


def test_a_second_reader_gets_the_page_without_a_query(letter, django_assert_num_queries):
    SignatoryFactory(letter=letter, name="Jeremy Corbyn")
    first = Client().get(letter.get_absolute_url())
    with django_assert_num_queries(0):
        second = Client().get(letter.get_absolute_url())

    assert second.status_code == 200
    assert "Jeremy Corbyn" in second.content.decode()
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", first.content.decode()) == strip.sub("", second.content.decode())


def test_each_reader_gets_a_token_and_stamp_of_their_own_that_work(letter):
    Client().get(letter.get_absolute_url())  # renders and caches the page
    reader = Client(enforce_csrf_checks=True)
    html = reader.get(letter.get_absolute_url()).content.decode()
    other = Client().get(letter.get_absolute_url()).content.decode()

    assert "placeholder" not in html
    assert hidden(html, "csrfmiddlewaretoken") != hidden(other, "csrfmiddlewaretoken")
    stamp = hidden(html, "rendered")
    assert form_stamp_suspicion(stamp) == Signatory.Suspicion.TOO_FAST  # signed by us, just now

    data = {**sign_data(email="reader@example.net")}
    data["csrfmiddlewaretoken"] = hidden(html, "csrfmiddlewaretoken")
    assert reader.post(sign_url(letter), data).status_code == 302
    assert Signatory.objects.with_email("reader@example.net").exists()


def test_languages_and_hosts_are_cached_apart(letter, settings):
    settings.ALLOWED_HOSTS = ["testserver", "letters.example.org"]
    english = Client().get(letter.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    russian = Client().get(letter.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ru")
    elsewhere = Client().get(letter.get_absolute_url(), HTTP_HOST="letters.example.org")

    assert '<html lang="en">' in english.content.decode()
    assert '<html lang="ru">' in russian.content.decode()
    assert "http://letters.example.org/" in elsewhere.content.decode()
    assert "http://letters.example.org/" not in english.content.decode()


def test_deep_pages_and_odd_parameters_are_rendered_each_time(
    letter, settings, django_assert_max_num_queries
):
    settings.SIGNATORIES_PER_PAGE = 1
    SignatoryFactory.create_batch(4, letter=letter)
    for params in ({"after": "i.1.Number1, Person"}, {"from": "p"}, {"version": "xx"}):
        Client().get(letter.get_absolute_url(), params)
        with django_assert_max_num_queries(12) as rendered:  # rendered again
            Client().get(letter.get_absolute_url(), params)
        assert any("signatories_signatory" in q["sql"] for q in rendered.captured_queries)


def test_the_last_page_is_kept_too(letter, settings, django_assert_num_queries):
    settings.SIGNATORIES_PER_PAGE = 1
    SignatoryFactory.create_batch(3, letter=letter)
    Client().get(letter.get_absolute_url(), {"last": "1"})
    with django_assert_num_queries(0):
        Client().get(letter.get_absolute_url(), {"last": "1"})


def test_a_new_name_shows_once_the_copy_expires(client, letter):
    client.get(letter.get_absolute_url())
    SignatoryFactory(letter=letter, name="Late Signer")
    assert "Late Signer" not in client.get(letter.get_absolute_url()).content.decode()

    caches["process"].clear()  # LETTER_PAGE_CACHE_SECONDS later
    assert "Late Signer" in client.get(letter.get_absolute_url()).content.decode()


def test_kind_descending_puts_organisations_first():
    """The delivery order and its index read kind backwards; this keeps that true."""
    assert sorted(Signatory.Kind.values, reverse=True) == [
        Signatory.Kind.ORGANISATION,
        Signatory.Kind.INDIVIDUAL,
    ]


def test_one_readers_query_string_never_reaches_the_next(letter):
    """The language links keep each reader's own address, never the first reader's."""
    first = Client().get(letter.get_absolute_url(), {"utm_source": "mail", "ref": "a@b.example"})
    second = Client().get(letter.get_absolute_url(), {"after": "abc"})
    third = Client().get(letter.get_absolute_url())

    assert "utm_source=mail&amp;ref=a%40b.example&amp;lang=kk" in first.content.decode()
    for later in (second, third):
        assert "utm_source" not in later.content.decode()
    assert "?after=abc&amp;lang=kk" in second.content.decode()
    assert f'href="{letter.get_absolute_url()}?lang=kk"' in third.content.decode()
