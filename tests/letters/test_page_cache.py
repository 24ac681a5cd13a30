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


class TestShell:
    """A page further into the list: the shell kept, the page of names read for each reader."""

    @pytest.fixture(autouse=True)
    def shells_on(self, settings):
        settings.LETTER_SHELL_CACHE_SECONDS = 10
        settings.SIGNATORIES_PER_PAGE = 2

    def names_on(self, response):
        return re.findall(
            r"<li(?: class=\"organisation\")?><bdi>([^<]+)</bdi>", response.content.decode()
        )

    def test_a_position_reads_only_its_names_once_the_shell_is_drawn(
        self, letter, django_assert_max_num_queries
    ):
        for surname in ["Able", "Baker", "Carter", "Dunn", "Ellis"]:
            SignatoryFactory(letter=letter, name=f"Sam {surname}")
        url = letter.get_absolute_url()
        first = Client().get(url, {"after": "i.1.Able, Sam"})
        assert self.names_on(first) == ["Sam Baker", "Sam Carter"]
        with django_assert_max_num_queries(4) as queries:  # the counts and a page of names
            later = Client().get(url, {"after": "i.1.Carter, Sam"})
        assert self.names_on(later) == ["Sam Dunn", "Sam Ellis"]
        assert all("letters_reply" not in q["sql"] for q in queries.captured_queries)
        html = later.content.decode()
        assert html.count('id="names"') == 1 and "namesplaceholder" not in html
        assert "csrfplaceholder" not in html and "stampplaceholder" not in html
        # Each reader's language links keep their own place in the list.
        assert "?after=i.1.Carter%2C+Sam&amp;lang=kk" in html
        assert "after=i.1.Able" not in html

    def test_new_names_show_at_once_the_letters_text_within_seconds(self, letter):
        from django.core.cache import caches

        SignatoryFactory(letter=letter, name="Sam Able")
        url = letter.get_absolute_url()
        Client().get(url, {"from": "a"})
        SignatoryFactory(letter=letter, name="Sam Baker")
        letter.title = "A new title"
        letter.save()
        page = Client().get(url, {"from": "a"})
        assert self.names_on(page) == ["Sam Able", "Sam Baker"]  # read for this request
        assert "A new title" not in page.content.decode()  # the shell, seconds old
        caches["process"].clear()  # LETTER_SHELL_CACHE_SECONDS later
        assert "A new title" in Client().get(url, {"from": "a"}).content.decode()

    def test_a_signers_own_change_draws_the_whole_page(self, letter):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        SignatoryFactory(letter=letter, name="Sam Able")
        url = letter.get_absolute_url()
        Client().get(url, {"from": "a"})  # a shell is kept now
        with CaptureQueriesContext(connection) as queries:
            response = Client().get(url, {"updated": "1"})
        assert "Sam Able" in response.content.decode()
        # Its counts are fresh: the page is drawn whole, text and all.
        assert any("letters_lettertranslation" in q["sql"] for q in queries.captured_queries)
