"""Before names may hold no address (0016): take out addresses already typed into them.

A signer who typed their address as their affiliation had it published; the
address stays in their e-mail field, where it belongs, and the published
text keeps the rest. In its own migration: on PostgreSQL a constraint cannot
be added in the transaction that just updated the rows it checks.
"""

import re

from django.db import migrations

ADDRESS = re.compile(r"[^ @]+@[^ @]+\.[^ @]+")


def remove_addresses(apps, schema_editor):
    Signatory = apps.get_model("signatories", "Signatory")
    rows = Signatory.objects.filter(name__contains="@") | Signatory.objects.filter(
        affiliation__contains="@"
    )
    for signatory in rows.iterator():
        name = " ".join(ADDRESS.sub(" ", signatory.name).split())
        affiliation = " ".join(ADDRESS.sub(" ", signatory.affiliation).split())
        if (name, affiliation) == (signatory.name, signatory.affiliation):
            continue
        signatory.name = name or "(name withheld)"
        signatory.affiliation = affiliation
        signatory.save(update_fields=["name", "affiliation"])


class Migration(migrations.Migration):
    dependencies = [("signatories", "0014_shared_address")]

    operations = [migrations.RunPython(remove_addresses, migrations.RunPython.noop)]
