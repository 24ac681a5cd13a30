"""Abuse limits: quiet for people behind one address, firm for floods and bots."""

import re
import time
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client

from signatories import tokens
from signatories.abuse import client_ip, form_stamp
from signatories.models import Signatory
from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import REDIS, link_path, redis_up, sign_data, sign_url

pytestmark = pytest.mark.django_db


def post(client, letter, on_commit, ip="203.0.113.5", **fields):
    with on_commit():
        return client.post(sign_url(letter), sign_data(**fields), REMOTE_ADDR=ip)


class TestSoftLimit:
    def test_a_meeting_on_one_address_is_published_as_each_confirms(
        self, client, on_commit, mailoutbox, settings
    ):
        """A branch meeting on one Wi-Fi: marked for moderators, never kept waiting."""
        letter = LetterFactory(moderation="post")
        responses = [
            post(client, letter, on_commit, email=f"member{n}@example.net") for n in range(40)
        ]

        assert {r.status_code for r in responses} == {302}
        assert {r["Location"] for r in responses} == {responses[0]["Location"]}
        marks = [s.suspicion for s in Signatory.objects.order_by("pk")]
        assert marks[0] == "" and set(marks[1:]) == {"shared"}
        assert len(mailoutbox) == 40  # every one of them confirms from their own inbox
        for mail in mailoutbox:
            client.post(link_path(mail, "confirm"))
        assert letter.signatories.published().count() == 40
        assert not Signatory.objects.held_as_suspect().exists()

    def test_past_the_soft_limit_signatures_are_kept_marked_suspect_with_the_normal_flow(
        self, client, on_commit, mailoutbox, settings
    ):
        """Hundreds from one address in an hour are no meeting: held, even confirmed."""
        settings.SIGN_HELD_LIMIT_PER_HOUR = 3
        settings.SIGN_HARD_LIMIT_PER_MINUTE = 100
        letter = LetterFactory(moderation="post")
        for n in range(5):
            response = post(client, letter, on_commit, email=f"bot{n}@example.net")
            assert response.status_code == 302  # the same flow, nothing to learn from
        marks = [s.suspicion for s in Signatory.objects.order_by("pk")]
        assert marks == ["", "shared", "shared", "rate", "rate"]
        for mail in mailoutbox:
            client.post(link_path(mail, "confirm"))
        published = set(letter.signatories.published().values_list("email", flat=True))
        assert published == {"bot0@example.net", "bot1@example.net", "bot2@example.net"}
        assert Signatory.objects.held_as_suspect().count() == 2

    def test_five_in_five_minutes(self, client, on_commit, settings):
        settings.SIGN_SOFT_LIMIT_PER_MINUTE = 100
        letter = LetterFactory()
        for i in range(6):
            post(client, letter, on_commit, email=f"p{i}@example.net")
        assert list(Signatory.objects.order_by("pk").values_list("suspicion", flat=True)) == [
            "",
            "",
            "",
            "",
            "",
            "shared",
        ]

    def test_another_address_or_letter_is_unaffected(self, client, on_commit):
        letter, other = LetterFactory(), LetterFactory()
        post(client, letter, on_commit, email="a@example.net")
        post(client, letter, on_commit, email="b@example.net", ip="198.51.100.1")
        post(client, other, on_commit, email="c@example.net")
        assert not Signatory.objects.exclude(suspicion="").exists()


class TestHardCeiling:
    def test_past_the_ceiling_the_next_request_gets_a_polite_429(
        self, client, letter, on_commit, settings
    ):
        settings.SIGN_HARD_LIMIT_PER_MINUTE = 5
        statuses = [
            post(client, letter, on_commit, email=f"p{i}@example.net").status_code for i in range(6)
        ]
        assert statuses == [302] * 5 + [429]
        refused = post(client, letter, on_commit, email="late@example.net")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "60"
        assert "Please wait a minute" in refused.content.decode()
        assert Signatory.objects.count() == 5

        other_ip = post(client, letter, on_commit, email="x@example.net", ip="198.51.100.9")
        assert other_ip.status_code == 302


class TestClientAddress:
    def test_a_forged_forwarded_header_changes_nothing_without_a_trusted_proxy(
        self, client, letter, on_commit, settings
    ):
        settings.SIGN_HARD_LIMIT_PER_MINUTE = 2
        statuses = [
            client.post(
                sign_url(letter),
                sign_data(email=f"p{i}@example.net"),
                REMOTE_ADDR="203.0.113.5",
                HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
            ).status_code
            for i in range(3)
        ]
        assert statuses == [302, 302, 429]

    def test_behind_a_trusted_proxy_the_forwarded_client_counts(
        self, client, letter, on_commit, settings
    ):
        settings.SIGN_HARD_LIMIT_PER_MINUTE = 2
        settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
        statuses = [
            client.post(
                sign_url(letter),
                sign_data(email=f"p{i}@example.net"),
                REMOTE_ADDR="127.0.0.1",
                HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
            ).status_code
            for i in range(5)
        ]
        assert statuses == [302] * 5

    @pytest.mark.parametrize(
        ("remote", "forwarded", "expected"),
        [
            ("203.0.113.1", "1.2.3.4", "203.0.113.1"),  # not from our proxy: ignored
            ("127.0.0.1", "1.2.3.4", "1.2.3.4"),
            ("127.0.0.1", "9.9.9.9, 1.2.3.4", "1.2.3.4"),  # the client may forge the far end
            ("127.0.0.1", "1.2.3.4, 127.0.0.1", "1.2.3.4"),  # our own hops are skipped
            ("127.0.0.1", "not-an-ip", "127.0.0.1"),
            ("127.0.0.1", "", "127.0.0.1"),
        ],
    )
    def test_client_ip(self, rf, settings, remote, forwarded, expected):
        settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
        request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
        assert client_ip(request) == expected


