"""Moderators' bulk writes: decisions (a status changes: each one audited), and flags.

Setting the notable flag is one UPDATE and leaves no audit entry: it changes
where a name is listed, not whether.
"""

import logging

from django.db import connection, transaction
from django.db.models import Value

from signatories.models import ModerationAction, ModerationEntry, Signatory

logger = logging.getLogger(__name__)

Decision = ModerationAction.Decision
Status = Signatory.Status

# Which statuses each decision applies to, and what it makes them.
DECISIONS = {
    Decision.APPROVE: ({Status.PENDING, Status.REJECTED}, Status.APPROVED),
    Decision.REJECT: ({Status.PENDING, Status.APPROVED}, Status.REJECTED),
    Decision.RESTORE: ({Status.APPROVED, Status.REJECTED}, Status.PENDING),
}


def signatories_decide(*, queryset, decision, moderator):
    """Approve, reject or restore many signatures at once, with an audit entry for each.

    Two statements whatever the number of rows: an INSERT ... SELECT writes the
    audit entries (with each row's status before), then one UPDATE changes
    exactly the rows that were audited. No Python loop over rows.
    """
    decision = Decision(decision)
    from_statuses, to_status = DECISIONS[decision]
    with transaction.atomic():
        action = ModerationAction.objects.create(decision=decision, moderator=moderator)
        source = (
            Signatory.objects.filter(
                pk__in=queryset.order_by().values("pk"), status__in=from_statuses
            )
            .annotate(action_id=Value(action.pk))
            .order_by()
            .values_list("pk", "status", "action_id")
        )
        select_sql, params = source.query.sql_with_params()
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(ModerationEntry._meta.db_table)} "
                f"({quote('signatory_id')}, {quote('from_status')}, {quote('action_id')}) "
                f"{select_sql}",
                params,
            )
        count = Signatory.objects.filter(moderation_entries__action=action).update(status=to_status)
        action.count = count
        action.save(update_fields=["count"])
    logger.info("%s: %s signatures by user %s", decision.label, count, moderator.pk)
    return action


def signatory_decide_to(*, signatory, status, moderator):
    """A status chosen on one signature's page: the same audited decision as the bulk actions.

    Returns the action, or None when no decision leads there from the row's
    status (nothing changes then).
    """
    for decision, (from_statuses, to_status) in DECISIONS.items():
        if to_status == status:
            queryset = Signatory.objects.filter(pk=signatory.pk, status__in=from_statuses)
            return signatories_decide(queryset=queryset, decision=decision, moderator=moderator)
    return None


def signatories_set_notable(*, queryset, notable):
    """Mark or unmark signatures as notable (listed first on the page); one UPDATE."""
    return Signatory.objects.filter(pk__in=queryset.order_by().values("pk")).update(
        is_notable=notable
    )
