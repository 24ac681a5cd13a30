"""Update copies become an outbox (mailing/outbox.py): a due time instead of a "sending" status."""

from django.db import migrations, models
from django.utils import timezone


def copies_owed_now(apps, schema_editor):
    """Copies queued, failed or left "sending" by a worker that stopped: due at once.

    Delivery is at least once: a copy a worker died on is sent again.
    """
    UpdateRecipient = apps.get_model("letters", "UpdateRecipient")
    UpdateRecipient.objects.filter(status="sending").update(status="queued")
    UpdateRecipient.objects.filter(status__in=["queued", "failed"]).update(due_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ('letters', '0006_recipient_sending_status'),
        ('signatories', '0011_notables_index'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='updaterecipient',
            name='recipient_status_valid',
        ),
        migrations.AddField(
            model_name='updaterecipient',
            name='due_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='updaterecipient',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('sent', 'Sent'), ('failed', 'Failed (tried again later, up to MAIL_MAX_ATTEMPTS times)'), ('cancelled', 'Not sent (unsubscribed, withdrawn or erased meanwhile)')], default='queued', max_length=20),
        ),
        migrations.AddIndex(
            model_name='updaterecipient',
            index=models.Index(condition=models.Q(('due_at__isnull', False)), fields=['due_at'], name='recipient_due_idx'),
        ),
        # Last: the rows it updates leave trigger events pending on PostgreSQL, after
        # which the table cannot be altered in the same transaction (0008 adds the check).
        migrations.RunPython(copies_owed_now, migrations.RunPython.noop),
    ]
