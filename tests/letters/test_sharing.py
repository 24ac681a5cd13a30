"""Sharing: the count for other websites, social previews, progress toward the target."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import LetterFactory, SignatoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(letter):
    SignatoryFactory(letter=letter, name="Visible Name", email="visible@example.net")
    SignatoryFactory(letter=letter, name="Hidden Name", display="hidden")
    SignatoryFactory(letter=letter, name="Pending Name", status="pending")
    return letter


def test_the_count_endpoint_gives_the_title_and_count_and_nothing_else(client, shared):
    response = client.get(reverse("letters:count_json", kwargs={"slug": shared.slug}))

    assert response.status_code == 200
    assert json.loads(response.content) == {"title": shared.title, "count": 2}
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age=30" in response["Cache-Control"]


def test_the_embed_shows_only_title_and_count_and_may_be_framed(client, shared):
    response = client.get(reverse("letters:embed", kwargs={"slug": shared.slug}))

    html = response.content.decode()
    assert response.status_code == 200
    assert shared.title in html and '<div class="count">2</div>' in html
    for secret in ["Visible Name", "Hidden Name", "Pending Name", "@example"]:
        assert secret not in html
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert (
        "frame-ancestors 'none'" in client.get(shared.get_absolute_url())["Content-Security-Policy"]
    )


def test_a_flood_of_views_does_not_reach_the_database(client, shared, django_assert_num_queries):
    url = reverse("letters:count_json", kwargs={"slug": shared.slug})
    embed = reverse("letters:embed", kwargs={"slug": shared.slug})
    client.get(url)
    with django_assert_num_queries(0):
        for _ in range(20):
            client.get(url)
            client.get(embed)


def test_the_cached_count_catches_up(client, shared, settings):
    from django.core.cache import cache

    url = reverse("letters:count_json", kwargs={"slug": shared.slug})
    client.get(url)
    SignatoryFactory(letter=shared)
    assert json.loads(client.get(url).content)["count"] == 2  # within the cache window
    cache.clear()  # the window passes
    assert json.loads(client.get(url).content)["count"] == 3


def test_drafts_have_no_count_or_embed(client):
    draft = LetterFactory(status="draft")
    assert client.get(reverse("letters:count_json", kwargs={"slug": draft.slug})).status_code == 404
    assert client.get(reverse("letters:embed", kwargs={"slug": draft.slug})).status_code == 404


def test_the_letter_page_has_social_tags_and_share_links_that_load_nothing(client, shared):
    html = client.get(shared.get_absolute_url()).content.decode()

    assert f'<meta property="og:title" content="{shared.title}">' in html
    assert '<meta property="og:description" content="2 signatures so far.' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert "https://t.me/share/url?url=http%3A//testserver/letters/" in html
    assert "<script" not in html
    assert "embed/" in html and "count.json" in html


@pytest.mark.parametrize(
    ("target", "days", "expected"),
    [
        (10, 12, ["20% of the 10 signatures wanted.", "12 days left until the hand-in"]),
        (1, 1, ["100% of the 1 signatures wanted.", "The hand-in is tomorrow"]),
        (None, 0, ["The hand-in is today."]),
        (None, -3, ["has passed."]),
    ],
)
def test_progress_toward_the_target_and_days_left(client, target, days, expected):
    letter = LetterFactory(
        target_count=target, hand_in_date=timezone.localdate() + datetime.timedelta(days=days)
    )
    SignatoryFactory.create_batch(2, letter=letter)
    html = client.get(letter.get_absolute_url()).content.decode()
    for text in expected:
        assert text in html
    assert ('<progress class="letter-progress" value="2"' in html) == bool(target)
