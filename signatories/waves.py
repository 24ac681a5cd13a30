"""A bot wave: a letter's recent signatures grouped into clusters a moderator can act on.

Four signs of a wave, each a kind of cluster:

- one network address (the keyed `ip_hash`: the address itself is never kept;
  the same e-mail address cannot sign a letter twice, so the IP is what repeats);
- one e-mail domain (the column is encrypted, so the addresses of the window
  are decrypted here, in memory, about 8 µs each; the domain is shown only to
  those who may see contacts, and stands in URLs as a keyed hash);
- names of one machine-made shape ("Xxxxx1234", "qzkvbrt": see `name_shape`);
- bursts: runs of minutes with many signatures each.

Bounded at any size: the window is the newest WINDOW_ROWS signatures since a
chosen time, of signatures from the web form (organisers' entries are vouched
for), read newest first off `signatory_moderation_idx` (letter,
status, -created_at), once for the signatures awaiting a decision and once
for the approved: a letter of six million names costs what one of 20,000
does. Rejected and withdrawn signatures are not read: there is nothing left
to decide on them. A cluster is a lead, not proof: a union meeting on one
office's network is a cluster of real people, which is why each shows its
spread (how many network addresses, name shapes, minutes) and samples.
"""

import hashlib
import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import models
from django.utils.crypto import salted_hmac

from signatories.models import Signatory, States

Status = Signatory.Status

WINDOW_ROWS = 20_000
MIN_CLUSTER = 5  # fewer alike than this is not a wave
BURST_PER_MINUTE = 10  # a minute with this many signatures or more is busy
CLUSTERS_SHOWN = 10  # of each kind, the largest
SAMPLES = 8
TIGHT_MINUTES = 15  # a cluster signed within this many minutes looks scripted


class ClusterKind(models.TextChoices):
    ADDRESS = "address", "From one network address"
    DOMAIN = "domain", "One e-mail domain"
    SHAPE = "shape", "Names of one machine-made shape"
    BURST = "burst", "A burst of signatures"


@dataclass(frozen=True)
class Row:
    """One signature of the window: what clustering and the preview need, no address."""

    pk: int
    name: str
    created_at: object
    status: str
    suspicion: str
    confirmed: bool
    ip_hash: str
    domain: str  # kept in memory only; shown to those who may see contacts
    domain_key: str
    shape: str | None

    @property
    def is_held(self):
        return self.status == Status.PENDING and self.suspicion not in HELD_NOT

    def is_published(self, moderation):
        """On the public list now (States.PUBLISHED, worked out from the row's fields)."""
        if not self.confirmed:
            return False
        if self.status == Status.APPROVED:
            return True
        return moderation == "post" and self.status == Status.PENDING and not self.is_held


HELD_NOT = {Signatory.Suspicion.NONE, Signatory.Suspicion.SHARED}  # as States.NOT_HELD


@dataclass
class Window:
    """The newest signatures of a letter since `since` (at most WINDOW_ROWS), newest first.

    `upto` is the highest id read: a decision taken on a preview reads the
    window again up to it, so it touches the rows the preview showed and no
    signature that came in since.
    """

    letter: object
    since: object
    rows: list
    capped: bool
    upto: int | None

    @property
    def oldest(self):
        return self.rows[-1].created_at if self.rows else None


