"""One guard for the organisers' pages that hang off a letter: this letter, if this user may."""

from config.admin import admin_page, may_change, may_view, page_context
from signatories.roles import can_add_signatures, can_see_contacts

MAY = {
    "view": may_view,
    "change": may_change,
    "add signatures": lambda admin, request, letter: can_add_signatures(request.user),
    "see contacts": lambda admin, request, letter: can_see_contacts(request.user),
}


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
        show_emails=can_see_contacts(request.user),
        **extra,
    )
