"""Names organisers vouch for: paper forms typed in or imported, and edits in the admin."""

from django.db import transaction
from django.utils import timezone

from signatories.models import Signatory
from signatories.names import clean_text, normalise_email
from signatories.services.signing import SignResult, insert_once


def signatory_add_approved(
    *,
    letter,
    name,
    affiliation="",
    email="",
    kind=Signatory.Kind.INDIVIDUAL,
    source=Signatory.Source.ORGANISER,
    sort_name=None,
    paper_sheet="",
    consents_to_updates=False,
    namesake=False,
):
    """Add a signature an organiser vouches for (paper form, a name given in person).

    It is approved and counted at once. Entering the same sheet twice adds
    nothing: an address already on the letter is not added again, and without
    an address the same name and affiliation (in any case) is taken for the
    same person, unless the organiser says it is a namesake (`namesake`,
    after the preview showed the likely duplicate: signatories/paper.py). An
    address that signed online but never confirmed is confirmed by the paper
    form the organiser vouches for. Consent to updates is kept only with an
    address to send them to.
    """
    signatory = Signatory(
        letter=letter,
        kind=kind,
        name=clean_text(name),
        affiliation=clean_text(affiliation),
        email=normalise_email(email) if email.strip() else "",
        source=source,
        paper_sheet=paper_sheet.strip(),
        status=Signatory.Status.APPROVED,
        confirmed_at=timezone.now(),
    )
    signatory.consents_to_updates = consents_to_updates and bool(signatory.email)
    signatory.set_sort_name(sort_name)
    signatory.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        if signatory.email:
            stored, created = insert_once(signatory, require_open=False)
            if not created and stored.confirmed_at is None and stored.withdrawn_at is None:
                stored.confirmed_at = signatory.confirmed_at
                stored.status = Signatory.Status.APPROVED
                stored.consents_to_updates |= signatory.consents_to_updates
                stored.save(update_fields=["confirmed_at", "status", "consents_to_updates"])
                created = True
            return SignResult(signatory=stored, created=created)
        existing = (
            None
            if namesake
            else Signatory.objects.filter(
                letter=letter,
                email="",
                name__iexact=signatory.name,
                affiliation__iexact=signatory.affiliation,
            ).first()
        )
        if existing is not None:
            return SignResult(signatory=existing, created=False)
        signatory.save(force_insert=True)
    return SignResult(signatory=signatory, created=True)


def signatory_admin_save(*, signatory, changed_fields, created):
    """Save an organiser's edit from the admin form or changelist.

    A new entry is an organiser's: approved, counted at once. An edited sort
    name is kept (a blank one is derived again); an edited name or kind
    re-derives the sort name unless the organiser set one in the same edit.
    """
    if created:
        signatory.source = Signatory.Source.ORGANISER
        signatory.confirmed_at = timezone.now()
    signatory.name = clean_text(signatory.name)
    signatory.affiliation = clean_text(signatory.affiliation)
    if "sort_name" in changed_fields:
        signatory.set_sort_name(clean_text(signatory.sort_name))
    elif created or {"name", "kind"} & set(changed_fields):
        signatory.set_sort_name()
    signatory.save()
    return signatory
