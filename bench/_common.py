"""Shared set-up for the benchmarks: a fresh PostgreSQL database and Django."""

import os
import sys
import warnings
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_letters"
SURNAMES = ["Anderson", "Bowring", "Жанат", "Қанатов", "la Falce", "Lavery", "Øberg", "Zernova"]


def fresh_database(url):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def address_keys():
    """Keys for signatories' addresses, as production sets them (not derived from SECRET_KEY).

    Put into os.environ once, so the bench process and every server it starts
    read each other's rows.
    """
    from cryptography.fernet import Fernet

    os.environ.setdefault("EMAIL_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    os.environ.setdefault("EMAIL_INDEX_KEY", Fernet.generate_key().decode())
    return {name: os.environ[name] for name in ("EMAIL_ENCRYPTION_KEYS", "EMAIL_INDEX_KEY")}


def addresses_starting(prefix, queryset=None):
    """{pk: address} of rows whose address begins with `prefix`, lower-cased.

    The column is encrypted, so a prefix cannot be searched in SQL: the bench
    reads and decrypts (fine at its tens of thousands of rows). A row a run
    with encryption undone (bench/app.py) stored in plain text reads as it is.
    """
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from signatories import crypto
    from signatories.models import Signatory

    rows = (Signatory.objects.all() if queryset is None else queryset).exclude(email="")
    tokens = rows.annotate(token=Cast("email", TextField())).values_list("pk", "token")
    found = {}
    for pk, token in tokens.iterator(chunk_size=5000):
        address = (token if "@" in token else crypto.decrypt(token)).lower()
        if address.startswith(prefix):
            found[pk] = address
    return found


def django_setup(url, *, fresh, test_environment=True):
    """Point Django at the bench database, optionally recreated and migrated.

    `test_environment=False` leaves Django's template rendering as production
    has it (the test environment sends a signal for every template rendered).
    """
    if fresh:
        fresh_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    if test_environment:
        setup_test_environment()
    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise, no collectstatic
    # Production serves collected, hashed files; benches render pages without collecting.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if fresh:
        call_command("migrate", verbosity=0)


def add_signatories(letter, count, *, pending=0, batch_size=5000):
    """Bulk-insert `count` confirmed signatories; the first `pending` await a decision."""
    from signatories.models import Signatory
    from signatories.names import derive_sort_name, sort_key

    batch = []
    for i in range(count):
        name = f"Person{i} {SURNAMES[i % len(SURNAMES)]}"
        sort_name = derive_sort_name(name)
        batch.append(
            Signatory(
                letter=letter,
                name=name,
                affiliation="member of Unite, personal capacity",
                email=f"person{i}.{letter.pk}@example.net",
                sort_name=sort_name,
                sort_key=sort_key(sort_name),
                status=Signatory.Status.PENDING if i < pending else Signatory.Status.APPROVED,
                confirmed_at="2026-11-01T12:00Z",
            )
        )
        if len(batch) == batch_size:
            Signatory.objects.bulk_create(batch)
            batch = []
    Signatory.objects.bulk_create(batch)
