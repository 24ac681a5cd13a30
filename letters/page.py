"""The letter page: everything it shows, in a constant number of queries.

Shared by the page itself (letters/views.py, behind the page cache) and the
sign view (signatories/views.py), which shows the page again with a rejected
form's errors.
"""

from django.conf import settings
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse

from letters.name_list import NameList, Position
from letters.selectors import (
    letter_get_public,
    letter_load_page_parts,
    letter_notables,
    letter_page_counts,
    letter_version_for,
    letter_versions,
)
from letters.timeline import letter_timeline
from signatories.pause import signing_pause_current

TEMPLATE = "letters/letter_detail.html"
NAMES_TEMPLATE = "letters/_signatory_list.html"


def letter_page_context(request, letter, form):
    """Everything the letter page shows, loaded in a constant number of queries."""
    counts = letter_page_counts(letter=letter)
    return {
        **shell_context(request, letter, form, counts),
        **names_context(request, letter, counts),
    }


def shell_context(request, letter, form, counts, *, pause=None):
    """The page but its names: the same for every reader of a letter, language and version.

    `pause`: the site's pause of signing (read here if the caller has not).
    """
    letter_load_page_parts(letter=letter)
    count, _ = counts
    versions = letter_versions(letter=letter)
    version = letter_version_for(
        versions=versions,
        requested=request.GET.get("version"),
        language=request.LANGUAGE_CODE,
    )
    return {
        "letter": letter,
        "campaign": letter.campaign,
        "form": form,
        "pause": pause if pause is not None else signing_pause_current(),
        "count": count,
        "versions": versions,
        "version": version,
        "original": versions[0],
        "notables": letter_notables(letter=letter),
        "public_updates": letter.public_updates,
        "timeline": letter_timeline(letter=letter),
        "progress": letter.progress_percent(count),
        # <progress> may not hold a value above its max: past the target it is full.
        "progress_value": min(count, letter.target_count) if letter.target_count else None,
        "days_left": letter.days_until_hand_in,
        "share_url": request.build_absolute_uri(letter.get_absolute_url()),
        "embed_url": request.build_absolute_uri(
            reverse("letters:embed", kwargs={"slug": letter.slug})
        ),
        "count_url": request.build_absolute_uri(
            reverse("letters:count_json", kwargs={"slug": letter.slug})
        ),
    }


def names_context(request, letter, counts):
    """The page of names this request asks for (letters/name_list.py), and how they are told."""
    count, unnamed = counts
    page = NameList(letter).page(
        after=Position.decode(request.GET.get("after")),
        before=Position.decode(request.GET.get("before")),
        typed=request.GET.get("from", ""),
        last=request.GET.get("last") == "1",
    )
    list_query = QueryDict(mutable=True)
    if request.GET.get("version") in dict(settings.LANGUAGES):
        list_query["version"] = request.GET[
            "version"
        ]  # the pages of names keep the text's language
    return {
        "letter": letter,
        "page": page,
        "unnamed": unnamed,
        "listed": count - unnamed,
        "list_query": list_query,
    }


def render_letter_page(request, slug, form, *, status):
    """The page with a form's errors, or without the form once the letter has closed."""
    context = letter_page_context(request, letter_get_public(slug=slug), form)
    return render(request, TEMPLATE, context, status=status)
