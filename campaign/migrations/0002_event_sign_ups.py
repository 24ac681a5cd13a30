# Events take sign-ups (attendance/): whether an event does, and the count kept after the purge.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaign', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='people_coming_kept',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True, verbose_name='people who said they were coming (kept after the sign-ups were deleted)'),
        ),
        migrations.AddField(
            model_name='event',
            name='takes_sign_ups',
            field=models.BooleanField(default=True, help_text='People can say “I’ll be there” on the event’s page (attendance/); the page shows how many are coming, never who.', verbose_name='takes sign-ups'),
        ),
    ]
