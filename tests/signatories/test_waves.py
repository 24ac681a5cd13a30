"""Clusters of a bot wave: the window read, the shapes of names, the clusters found."""

from datetime import timedelta

import pytest
from django.utils import timezone

from signatories.waves import name_shape, wave_cluster, wave_clusters, wave_window
from tests.factories import SignatoryFactory
from tests.signatories.wave_data import build_wave

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("Kqzvb4821", "Xx9"),
        ("Person Number12", "Xx Xx9"),
        ("qzkvbrt", "random x"),
        ("aBcDeFg Smith", "random xXxXxXx Xx"),
        ("Mary O'Brien", None),
        ("Kevin McDonald", None),
        ("Schwarzkopf", None),
        ("Қанат Әбілов", None),
        ("Наталья Смирнова", None),
        ("", None),
    ],
)
def test_only_machine_made_names_have_a_shape(name, shape):
    assert name_shape(name) == shape


def test_the_window_holds_what_can_still_be_decided_on_and_stops_at_upto(letter):
    since = timezone.now() - timedelta(hours=1)
    kept = [SignatoryFactory(letter=letter, status=s).pk for s in ("pending", "approved")]
    SignatoryFactory(letter=letter, status="rejected")
    SignatoryFactory(letter=letter, status="pending", withdrawn_at=timezone.now())
    SignatoryFactory(letter=letter, created_at=since - timedelta(minutes=1))
    SignatoryFactory(status="pending")  # another letter
    window = wave_window(letter=letter, since=since)
    assert sorted(row.pk for row in window.rows) == kept and not window.capped
    assert window.upto == max(kept)
    later = SignatoryFactory(letter=letter, status="pending").pk
    assert later not in {
        row.pk for row in wave_window(letter=letter, since=since, upto=window.upto).rows
    }


def test_names_organisers_typed_in_or_imported_are_never_a_wave(letter):
    """A paper sheet typed in, or a list imported, comes in a burst and from no network
    address: vouched for by an organiser, it is not offered for rejection."""
    since = timezone.now() - timedelta(hours=1)
    for n in range(40):
        SignatoryFactory(letter=letter, source="paper", email=f"paper{n}@example.net", ip_hash="")
    web = SignatoryFactory(letter=letter, status="pending").pk
    window = wave_window(letter=letter, since=since)
    assert [row.pk for row in window.rows] == [web]
    assert all(not kind.clusters for kind in wave_clusters(window))


def test_the_wave_is_one_cluster_of_each_kind_and_real_signers_are_none(post_letter):
    _real, bots = build_wave(post_letter, bots=60, real=200)
    window = wave_window(letter=post_letter, since=timezone.now() - timedelta(days=1))
    kinds = {kind.kind: kind for kind in wave_clusters(window)}
    assert {row.pk for row in kinds["address"].clusters[0].rows} == set(bots)
    assert kinds["address"].found == 1  # each real signer has an address of their own
    assert {row.pk for row in kinds["shape"].clusters[0].rows} == set(bots)
    assert kinds["shape"].found == 1
    # The throwaway domain first (its other signs), then the providers of real people.
    domains = kinds["domain"].clusters
    assert {row.pk for row in domains[0].rows} == set(bots)
    assert all(not cluster.signs for cluster in domains[1:])
    first = domains[0]
    found = wave_cluster(window, kind="domain", key=first.key)
    assert found is not None and found.size == 60
    assert wave_cluster(window, kind="nonsense", key=first.key) is None
    assert first.domain == "mailbox-now.xyz" and "mailbox" not in first.label
