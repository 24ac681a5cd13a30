"""Signed PDFs made by a task and kept in parts; a delivery freezes one of them.

A delivery held its PDF as one value and its page map as one JSON object: a
million names would be a 15 MB value read whole by every download, and a
20 MB object read whole by the receipts. Each existing delivery's PDF and
page map move into a SignedPdf of their own, in parts, and back again.
"""

import hashlib
import struct

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

PART = 1024 * 1024  # bytes of a part, as letters/services/signed_pdf.py writes them
ENTRY = struct.Struct("!QI")  # a page map entry: signatory id, page


def deliveries_into_signed_pdfs(apps, schema_editor):
    Delivery = apps.get_model("letters", "Delivery")
    SignedPdf = apps.get_model("letters", "SignedPdf")
    Part = apps.get_model("letters", "SignedPdfPart")
    for delivery in Delivery.objects.all():
        data = bytes(delivery.pdf)
        pages = sorted(delivery.pages.items(), key=lambda item: item[1])
        signed = SignedPdf.objects.create(
            letter_id=delivery.letter_id,
            state="ready",
            requested_by_id=delivery.recorded_by_id,
            requested_at=delivery.recorded_at,
            finished_at=delivery.recorded_at,
            signature_count=delivery.signature_count,
            page_count=max((page for _, page in pages), default=None),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        entries = b"".join(ENTRY.pack(int(pk), page) for pk, page in pages)
        for kind, blob in (("file", data), ("pages", entries)):
            Part.objects.bulk_create(
                Part(signed_pdf=signed, kind=kind, number=n, data=blob[at : at + PART])
                for n, at in enumerate(range(0, len(blob), PART))
            )
        delivery.signed_pdf = signed
        delivery.save(update_fields=["signed_pdf"])


def signed_pdfs_into_deliveries(apps, schema_editor):
    Delivery = apps.get_model("letters", "Delivery")
    Part = apps.get_model("letters", "SignedPdfPart")
    for delivery in Delivery.objects.exclude(signed_pdf=None):
        parts = Part.objects.filter(signed_pdf_id=delivery.signed_pdf_id).order_by("number")
        delivery.pdf = b"".join(bytes(p.data) for p in parts.filter(kind="file"))
        entries = b"".join(bytes(p.data) for p in parts.filter(kind="pages"))
        delivery.pages = {str(pk): page for pk, page in ENTRY.iter_unpack(entries)}
        delivery.save(update_fields=["pdf", "pages"])


class Migration(migrations.Migration):

    dependencies = [
        ('letters', '0009_delivery_hand_in'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SignedPdf',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('with_translations', models.BooleanField(default=False)),
                ('state', models.CharField(choices=[('queued', 'Waiting for a worker'), ('making', 'Being made'), ('ready', 'Ready'), ('failed', 'Failed')], default='queued', max_length=10)),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('signature_count', models.PositiveIntegerField(blank=True, null=True)),
                ('page_count', models.PositiveIntegerField(blank=True, null=True)),
                ('size', models.PositiveBigIntegerField(blank=True, null=True)),
                ('sha256', models.CharField(blank=True, max_length=64, verbose_name='SHA-256')),
                ('error', models.TextField(blank=True)),
                ('letter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='signed_pdfs', to='letters.letter')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'signed PDF',
                'ordering': ['-requested_at', '-pk'],
            },
        ),
        migrations.AddField(
            model_name='delivery',
            name='signed_pdf',
            field=models.OneToOneField(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='delivery', to='letters.signedpdf'),
        ),
        migrations.CreateModel(
            name='SignedPdfPart',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('file', 'The PDF file'), ('pages', 'Which page each printed name is on')], max_length=10)),
                ('number', models.PositiveIntegerField()),
                ('data', models.BinaryField()),
                ('signed_pdf', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='parts', to='letters.signedpdf')),
            ],
        ),
        migrations.AddIndex(
            model_name='signedpdf',
            index=models.Index(fields=['letter', '-requested_at'], name='signed_pdf_letter_idx'),
        ),
        migrations.AddConstraint(
            model_name='signedpdf',
            constraint=models.CheckConstraint(condition=models.Q(('state__in', ['queued', 'making', 'ready', 'failed'])), name='signed_pdf_state_valid'),
        ),
        migrations.AddConstraint(
            model_name='signedpdf',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('state', 'ready'), _negated=True), ('sha256__regex', '^[0-9a-f]{64}$'), _connector='OR'), name='signed_pdf_ready_has_its_hash'),
        ),
        migrations.AddConstraint(
            model_name='signedpdfpart',
            constraint=models.UniqueConstraint(models.F('signed_pdf'), models.F('kind'), models.F('number'), name='one_signed_pdf_part_per_place'),
        ),
        migrations.AddConstraint(
            model_name='signedpdfpart',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['file', 'pages'])), name='part_kind_valid'),
        ),
        migrations.RunPython(deliveries_into_signed_pdfs, signed_pdfs_into_deliveries),
        migrations.RemoveField(
            model_name='delivery',
            name='pages',
        ),
        migrations.RemoveField(
            model_name='delivery',
            name='pdf',
        ),
        migrations.AlterField(
            model_name='delivery',
            name='signed_pdf',
            field=models.OneToOneField(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='delivery', to='letters.signedpdf'),
        ),
    ]