class TestBots:
    @pytest.mark.parametrize(
        ("fields", "reason"),
        [
            ({"website": "http://spam.example"}, "honeypot"),
            ({"rendered": ""}, "no_form"),
            ({"rendered": "forged:stamp"}, "no_form"),
        ],
    )
    def test_bots_get_the_same_neutral_response_and_no_mail(
        self, client, letter, on_commit, mailoutbox, fields, reason
    ):
        person = post(client, letter, on_commit, email="person@example.net", ip="198.51.100.1")
        bot = post(client, letter, on_commit, email="victim@example.net", **fields)

        assert (bot.status_code, bot["Location"]) == (person.status_code, person["Location"])
        assert [m.to for m in mailoutbox] == [["person@example.net"]]
        kept = Signatory.objects.with_email("victim@example.net").get()
        assert kept.suspicion == reason
        assert kept not in letter.signatories.published()

    def test_a_form_sent_too_fast_comes_back_and_signs_when_pressed_again(
        self, client, letter, on_commit, mailoutbox
    ):
        """Autofill beats the minimum time: the person is told, nothing is lost or stored."""
        rendered = time.time()
        quick = post(client, letter, on_commit, rendered=form_stamp(rendered))
        assert quick.status_code == 400
        html = quick.content.decode()
        assert "That was very quick" in html and 'id="form-errors"' in html
        assert 'value="Ada Lovelace"' in html  # what they typed is still there
        assert not Signatory.objects.exists() and mailoutbox == []

        renewed = re.search(r'name="rendered" value="([^"]+)"', html)[1]
        later = rendered + settings.SIGN_MIN_FORM_SECONDS + 1
        with mock.patch("signatories.abuse.time.time", return_value=later):
            again = post(client, letter, on_commit, rendered=renewed)
        assert again.status_code == 302
        assert Signatory.objects.get().suspicion == ""
        assert [m.to for m in mailoutbox] == [["ada@example.net"]]

    def test_a_bot_repeating_a_real_address_sends_no_mail_either(
        self, client, letter, on_commit, mailoutbox
    ):
        post(client, letter, on_commit, email="person@example.net", ip="198.51.100.1")
        post(client, letter, on_commit, email="person@example.net", website="x")
        assert len(mailoutbox) == 1

    def test_the_form_renders_a_fresh_stamp_and_a_hidden_honeypot(self, client, letter):
        html = client.get(letter.get_absolute_url()).content.decode()
        assert 'name="rendered"' in html
        assert 'name="website"' in html and 'aria-hidden="true"' in html


class TestTokenGuessing:
    def test_repeated_wrong_guesses_are_limited_but_good_links_do_not_count(
        self, client, letter, settings
    ):
        settings.TOKEN_GUESS_LIMIT_PER_10_MINUTES = 3
        signatory = SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
        good = tokens.make_token(signatory, tokens.WITHDRAW)
        for _ in range(5):
            assert client.get(f"/s/withdraw/{good}/").status_code == 200

        guesses = [client.get(f"/s/confirm/guess{i}/").status_code for i in range(4)]
        assert guesses == [400, 400, 400, 429]
        confirm = tokens.make_token(signatory, tokens.CONFIRM)
        assert client.get(f"/s/confirm/{confirm}/").status_code == 429  # blocked for a while
        assert Signatory.objects.get().confirmed_at is None
        other = Client(REMOTE_ADDR="198.51.100.7")
        assert other.get(f"/s/confirm/{confirm}/").status_code == 200


@pytest.fixture
def redis_cache(settings):
    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS},
    }
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


@pytest.mark.skipif(not redis_up(), reason="needs Redis on 127.0.0.1:6379")
def test_the_hard_ceiling_holds_across_clients_through_redis(client, letter, settings, redis_cache):
    from django.test import Client

    settings.SIGN_HARD_LIMIT_PER_MINUTE = 3
    instances = [client, Client(), Client()]  # as if behind different app processes
    statuses = [
        instances[i % 3]
        .post(sign_url(letter), sign_data(email=f"p{i}@example.net"), REMOTE_ADDR="203.0.113.8")
        .status_code
        for i in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]

    keys = [key.decode() for key in redis_cache._cache.get_client().keys("*")]
    assert [key for key in keys if ":abuse:sign-any:" in key]
    assert not any("203.0.113.8" in key for key in keys)  # the address is hashed
