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


def signatory_likely_duplicates(*, letter):
    """Names on the list twice, likely: the same sort key and affiliation, whatever the source.

    Groups of published signatures (what the PDF prints and counts), each
    group oldest first. The database finds the sort keys used more than
    once; affiliations are compared folded (case, accents, spacing) here.
    """
    published = Signatory.objects.filter(letter=letter).published()
    repeated = (
        published.order_by()
        .values("sort_key")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values("sort_key")
    )
    groups = {}
    for signatory in published.filter(sort_key__in=repeated).order_by("created_at", "pk"):
        groups.setdefault((signatory.sort_key, sort_key(signatory.affiliation)), []).append(
            signatory
        )
    return [group for group in groups.values() if len(group) > 1]
