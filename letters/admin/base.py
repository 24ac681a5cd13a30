"""One guard for the organisers' pages that hang off a letter: this letter, if this user may."""

from django.contrib import messages
from django.shortcuts import redirect

from config.admin import admin_page, may_change, may_view, page_context
from letters.models import Letter
from signatories.roles import can_add_signatures
from teams.access import ORGANISER, may_see_contacts, team_allows

MAY = {
    "view": may_view,
    "change": may_change,
    "add signatures": lambda admin, request, letter: may_add_signatures(request.user, letter),
    "see contacts": lambda admin, request, letter: may_see_contacts(
        request.user, letter.campaign_id
    ),
}


def may_add_signatures(user, letter):
    """Typing in and importing paper sign-ups, printing sheets: an organiser of its campaign."""
    return can_add_signatures(user) and team_allows(user, letter.campaign_id, ORGANISER)


def letter_page(may):
    """A LetterAdmin page: `may` is one of MAY's keys; the view gets the letter, not its id."""
    return admin_page(MAY[may])


def tool_context(model_admin, request, letter, **extra):
    """The context of a page that hangs off a letter (templates/admin/letters/letter/tool_base)."""
    return page_context(
        model_admin,
        request,
        letter,
        letter=letter,
        show_emails=may_see_contacts(request.user, letter.campaign_id),
        **extra,
    )


def refuse_names_after_delivery(request, letter):
    """A redirect back to the letter, with why, if it was handed in (None if not): a name
    added now would be on no letter that was delivered, yet counted on its page."""
    if letter.status != Letter.Status.DELIVERED:
        return None
    messages.error(
        request,
        "This letter has been handed in: names can no longer be added to it. "
        "Start a new letter for the names still coming in.",
    )
    return redirect("admin:letters_letter_change", letter.pk)
