"""Reads about signatures that more than one caller needs."""

from django.db.models import Count, Sum

from signatories import tokens
from signatories.models import Signatory, Tally
from signatories.names import sort_key


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


DUPLICATES_SHOWN = 20


class Duplicates(list):
    """Groups of likely duplicates, and whether there may be more than those listed."""

    more = False


def signatory_likely_duplicates(*, letter, limit=None):
    """Names on the list twice, likely: the same sort key and affiliation, whatever the source.

    Groups of published signatures (what the PDF prints and counts), each
    group oldest first, the first `limit` sort keys used more than once in
    alphabetical order (`.more` if the list may hold others). The database
    finds those keys along the delivery order's index and stops at the
    limit, so a list of millions costs what it takes to find twenty;
    affiliations are compared folded (case, accents, spacing) here.
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
        same = published.filter(kind=kind, sort_key=key).order_by("created_at", "pk")
        by_affiliation = {}
        for signatory in same.defer("email"):
            by_affiliation.setdefault(sort_key(signatory.affiliation), []).append(signatory)
        groups += [group for group in by_affiliation.values() if len(group) > 1]
    return groups
