from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404

from letters.models import Letter
from signatories.models import Signatory


def letter_get_public(*, slug):
    """A letter anyone may read, with what its page shows in the same query."""
    return get_object_or_404(
        Letter.objects.public()
        .select_related("campaign", "hand_in_event", "delivery")
        .defer("delivery__pdf"),
        slug=slug,
    )


def letter_published_page(*, letter, page_number):
    """One page of the published list; its paginator's count is the public count."""
    signatories = (
        Signatory.objects.filter(letter=letter)
        .for_delivery()
        .only("pk", "kind", "name", "affiliation", "sort_key")
    )
    paginator = Paginator(signatories, settings.SIGNATORIES_PER_PAGE)
    return paginator.get_page(page_number)
