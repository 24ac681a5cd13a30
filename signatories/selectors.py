"""Reads about signatures that more than one caller needs."""

from django.db.models import Count, Sum
from django.urls import reverse

from config.admin import WaitingWork
from letters.models import Letter
from signatories import tokens
from signatories.models import Signatory, Tally
from signatories.names import sort_key
from teams.access import team_filter


def signatory_get_by_token(*, token, purpose, for_update=False):
    """The signatory a link was sent to, or TokenInvalid / TokenExpired."""
    pk, fingerprint = tokens.read_token(token, purpose)
    queryset = Signatory.objects.select_related("letter")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    signatory = queryset.filter(pk=pk).first()
    if signatory is None or not tokens.matches(signatory, fingerprint):
        raise tokens.TokenInvalid
    return signatory


def signatory_is_published(*, signatory):
    """Is this signature on the published list (and in the count) right now?"""
    return Signatory.objects.filter(pk=signatory.pk, letter=signatory.letter).published().exists()


def signatory_counts(*, letter):
    """How many of a letter's signatures are in each state: sums of its count journal.

    No COUNT over the signatures: the database keeps a journal of changes to
    each count (`Tally`, written by triggers), and this sums the few rows it
    holds for the letter. Exact as of the query.
    """
    sums = Tally.objects.filter(letter_id=letter.pk).aggregate(
        **{name: Sum(name) for name in Tally.COUNTS}
    )
    return {name: value or 0 for name, value in sums.items()}


def signatory_reminded_count(*, letter):
    """How many of the letter's signers were sent the reminder to confirm (a COUNT over
    `signatory_reminded_idx`, which holds only the reminded)."""
    return Signatory.objects.filter(letter=letter, reminder_sent_at__isnull=False).count()


DUPLICATES_SHOWN = 20
# Of one name used many times (an organisation that signed 500 times over
# a million names), the page shows the first few and how many there are;
# no more than this many of them are read.
DUPLICATE_ROWS_READ = 50
DUPLICATE_ROWS_SHOWN = 5


class Duplicates(list):
    """Groups of likely duplicates, and whether there may be more than those listed."""

    more = False


class DuplicateGroup(list):
    """The first signatures of one likely duplicate, oldest first, and how many it has:
    `total` (at least that many if `at_least`, when more than were read)."""

    total = 0
    at_least = False

    @property
    def not_shown(self):
        return self.total - len(self)


def signatory_likely_duplicates(*, letter, limit=None):
    """Names on the list twice, likely: the same sort key and affiliation, whatever the source.

    Groups of published signatures (what the PDF prints and counts), each
    group oldest first, the first `limit` sort keys used more than once in
    alphabetical order (`.more` if the list may hold others). The database
    finds those keys along the delivery order's index and stops at the
    limit, and reads at most DUPLICATE_ROWS_READ signatures of each, so a
    list of millions costs what it takes to find twenty; affiliations are
    compared folded (case, accents, spacing) here. Each group holds its
    first DUPLICATE_ROWS_SHOWN signatures and says how many it has.
    """
    limit = limit or DUPLICATES_SHOWN
    published = Signatory.objects.published_on(letter).order_by()
    repeated = list(
        published.values("kind", "sort_key")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("-kind", "sort_key")
        .values_list("kind", "sort_key")[: limit + 1]
    )
    groups = Duplicates()
    groups.more = len(repeated) > limit
    for kind, key in repeated[:limit]:
        same = list(
            published.filter(kind=kind, sort_key=key)
            .order_by("created_at", "pk")
            .defer("email")[: DUPLICATE_ROWS_READ + 1]
        )
        read_all = len(same) <= DUPLICATE_ROWS_READ
        by_affiliation = {}
        for signatory in same[:DUPLICATE_ROWS_READ]:
            group = by_affiliation.setdefault(sort_key(signatory.affiliation), DuplicateGroup())
            group.total += 1
            if len(group) < DUPLICATE_ROWS_SHOWN:
                group.append(signatory)
        for group in by_affiliation.values():
            group.at_least = not read_all
            if group.total > 1:
                groups.append(group)
    return groups


def signatories_waiting(request):
    """For the admin index: the moderation queue and the held, on the user's campaigns' letters,
    from the count journal (no COUNT over the signatures)."""
    if not request.user.has_perm("signatories.change_signatory"):
        return []
    letters = team_filter(Letter.objects.order_by(), request.user, "campaign")
    sums = Tally.objects.filter(letter_id__in=letters.values("pk")).aggregate(
        awaiting=Sum("awaiting"), suspect=Sum("suspect")
    )
    awaiting, suspect = sums["awaiting"] or 0, sums["suspect"] or 0
    queue = reverse("admin:signatories_signatory_changelist")
    return [
        WaitingWork(
            awaiting,
            f"{awaiting:,} signature{'s' if awaiting != 1 else ''} awaiting a decision",
            f"{queue}?queue=awaiting",
        ),
        WaitingWork(
            suspect,
            f"{suspect:,} signature{'s' if suspect != 1 else ''} held as suspect",
            f"{queue}?queue=suspect",
        ),
    ]
