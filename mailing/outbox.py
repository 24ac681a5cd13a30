"""One outbox for every kind of mail: rows of a table that each owe one mail.

An outbox is a model and two of its columns: when the row's mail is due
(NULL: nothing owed) and how many times a worker has taken it. Confirmations
and "already signed" notices are columns of the signatory row
(signatories/outboxes.py); each copy of an update or a delivery receipt is an
UpdateRecipient row (letters/outboxes.py). Everything that decides when a mail
goes is written here once:

- claim: a worker leases a batch of due rows; one UPDATE ... RETURNING whose
  inner SELECT is FOR UPDATE SKIP LOCKED, so concurrent workers never take
  the same row. The lease moves the due time ahead instead of clearing it: a
  worker that dies leaves its rows to be claimed again when the lease runs out.
- settle: a row is cleared only once its mail is sent (or no longer owed).
- retry: a failed mail comes due again after a growing wait (`backoff`),
  and is given up after MAIL_MAX_ATTEMPTS takes.
- give back: rows claimed but not reached (an error in our code) are due at once.

Delivery is at least once. Rows are settled one at a time, so a worker killed
between the mail server's "accepted" and the settle sends that one mail again
when the lease runs out: at most one duplicate per killed worker.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone


class MailNotSent(Exception):
    """A mail that failed, described without the address it was for."""


class AddressSuppressed(MailNotSent):
    """A mail not sent because its address is on the suppression list (mailing/suppression.py):
    the drain settles its row as no longer owed instead of trying again."""


def backoff(attempt):
    """Seconds before the next try: 1, 2, 4, 8, 16 minutes, then every 30 (by default)."""
    return min(60 * 2 ** (attempt - 1), settings.MAIL_RETRY_MAX_SECONDS)


class Outbox:
    """Subclass per kind of mail: name the model and columns, say how one row's mail goes."""

    name: str
    model: type
    due_field: str
    attempts_field: str

    # What each kind of mail says and when it is no longer owed.

    def rows(self, ids):
        """The claimed rows, loaded with what `send` needs."""
        return self.model.objects.filter(pk__in=ids)

    def still_owed(self, row):
        return True

    def send(self, row):
        """Send the row's mail or raise MailNotSent."""
        raise NotImplementedError

    def sent_fields(self, now):
        return {}

    def not_owed_fields(self, row):
        return {}

    def failed_fields(self, *, final):
        return {}

    # The mechanism, the same for every kind.

    @property
    def scheduled_key(self):
        """A cache flag set while a drain is queued or running (mailing/services.py)."""
        return f"outbox:{self.name}:scheduled"

    def _table(self):
        return self.model._meta.db_table

    def _column(self, field):
        return self.model._meta.get_field(field).column

    def claim(self, limit):
        """Lease up to `limit` due rows to this caller; returns their ids.

        On PostgreSQL concurrent claims skip each other's locked rows and the
        outer condition is checked again after any wait; on SQLite the
        statement holds the database's write lock.
        """
        now = timezone.now()
        lease_until = now + timedelta(seconds=settings.MAIL_CLAIM_LEASE_SECONDS)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(*self.claim_statement(limit, now=now, lease_until=lease_until))
            return [row[0] for row in cursor.fetchall()]

    def claim_statement(self, limit, *, now, lease_until):
        """(sql, params) of the claim; bench/load.py prints its plan.

        Only quoted names from the model's metadata go into the text; the
        times and the limit are parameters.
        """
        quote = connection.ops.quote_name
        table, due = quote(self._table()), quote(self._column(self.due_field))
        attempts = quote(self._column(self.attempts_field))
        skip_locked = (
            " FOR UPDATE SKIP LOCKED"
            if connection.features.has_select_for_update_skip_locked
            else ""
        )
        now, lease_until = (connection.ops.adapt_datetimefield_value(t) for t in (now, lease_until))
        # The rows are chosen once, in a CTE (one that locks is always computed on its
        # own), then joined by id. Written as `id IN (SELECT ... LIMIT ... FOR UPDATE)`,
        # PostgreSQL could run the subquery again for each row of a freshly filled table
        # whose statistics were not read yet: 550,000 update copies held one claim for
        # eight minutes (bench/scale.py), and every worker behind it. Joined by id alone:
        # the chosen rows are locked (PostgreSQL) or the statement holds the database's
        # write lock (SQLite), so nothing can have changed them since they were chosen,
        # and the join reads 100 rows by primary key, not the table.
        sql = (
            f"WITH chosen AS (SELECT id FROM {table} WHERE {due} <= %s "  # noqa: S608
            f"ORDER BY {due} LIMIT %s{skip_locked}) "
            f"UPDATE {table} SET {due} = %s, {attempts} = {attempts} + 1 "
            f"FROM chosen WHERE {table}.id = chosen.id RETURNING {table}.id"
        )
        return sql, [now, limit, lease_until]

    def _update(self, pks, **fields):
        return self.model.objects.filter(pk__in=pks).update(**fields)

    def settle(self, row, **fields):
        """The row's mail went (or is owed no more): out of the outbox."""
        self._update([row.pk], **{self.due_field: None}, **fields)

    def retry_later(self, row):
        """A failed try: due again after the backoff, or given up after the last attempt."""
        attempts = getattr(row, self.attempts_field)
        if attempts >= settings.MAIL_MAX_ATTEMPTS:
            self._update([row.pk], **{self.due_field: None}, **self.failed_fields(final=True))
            return None
        due = timezone.now() + timedelta(seconds=backoff(attempts))
        self._update([row.pk], **{self.due_field: due}, **self.failed_fields(final=False))
        return due

    def give_back(self, pks):
        """Claimed rows this worker did not reach: due at once, for the next drain."""
        self._update(pks, **{self.due_field: timezone.now()})

    def add(self, queryset, **fields):
        """Put rows in the outbox, due now, with a fresh count of tries; returns how many.

        Rows already in it are brought forward if they wait on a retry, and
        left alone if a worker holds them: a lease reaches further ahead than
        the longest retry wait (mailing/checks.py makes sure), so a due
        time beyond that is a lease, and moving it would let a second worker
        send the same mail. (A row leased longer ago than the lease less the
        longest wait is taken for a dead worker's, and brought forward.)
        """
        now = timezone.now()
        horizon = now + timedelta(seconds=settings.MAIL_RETRY_MAX_SECONDS)
        not_held = Q(**{f"{self.due_field}__isnull": True}) | Q(
            **{f"{self.due_field}__lte": horizon}
        )
        return queryset.filter(not_held).update(
            **{self.due_field: now, self.attempts_field: 0}, **fields
        )

    def has_due(self):
        """Anything owed now: a new row, a retry come due, or a lease a dead worker left."""
        return self.model.objects.filter(**{f"{self.due_field}__lte": timezone.now()}).exists()

    def next_due(self):
        """When the earliest row not due yet comes due (a lease or a retry), or None."""
        return (
            self.model.objects.filter(**{f"{self.due_field}__gt": timezone.now()})
            .order_by(self.due_field)
            .values_list(self.due_field, flat=True)
            .first()
        )

    def exhausted(self, row):
        """Taken more often than a mail may be tried: workers died on it each time."""
        return getattr(row, self.attempts_field) > settings.MAIL_MAX_ATTEMPTS


_OUTBOXES = {}


def register(outbox):
    """Make an outbox known to the drain task by its name; each app does so in ready()."""
    _OUTBOXES[outbox.name] = outbox
    return outbox


def outbox_named(name):
    return _OUTBOXES[name]


def all_outboxes():
    return list(_OUTBOXES.values())
