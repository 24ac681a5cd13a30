"""What happens to a report that a body passed the resolution, from the form to the letter."""

import functools
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.utils import timezone

from letters.models import Letter
from letters.selectors import letter_counts_forget
from mailing.services import outbox_schedule
from resolutions.models import PassedResolution, ResolutionStep
from resolutions.outboxes import RESOLUTION_CONFIRMATIONS
from resolutions.tokens import CONFIRM, LINKS
from signatories.abuse import hash_ip
from signatories.crypto import blind_index
from signatories.models import Signatory
from signatories.names import normalise_email
from signatories.services.entry import signatory_add_approved
from signatories.tokens import TokenInvalid

# A report sent again by its reporter gets its link again, but not more often than this.
RESEND_AFTER = timedelta(hours=1)


class AlreadyConfirmed(Exception):
    def __init__(self, resolution):
        super().__init__("already confirmed")
        self.resolution = resolution


class CannotSign(Exception):
    """The body cannot be added to a letter: why, in words for the organiser."""


def _schedule():
    outbox_schedule(outbox=RESOLUTION_CONFIRMATIONS)


def resolution_report(*, campaign, email, ip_address="", language="en", **fields):
    """A report from the public form: stored unconfirmed, and its confirmation link owed.

    The same body reported again from the same address is the same report (a
    unique constraint): nothing is added, and its link is sent again if the
    last one went more than RESEND_AFTER ago. The caller shows the same page
    either way, so the form tells no one what was reported before.
    Returns (the report, whether it is new).
    """
    email = normalise_email(email)
    existing = _same_report(campaign, email, fields["body"], fields.get("organisation", ""))
    if existing is None:
        report = PassedResolution(
            campaign=campaign,
            email=email,
            language=language,
            ip_hash=hash_ip(ip_address) if ip_address else "",
            confirmation_due_at=_confirmation_due(email),
            **fields,
        )
        try:
            with transaction.atomic():
                report.save(force_insert=True)
        except IntegrityError:
            # The same form sent twice at once: the other request stored it.
            existing = _same_report(campaign, email, fields["body"], fields.get("organisation", ""))
            if existing is None:
                raise
        else:
            transaction.on_commit(_schedule)
            return report, True
    if existing.confirmed_at is None:
        recent = timezone.now() - RESEND_AFTER
        owed = PassedResolution.objects.filter(pk=existing.pk).exclude(
            confirmation_sent_at__gte=recent
        )
        if RESOLUTION_CONFIRMATIONS.add(owed):
            transaction.on_commit(_schedule)
    return existing, False


def _confirmation_due(email):
    """Now, unless links to this address went in the last hour or are owed: then an hour
    later for each REPORT_MAILS_PER_ADDRESS_PER_HOUR of those. Reports of many bodies typed with
    someone else's address, from many networks, reach that inbox a few an hour, and none
    is lost."""
    now = timezone.now()
    before = PassedResolution.objects.filter(email_hash=blind_index(email)).filter(
        Q(confirmation_due_at__isnull=False) | Q(confirmation_sent_at__gte=now - timedelta(hours=1))
    )
    hours = before.count() // settings.REPORT_MAILS_PER_ADDRESS_PER_HOUR
    return now + timedelta(hours=hours)


def _same_report(campaign, email, body, organisation):
    return (
        PassedResolution.objects.annotate(body_lower=Lower("body"), org_lower=Lower("organisation"))
        .filter(
            campaign=campaign,
            email_hash=blind_index(email),
            # Folded by the database, as the unique constraint folds them.
            body_lower=Lower(Value(body)),
            org_lower=Lower(Value(organisation)),
        )
        .first()
    )


def resolution_get_by_token(*, token):
    """The report a confirmation link names; TokenInvalid if forged or its address is gone."""
    pk, fingerprint = LINKS.read(token, CONFIRM)
    report = (
        PassedResolution.objects.select_related("campaign", "sign_letter").filter(pk=pk).first()
    )
    if report is None or not LINKS.matches(report, fingerprint):
        raise TokenInvalid
    return report


def resolution_confirm(*, token):
    """The reporter pressed the button: confirmed once (a replayed link changes nothing)."""
    report = resolution_get_by_token(token=token)
    now = timezone.now()
    confirmed = PassedResolution.objects.filter(pk=report.pk, confirmed_at__isnull=True).update(
        confirmed_at=now, confirmation_due_at=None
    )
    if not confirmed:
        raise AlreadyConfirmed(report)
    report.confirmed_at = now
    return report


def resolutions_decide(*, queryset, approve, moderator):
    """Approve or reject reports in bulk; only confirmed ones can be approved.

    Returns how many changed. A rejected report keeps its organisation
    signature, if one was added: taking a name off the letter is its own act.
    """
    status = PassedResolution.Status.APPROVED if approve else PassedResolution.Status.REJECTED
    chosen = queryset.exclude(status=status)
    if approve:
        chosen = chosen.filter(confirmed_at__isnull=False)
    return chosen.update(status=status, decided_at=timezone.now(), decided_by=moderator)


@dataclass(frozen=True)
class Signed:
    resolution: PassedResolution
    signatory: Signatory
    created: bool


def resolution_add_signatory(*, resolution):
    """Add an approved body to the letter it consented to, as an organisation signatory.

    One step for the organiser; the body's consent is the reporter's tick on
    the form (`sign_letter`). The name is the one shown on the campaign page.
    Adding it again adds nothing; a letter handed in takes no more names.
    """
    if resolution.status != PassedResolution.Status.APPROVED:
        raise CannotSign("Approve the report first: only approved bodies can sign.")
    letter = resolution.sign_letter
    if letter is None:
        raise CannotSign("The reporter did not say the body may sign a letter.")
    if resolution.signatory_id is not None:
        return Signed(resolution, resolution.signatory, created=False)
    if letter.status == Letter.Status.DELIVERED:
        raise CannotSign(f"“{letter.title}” has been handed in: names can no longer be added.")
    with transaction.atomic():
        locked = PassedResolution.objects.select_for_update().get(pk=resolution.pk)
        if locked.signatory_id is not None:
            return Signed(locked, locked.signatory, created=False)
        result = signatory_add_approved(
            letter=letter,
            name=resolution.full_name,
            kind=Signatory.Kind.ORGANISATION,
            source=Signatory.Source.ORGANISER,
        )
        signatory = result.signatory
        if PassedResolution.objects.filter(signatory=signatory).exists():
            # The same body already signed through another report (or was typed in).
            return Signed(locked, signatory, created=False)
        locked.signatory = signatory
        locked.save(update_fields=["signatory"])
    transaction.on_commit(functools.partial(letter_counts_forget, letter_id=letter.pk))
    return Signed(locked, signatory, created=result.created)


def resolution_step_add(*, resolution, kind, to_body, level, on):
    """It went further up: forwarded to, or adopted by, a higher body."""
    return ResolutionStep.objects.create(
        resolution=resolution, kind=kind, to_body=to_body, level=level, on=on
    )