@dataclass
class Cluster:
    kind: str
    key: str
    rows: list = field(default_factory=list)  # newest first
    label: str = ""

    @property
    def size(self):
        return len(self.rows)

    @property
    def kind_label(self):
        return ClusterKind(self.kind).label

    @property
    def samples(self):
        return self.rows[:SAMPLES]

    @property
    def domain(self):
        """The e-mail domain of a domain's cluster: for those who may see contacts only."""
        return self.rows[0].domain if self.kind == ClusterKind.DOMAIN else ""

    @property
    def addresses(self):
        return len({row.ip_hash for row in self.rows if row.ip_hash})

    @property
    def shapes(self):
        """How many name shapes: 1 for a script's names, about one each for people's."""
        return len({row.shape or _plain_shape(row.name) for row in self.rows})

    @property
    def first(self):
        return self.rows[-1].created_at

    @property
    def last(self):
        return self.rows[0].created_at

    @property
    def minutes(self):
        return int((self.last - self.first).total_seconds() // 60) + 1

    def statuses(self):
        return Counter(row.status for row in self.rows)

    @property
    def signs(self):
        """The other signs of a wave this cluster shows as well: a domain's cluster from one
        network address, within minutes, is a script; one over a day from 25 is a provider."""
        signs = []
        addresses = self.addresses  # 0: none kept (typed-in names, anonymised rows)
        if self.kind != ClusterKind.ADDRESS and 0 < addresses <= max(1, self.size // 20):
            signs.append("from one network address" if addresses == 1 else "few addresses")
        if self.kind != ClusterKind.SHAPE and self.shapes == 1:
            signs.append("one name shape")
        if self.kind != ClusterKind.BURST and self.minutes <= TIGHT_MINUTES:
            signs.append(f"within {self.minutes} minute{'s' * (self.minutes != 1)}")
        return signs


def domain_key(domain):
    """A keyed hash of a domain, for URLs and forms a moderator sees: never the domain."""
    return salted_hmac("signatories.wave-domain", domain, algorithm="sha256").hexdigest()[:20]


_LATIN_VOWELS = set("aeiouy")
_LATIN = re.compile(r"[a-z]")


def _mark(char):
    if char.isdigit():
        return "9"
    if char.isalpha():
        return "X" if char.isupper() else "x"
    return " " if char.isspace() else char


def _plain_shape(name):
    """Each run of capitals, small letters, digits or spaces as one mark: "Abcde1234" → "Xx9"."""
    return "".join(mark for mark, _ in itertools.groupby(_mark(char) for char in name))


def _random_looking(word):
    """A Latin word no person is called: five letters or more and no vowel, a run of five
    consonants, or upper and lower case mixed up inside it ("qzkvbrt", "aBcDeF")."""
    letters = [c for c in word.lower() if _LATIN.match(c)]
    if len(letters) < 5 or len(letters) < len(word) * 0.8:
        return False
    if not _LATIN_VOWELS & set(letters):
        return True
    run = longest = 0
    for char in letters:
        run = 0 if char in _LATIN_VOWELS else run + 1
        longest = max(longest, run)
    # Capitals after small letters inside a word: one in "McDonald", three in "aBcDeF".
    raised = sum(1 for a, b in itertools.pairwise(word) if a.islower() and b.isupper())
    return longest >= 5 or raised >= 3


def name_shape(name):
    """The shape of a machine-made name, or None for a name a person could have.

    Machine-made: it holds digits ("Xxxxx1234" → "Xx9"), or a random-looking
    Latin word (then the shape is marked "random"). People's names are left
    out: "Mary Jones" and "John Smith" share a shape, and that means nothing.
    """
    shape = _plain_shape(name)
    if "9" in shape:
        return shape
    if any(_random_looking(word) for word in name.split()):
        return f"random {shape}"
    return None


def _domain(address):
    return address.rpartition("@")[2].lower() if address else ""


FIELDS = ["pk", "name", "created_at", "status", "suspicion", "confirmed_at", "ip_hash", "email"]


def wave_window(*, letter, since, upto=None):
    """The letter's newest signatures since `since` that are awaiting a decision or approved.

    Two reads, each newest first along `signatory_moderation_idx` and cut at
    WINDOW_ROWS + 1 (so `capped` can be told): never more rows than that, at
    any size of list. Withdrawn ones are dropped by the same reads.
    """
    # Web signatures only: names organisers typed in or imported (paper sheets, a list
    # brought over) are vouched for, and came in bursts of their own making.
    base = Signatory.objects.filter(
        letter=letter, created_at__gte=since, source=Signatory.Source.WEB
    ).filter(States.NOT_WITHDRAWN)
    if upto is not None:
        base = base.filter(pk__lte=upto)
    found = []
    for status in (Status.PENDING, Status.APPROVED):
        found += (
            base.filter(status=status)
            .order_by("-created_at")
            .values_list(*FIELDS)[: WINDOW_ROWS + 1]
        )
    found.sort(key=lambda row: (row[2], row[0]), reverse=True)
    capped = len(found) > WINDOW_ROWS
    rows = []
    for pk, name, created_at, status, suspicion, confirmed_at, ip_hash, email in found[
        :WINDOW_ROWS
    ]:
        domain = _domain(email)
        rows.append(
            Row(
                pk=pk,
                name=name,
                created_at=created_at,
                status=status,
                suspicion=suspicion,
                confirmed=confirmed_at is not None,
                ip_hash=ip_hash,
                domain=domain,
                domain_key=domain_key(domain) if domain else "",
                shape=name_shape(name),
            )
        )
    return Window(
        letter=letter,
        since=since,
        rows=rows,
        capped=capped,
        upto=max((row.pk for row in rows), default=None),
    )


def _minute(moment):
    return moment.replace(second=0, microsecond=0)


def _bursts(rows):
    """Runs of consecutive busy minutes, each one cluster keyed by its first and last minute."""
    by_minute = defaultdict(list)
    for row in rows:
        by_minute[_minute(row.created_at)].append(row)
    busy = sorted(m for m, members in by_minute.items() if len(members) >= BURST_PER_MINUTE)
    runs = []
    for minute in busy:
        if runs and minute - runs[-1][-1] == timedelta(minutes=1):
            runs[-1].append(minute)
        else:
            runs.append([minute])
    clusters = []
    for run in runs:
        members = [row for minute in reversed(run) for row in by_minute[minute]]
        members.sort(key=lambda row: (row.created_at, row.pk), reverse=True)
        peak = max(len(by_minute[minute]) for minute in run)
        key = f"{run[0]:%Y%m%d%H%M}-{run[-1]:%Y%m%d%H%M}"
        label = f"{len(run)} minute{'s' * (len(run) != 1)}, up to {peak} a minute"
        clusters.append(Cluster(ClusterKind.BURST, key, members, label))
    return clusters


def _grouped(rows, kind, key_of, label_of):
    groups = defaultdict(list)
    for row in rows:
        key = key_of(row)
        if key:
            groups[key].append(row)
    return [
        Cluster(kind, key, members, label_of(members[0]))
        for key, members in groups.items()
        if len(members) >= MIN_CLUSTER
    ]


def _all_clusters(window):
    rows = window.rows
    return {
        ClusterKind.ADDRESS: _grouped(
            rows,
            ClusterKind.ADDRESS,
            lambda row: row.ip_hash,
            lambda row: f"network address #{row.ip_hash[:8]}",
        ),
        ClusterKind.DOMAIN: _grouped(
            rows,
            ClusterKind.DOMAIN,
            lambda row: row.domain_key,
            # Never the domain itself: labels go into the audit, which moderators read.
            lambda row: f"domain #{row.domain_key[:8]}",
        ),
        ClusterKind.SHAPE: _grouped(
            rows, ClusterKind.SHAPE, lambda row: row.shape, lambda row: f"shape “{row.shape}”"
        ),
        ClusterKind.BURST: [c for c in _bursts(rows) if c.size >= MIN_CLUSTER],
    }


@dataclass
class KindOfCluster:
    kind: str
    label: str
    clusters: list  # the largest CLUSTERS_SHOWN
    found: int  # how many clusters of this kind in all


def wave_clusters(window):
    """Each kind's largest clusters, largest first, and how many there are in all."""
    found = _all_clusters(window)
    kinds = []
    for kind in ClusterKind:
        # The clusters with most other signs of a wave first, then the largest.
        clusters = sorted(found[kind], key=lambda c: (-len(c.signs), -c.size, c.key))
        kinds.append(KindOfCluster(kind, kind.label, clusters[:CLUSTERS_SHOWN], len(clusters)))
    return kinds


def wave_cluster(window, *, kind, key):
    """The one cluster of this kind and key in the window, or None (gone, or never there)."""
    if kind not in ClusterKind.values:
        return None
    for cluster in _all_clusters(window)[kind]:
        if cluster.key == key:
            return cluster
    return None


@dataclass
class Preview:
    """What a decision on a cluster will change: counts by status and the rows left as they are."""

    decision: str
    changing: list
    unchanged: list
    by_status: Counter
    leaving_the_list: int


def wave_preview(cluster, *, decision, moderation):
    """Rejecting changes every row of the window (none is rejected yet); holding leaves rows
    already held as they are."""
    if decision == "hold":
        changing = [row for row in cluster.rows if not row.is_held]
    else:
        changing = list(cluster.rows)
    changing_pks = {row.pk for row in changing}
    return Preview(
        decision=decision,
        changing=changing,
        unchanged=[row for row in cluster.rows if row.pk not in changing_pks],
        by_status=Counter(
            "held" if row.is_held else ("unconfirmed" if not row.confirmed else row.status)
            for row in changing
        ),
        leaving_the_list=sum(1 for row in changing if row.is_published(moderation)),
    )


def rows_fingerprint(rows):
    """A short digest of which rows a preview showed: the decision is taken on exactly those."""
    ids = ",".join(str(pk) for pk in sorted(row.pk for row in rows))
    return hashlib.sha256(ids.encode()).hexdigest()[:16]
