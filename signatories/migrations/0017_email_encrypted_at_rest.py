"""Signatories' addresses encrypted at rest, with a keyed hash carrying the uniqueness.

In one transaction, in steps:

1. the column becomes text (a token is longer than 254), and gains its hash;
2. each row with a plain address (it has an "@"; a token never has) gets its
   token and hash, a batch at a time (memory stays flat);
3. the field becomes the encrypted one (no SQL: the column is text already),
   and the unique constraint moves from lower(email) to the hash.
"""

from django.db import migrations, models

import signatories.fields
from signatories.crypto import blind_index, decrypt, encrypt

BATCH = 2000


def encrypt_addresses(apps, schema_editor):
    Signatory = apps.get_model("signatories", "Signatory")
    plain = Signatory.objects.filter(email__contains="@").order_by("pk")
    while batch := list(plain.only("pk", "email")[:BATCH]):
        for row in batch:
            row.email_hash = blind_index(row.email)
            row.email = encrypt(row.email)
        Signatory.objects.bulk_update(batch, ["email", "email_hash"])


def decrypt_addresses(apps, schema_editor):
    Signatory = apps.get_model("signatories", "Signatory")
    sealed = Signatory.objects.exclude(email="").exclude(email__contains="@").order_by("pk")
    while batch := list(sealed.only("pk", "email")[:BATCH]):
        for row in batch:
            row.email, row.email_hash = decrypt(row.email), ""
        Signatory.objects.bulk_update(batch, ["email", "email_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0009_delivery_hand_in"),
        ("signatories", "0016_publishes_no_email"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="signatory",
            name="one_signature_per_email_per_letter",
        ),
        migrations.AlterField(
            model_name="signatory",
            name="email",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="signatory",
            name="email_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(encrypt_addresses, decrypt_addresses, elidable=False),
        migrations.AlterField(
            model_name="signatory",
            name="email",
            field=signatories.fields.EncryptedEmailField(
                blank=True,
                help_text="Private: never published. Optional only for signatures entered by "
                "organisers.",
                max_length=254,
            ),
        ),
        migrations.AlterField(
            model_name="signatory",
            name="email_hash",
            field=signatories.fields.BlindIndexField(
                blank=True,
                default="",
                editable=False,
                help_text="Keyed hash of the normalised address: one signature per address per "
                "letter.",
                max_length=64,
                source="email",
            ),
        ),
        migrations.AddConstraint(
            model_name="signatory",
            constraint=models.UniqueConstraint(
                condition=models.Q(("email_hash", ""), _negated=True),
                fields=("email_hash", "letter"),
                name="one_signature_per_email_per_letter",
                violation_error_message="This e-mail address has already signed this letter.",
            ),
        ),
        migrations.AddConstraint(
            model_name="signatory",
            constraint=models.CheckConstraint(
                condition=models.Q(email="", email_hash="")
                | (~models.Q(email="") & ~models.Q(email_hash="")),
                name="signatory_email_has_its_hash",
                violation_error_message="An e-mail address needs its keyed hash.",
            ),
        ),
    ]
