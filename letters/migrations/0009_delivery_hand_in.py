"""The delivery record keeps when and where the letter was handed in, and by whom, as entered,
beside when the record was made and by which staff user (until now one time for both)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def hand_in_as_recorded(apps, schema_editor):
    Delivery = apps.get_model("letters", "Delivery")
    Delivery.objects.update(handed_in_at=models.F("recorded_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0008_recipient_status_valid"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField("delivery", "delivered_at", "recorded_at"),
        migrations.RenameField("delivery", "delivered_by", "recorded_by"),
        migrations.AlterField(
            model_name="delivery",
            name="recorded_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="recorded at"),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                to=settings.AUTH_USER_MODEL,
                verbose_name="recorded by",
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="handed_in_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="handed in at"),
        ),
        migrations.AddField(
            model_name="delivery",
            name="handed_in_by",
            field=models.CharField(
                blank=True,
                help_text="Who carried it in, e.g. “A delegation of the RMT London region”.",
                max_length=200,
                verbose_name="handed in by",
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="note",
            field=models.TextField(blank=True, help_text="Anything worth keeping about the hand-in."),
        ),
        migrations.RunPython(hand_in_as_recorded, migrations.RunPython.noop),
    ]
