"""Mail owed by tasks of the code before the outboxes is not lost when the new code migrates."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("signatories", "0011_notables_index"),
    ("letters", "0006_recipient_sending_status"),
    ("django_tasks_database", "0021_conditional_partial_index_ordering"),
]
AFTER = [("signatories", "0012_mail_outboxes"), ("letters", "0008_recipient_status_valid")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def a_letter(apps):
    """A letter of a campaign, through the models as they were at that migration."""
    campaign = apps.get_model("campaign", "Campaign").objects.create(
        title="C", slug="c", summary="s", background="b"
    )
    return apps.get_model("letters", "Letter").objects.create(
        campaign=campaign, title="L", slug="l", addressee="a", salutation="s", body="b"
    )


@pytest.mark.django_db(transaction=True)
def test_old_mail_tasks_become_rows_owed_in_the_outboxes():
    apps = migrate(BEFORE)
    Campaign = apps.get_model("campaign", "Campaign")
    Letter = apps.get_model("letters", "Letter")
    Signatory = apps.get_model("signatories", "Signatory")
    Update = apps.get_model("letters", "Update")
    Recipient = apps.get_model("letters", "UpdateRecipient")
    Task = apps.get_model("django_tasks_database", "DBTaskResult")
    try:
        campaign = Campaign.objects.create(title="C", slug="c", summary="s", background="b")
        letter = Letter.objects.create(
            campaign=campaign, title="L", slug="l", addressee="a", salutation="s", body="b"
        )

        def signer(n):
            return Signatory.objects.create(
                letter=letter, name=f"N{n}", email=f"n{n}@example.net", sort_key="1"
            )

        confirm, notice, done = signer(1), signer(2), signer(3)
        update = Update.objects.create(letter=letter, subject="S", body="B")
        stuck = Recipient.objects.create(update=update, signatory=done, status="sending")
        sent = Recipient.objects.create(update=update, signatory=notice, status="sent")

        def task(path, *args):
            Task.objects.create(
                status="READY",
                task_path=path,
                args_kwargs={"args": list(args), "kwargs": {}},
                queue_name="default",
                backend_name="default",
                run_after=timezone.now(),
            )

        task("signatories.tasks.send_confirmation_email", confirm.pk, 2, None)
        task("signatories.tasks.send_already_signed_email", notice.pk, 1, None)
        task("letters.tasks.send_update_batch", update.pk, [stuck.pk], 1)
        task("letters.tasks.anonymise_letter_task", letter.pk)  # still exists: kept

        apps = migrate(AFTER)
        Signatory = apps.get_model("signatories", "Signatory")
        Recipient = apps.get_model("letters", "UpdateRecipient")
        Task = apps.get_model("django_tasks_database", "DBTaskResult")

        assert Signatory.objects.get(pk=confirm.pk).confirmation_due_at is not None
        assert Signatory.objects.get(pk=notice.pk).already_signed_due_at is not None
        assert Signatory.objects.get(pk=done.pk).already_signed_due_at is None
        stuck = Recipient.objects.get(pk=stuck.pk)
        assert (stuck.status, stuck.due_at is not None) == ("queued", True)
        assert Recipient.objects.get(pk=sent.pk).due_at is None
        assert sorted(
            (t.task_path, t.args_kwargs["args"]) for t in Task.objects.filter(status="READY")
        ) == [
            ("letters.tasks.anonymise_letter_task", [letter.pk]),
            ("mailing.tasks.drain_outbox", ["already-signed"]),
            ("mailing.tasks.drain_outbox", ["confirmations"]),
            ("mailing.tasks.drain_outbox", ["update-copies"]),
        ]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_addresses_already_typed_into_published_text_are_taken_out():
    apps = migrate([("signatories", "0014_shared_address")])
    Signatory = apps.get_model("signatories", "Signatory")
    try:
        letter = a_letter(apps)

        def signer(name, affiliation):
            return Signatory.objects.create(
                letter=letter,
                name=name,
                affiliation=affiliation,
                email=f"{len(name)}{len(affiliation)}@example.net",
                sort_key="1",
            ).pk

        in_affiliation = signer("Dana Mistake", "Unite, dana.private@example.org")
        as_name = signer("erin.private@example.org", "")
        handle = signer("Unite the Union", "@UniteTheUnion")  # not an address: kept

        migrate([("signatories", "0016_publishes_no_email")])
        Signatory = apps.get_model("signatories", "Signatory")
        rows = {s.pk: (s.name, s.affiliation) for s in Signatory.objects.all()}
        assert rows[in_affiliation] == ("Dana Mistake", "Unite,")
        assert rows[as_name] == ("(name withheld)", "")
        assert rows[handle] == ("Unite the Union", "@UniteTheUnion")
        assert Signatory.objects.get(pk=in_affiliation).email == "1231@example.net"  # kept
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def raw_addresses(columns="id, email, email_hash"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM signatories_signatory ORDER BY id")  # noqa: S608
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_plain_addresses_are_encrypted_and_hashed_by_the_migration_and_back():
    from signatories import crypto

    apps = migrate([("signatories", "0016_publishes_no_email")])
    Signatory = apps.get_model("signatories", "Signatory")
    try:
        letter = a_letter(apps)
        for n, email in enumerate(["ada@example.net", "Grace@Example.NET", ""]):
            Signatory.objects.create(
                letter=letter, name=f"N{n}", email=email, sort_key="1", source="paper"
            )

        migrate([("signatories", "0017_email_encrypted_at_rest")])
        rows = raw_addresses()
        assert [crypto.decrypt(token) for _, token, _ in rows] == [
            "ada@example.net",
            "Grace@Example.NET",
            "",
        ]
        assert all("@" not in token for _, token, _ in rows)
        assert [digest for _, _, digest in rows] == [
            crypto.blind_index("ada@example.net"),
            crypto.blind_index("grace@example.net"),
            "",
        ]

        migrate([("signatories", "0016_publishes_no_email")])  # and back, for a rollback
        assert [email for (email,) in raw_addresses("email")] == [
            "ada@example.net",
            "Grace@Example.NET",
            "",
        ]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_count_journal_starts_from_the_signatures_already_there_and_goes_back():
    apps = migrate([("signatories", "0017_email_encrypted_at_rest")])
    Signatory = apps.get_model("signatories", "Signatory")
    try:
        letter = a_letter(apps)
        now = timezone.now()
        for n, (status, confirmed, display) in enumerate(
            [
                ("approved", now, "full"),
                ("approved", now, "hidden"),
                ("pending", now, "full"),
                ("rejected", now, "full"),
                ("pending", None, "full"),
            ]
        ):
            Signatory.objects.create(
                letter=letter,
                name=f"N{n}",
                email="",
                sort_key="1",
                source="paper",
                status=status,
                confirmed_at=confirmed,
                display=display,
            )

        apps = migrate([("signatories", "0018_tally")])
        Tally = apps.get_model("signatories", "Tally")
        sums = {
            name: sum(getattr(row, name) for row in Tally.objects.filter(letter_id=letter.pk))
            for name in ("published", "hidden", "awaiting", "approved", "rejected", "unconfirmed")
        }
        assert sums == {
            "published": 2,
            "hidden": 1,
            "awaiting": 1,
            "approved": 2,
            "rejected": 1,
            "unconfirmed": 1,
        }

        migrate([("signatories", "0017_email_encrypted_at_rest")])  # and back: no trigger left
        Signatory = apps.get_model("signatories", "Signatory")
        Signatory.objects.filter(letter_id=letter.pk).update(status="approved")
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_reminder_columns_come_and_go_and_the_count_journal_keeps_counting():
    """0020 adds a NOT NULL column: on SQLite a table rebuild would drop 0018's triggers."""
    latest = [("signatories", "0020_confirmation_reminders")]
    try:
        for n, target in enumerate([[("signatories", "0019_queue_indexes")], latest]):
            apps = migrate(target)
            campaign = apps.get_model("campaign", "Campaign").objects.create(
                title="C", slug=f"c{n}", summary="s", background="b"
            )
            letter = apps.get_model("letters", "Letter").objects.create(
                campaign=campaign, title="L", slug=f"l{n}", addressee="a", salutation="s", body="b"
            )
            apps.get_model("signatories", "Signatory").objects.create(
                letter=letter,
                name="Қанат Әбілов",
                email="",
                sort_key="1",
                source="paper",
                status="approved",
                confirmed_at=timezone.now(),
            )
            Tally = apps.get_model("signatories", "Tally")
            assert sum(t.approved for t in Tally.objects.filter(letter_id=letter.pk)) == 1
        columns = {c.name for c in connection.introspection.get_table_description(
            connection.cursor(), "signatories_signatory"
        )}  # fmt: skip
        assert {"reminder_due_at", "reminder_attempts", "reminder_sent_at"} <= columns
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
