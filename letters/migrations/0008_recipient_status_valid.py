from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('letters', '0007_update_copies_outbox'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='updaterecipient',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'sent', 'failed', 'cancelled'])), name='recipient_status_valid'),
        ),
    ]
