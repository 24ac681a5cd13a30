"""Every signatory mail through an outbox: tries counted, "already signed" owed on the row.

Tasks queued by the code before this one name functions that are gone; what
they owed is moved onto the rows, and the one drain task takes over.
"""

from django.db import migrations, models
from django.utils import timezone

OLD_CONFIRMATION = "signatories.tasks.send_confirmation_email"
OLD_ALREADY_SIGNED = "signatories.tasks.send_already_signed_email"
OLD_DRAIN = "signatories.tasks.send_due_confirmations"
OLD_UPDATE_BATCH = "letters.tasks.send_update_batch"  # its copies were made due by letters 0007
NEW_DRAIN = "mailing.tasks.drain_outbox"


def queued_tasks_to_outboxes(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    Signatory = apps.get_model("signatories", "Signatory")
    waiting = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"])
    now = timezone.now()
    for path, column in [
        (OLD_CONFIRMATION, "confirmation_due_at"),
        (OLD_ALREADY_SIGNED, "already_signed_due_at"),
    ]:
        ids = [task.args_kwargs["args"][0] for task in waiting.filter(task_path=path)]
        Signatory.objects.filter(pk__in=ids, **{f"{column}__isnull": True}).update(**{column: now})
    old = [OLD_CONFIRMATION, OLD_ALREADY_SIGNED, OLD_DRAIN, OLD_UPDATE_BATCH]
    if waiting.filter(task_path__in=old).exists():
        waiting.filter(task_path__in=old).delete()
        for name in ["confirmations", "already-signed", "update-copies"]:
            DBTaskResult.objects.create(
                status="READY",
                task_path=NEW_DRAIN,
                args_kwargs={"args": [name], "kwargs": {}},
                queue_name="default",
                backend_name="default",
                priority=0,
                run_after=now,
                exception_class_path="",
                traceback="",
            )


class Migration(migrations.Migration):

    dependencies = [
        ('letters', '0007_update_copies_outbox'),
        ('signatories', '0011_notables_index'),
        ('django_tasks_database', '0021_conditional_partial_index_ordering'),
    ]

    operations = [
        migrations.AddField(
            model_name='signatory',
            name='already_signed_attempts',
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='signatory',
            name='already_signed_due_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='signatory',
            name='already_signed_sent_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='signatory',
            name='confirmation_attempts',
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name='signatory',
            index=models.Index(condition=models.Q(('already_signed_due_at__isnull', False)), fields=['already_signed_due_at'], name='signatory_already_signed_idx'),
        ),
        migrations.RunPython(queued_tasks_to_outboxes, migrations.RunPython.noop),
    ]
