"""Each signatory's copy of an update or of the delivery receipt: an outbox of UpdateRecipient
rows (mailing/outbox.py). One row per signatory and update (a unique constraint) makes
sending again send only what has not gone yet."""

from django.urls import reverse

from letters.models import RecipientStatus, UpdateKind, UpdateRecipient
from mailing.outbox import Outbox, register
from signatories.mail import absolute, send_to_signatory


class UpdateCopies(Outbox):
    name = "update-copies"
    model = UpdateRecipient
    due_field = "due_at"
    attempts_field = "attempts"

    def rows(self, ids):
        return UpdateRecipient.objects.filter(pk__in=ids).select_related(
            "signatory", "update__letter__campaign", "update__letter__delivery"
        )

    def still_owed(self, copy):
        """Still wanted by its signatory: consenting, not withdrawn or erased, on this letter."""
        signatory = copy.signatory
        return (
            copy.status != RecipientStatus.SENT
            and signatory.consents_to_updates
            and signatory.withdrawn_at is None
            and bool(signatory.email)
            and signatory.letter_id == copy.update.letter_id
        )

    def send(self, copy):
        update = copy.update
        receipt = update.kind == UpdateKind.RECEIPT
        extra = {"update": update, "page": copy.page}
        if receipt:
            extra["delivery"] = update.letter.delivery
            extra["delivered_pdf_url"] = absolute(
                reverse("letters:delivered_pdf", kwargs={"slug": update.letter.slug})
            )
        signatory = copy.signatory
        signatory.letter = update.letter  # already loaded with the campaign
        template = "letters/email/receipt" if receipt else "letters/email/update"
        send_to_signatory(signatory, template, extra=extra, unsubscribe=True)

    def sent_fields(self, now):
        return {"status": RecipientStatus.SENT, "sent_at": now}

    def not_owed_fields(self, copy):
        # A copy that went by other means keeps its "sent".
        return {} if copy.status == RecipientStatus.SENT else {"status": RecipientStatus.CANCELLED}

    def failed_fields(self, *, final):
        return {"status": RecipientStatus.FAILED}


UPDATE_COPIES = register(UpdateCopies())
