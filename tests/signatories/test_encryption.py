"""Addresses at rest: encrypted, found by a keyed hash, and moved to a new key by a command."""

import io
import subprocess

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from signatories import crypto
from signatories.models import Signatory
from signatories.services import encryption
from signatories.services.entry import signatory_add_approved
from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import link_path, sign_data, sign_url

# Each as a signer types it; one with an internationalised (Cyrillic) domain.
ADDRESSES = [
    "Zhanat.Secret@Example.NET",
    "Ivan.Hidden@Почта.РФ",
    "Aigul.Qupiya@Example.KZ",
]
STORED_FORMS = [
    "zhanat.secret@example.net",
    "ivan.hidden@почта.рф",
    "ivan.hidden@xn--80a1acny.xn--p1ai",
    "Aigul.Qupiya@Example.KZ",
]


def stored_token(signatory):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT email, email_hash FROM signatories_signatory WHERE id = %s", [signatory.pk]
        )
        return cursor.fetchone()


def database_dump():
    """Every byte the database holds, as a thief with a backup would have it."""
    if connection.vendor == "postgresql":
        params = connection.get_connection_params()
        return subprocess.run(
            [
                "pg_dump",
                "--no-owner",
                f"--host={params.get('host', '127.0.0.1')}",
                f"--port={params.get('port', 5432)}",
                f"--username={params['user']}",
                params["dbname"],
            ],
            check=True,
            capture_output=True,
            env={"PGPASSWORD": params.get("password") or ""},
        ).stdout
    # The test database is in memory: serialize() gives the bytes its file would hold.
    connection.ensure_connection()
    return connection.connection.serialize()


def forms_of(address):
    """The address in every spelling a dump could hold it: as typed, folded, UTF-8 and UTF-16."""
    spellings = {address, address.lower(), address.upper()}
    return {
        encoded
        for spelling in spellings
        for encoded in (spelling.encode(), spelling.encode("utf-16-le"))
    }


@pytest.mark.django_db(transaction=True)
def test_a_dump_after_signing_holds_no_address_yet_they_deduplicate_and_get_mail(
    client, mailoutbox
):
    letter = LetterFactory(moderation="post")
    for n, address in enumerate(ADDRESSES):
        response = client.post(
            sign_url(letter), sign_data(email=address), REMOTE_ADDR=f"198.51.100.{n}"
        )
        assert response.status_code == 302
    signatory_add_approved(letter=letter, name="Paper Signer", email="Paper.Only@Example.ORG")
    # The same people again, in other cases: still one row each, and a notice, not a new name.
    for n, address in enumerate(ADDRESSES):
        client.post(
            sign_url(letter), sign_data(email=address.swapcase()), REMOTE_ADDR=f"198.51.100.{n}"
        )
    client.post(link_path(mailoutbox[0], "confirm"))  # the page asks; the button confirms

    dump = database_dump().lower()
    assert b"signatories_signatory" in dump  # the dump is of this database
    assert b"ada lovelace" in dump  # and holds the rows: the names are there
    for address in [*ADDRESSES, *STORED_FORMS, "paper.only@example.org"]:
        for form in forms_of(address):
            assert form.lower() not in dump, address
    # Nor any local part alone, which would identify most people as well as the address does.
    for local in ["zhanat.secret", "ivan.hidden", "aigul.qupiya", "paper.only"]:
        assert local.encode() not in dump

    assert Signatory.objects.filter(letter=letter).count() == 4
    for address in ADDRESSES:
        assert Signatory.objects.filter(letter=letter).with_email(address.upper()).count() == 1
    confirmations = [m for m in mailoutbox if "confirm" in m.subject.lower()]
    notices = [m for m in mailoutbox if m not in confirmations]
    assert sorted(m.to[0] for m in confirmations) == sorted(
        [
            "zhanat.secret@example.net",
            "ivan.hidden@xn--80a1acny.xn--p1ai",
            "aigul.qupiya@example.kz",
        ]
    )
    assert len(notices) == 3  # "you have already signed", to the same three inboxes
    assert {m.to[0] for m in notices} == {m.to[0] for m in confirmations}
    assert Signatory.objects.with_email("zhanat.secret@example.net").get().confirmed_at


@pytest.mark.django_db
def test_the_column_holds_a_token_and_the_hash_is_keyed(letter, settings):
    signatory = SignatoryFactory(letter=letter, email="ada@example.net")
    token, digest = stored_token(signatory)
    assert "ada" not in token and "@" not in token
    assert crypto.decrypt(token) == "ada@example.net"
    assert Signatory.objects.get(pk=signatory.pk).email == "ada@example.net"
    assert digest == crypto.blind_index("ADA@Example.net") and len(digest) == 64
    # Another index key, another hash: a list of guessed addresses cannot be tested without it.
    settings.EMAIL_INDEX_KEY = crypto.new_key()
    assert crypto.blind_index("ada@example.net") != digest
    # The same address twice is two different tokens: equal addresses do not show in the column.
    assert crypto.encrypt("ada@example.net") != crypto.encrypt("ada@example.net")


@pytest.mark.django_db
def test_the_encrypted_column_refuses_lookups_that_would_silently_match_nothing(letter):
    SignatoryFactory(letter=letter, email="ada@example.net")
    for lookup in [{"email": "ada@example.net"}, {"email__iexact": "ada@example.net"}]:
        with pytest.raises(FieldError):
            list(Signatory.objects.filter(**lookup))
    with pytest.raises(FieldError):
        list(Signatory.objects.filter(email__icontains="ada"))
    assert Signatory.objects.exclude(email="").count() == 1
    assert Signatory.objects.with_email(" ADA@example.net ").count() == 1


@pytest.mark.django_db
def test_the_database_keeps_one_signature_per_address_and_an_address_with_its_hash(letter):
    SignatoryFactory(letter=letter, email="ada@example.net")
    with pytest.raises(IntegrityError), transaction.atomic():
        SignatoryFactory(letter=letter, email="ADA@EXAMPLE.NET")
    SignatoryFactory(letter=LetterFactory(), email="ada@example.net")  # another letter: fine
    # An update() that erases the address but forgets its hash is refused by the database.
    with pytest.raises(IntegrityError), transaction.atomic():
        Signatory.objects.filter(letter=letter).update(email="")
    assert Signatory.objects.filter(letter=letter).with_email("ada@example.net").exists()


@pytest.mark.django_db
def test_a_saved_change_of_address_moves_its_hash_too(letter):
    signatory = SignatoryFactory(letter=letter, email="old@example.net")
    signatory.email = "New@Example.net"
    signatory.save(update_fields=["email"])
    assert Signatory.objects.with_email("new@example.net").get() == signatory
    assert not Signatory.objects.with_email("old@example.net").exists()


@pytest.mark.django_db
def test_rotating_the_encryption_key(letter, settings):
    old, new = crypto.new_key(), crypto.new_key()
    settings.EMAIL_ENCRYPTION_KEYS = [old]
    people = [SignatoryFactory(letter=letter, email=f"p{n}@example.net") for n in range(3)]
    SignatoryFactory(letter=letter, email="", source="paper")

    settings.EMAIL_ENCRYPTION_KEYS = [new, old]  # the new key first; the old still decrypts
    assert [Signatory.objects.get(pk=p.pk).email for p in people] == [
        "p0@example.net",
        "p1@example.net",
        "p2@example.net",
    ]
    SignatoryFactory(letter=letter, email="fresh@example.net")  # written under the new key

    out = io.StringIO()
    call_command("reencrypt_emails", "--batch-size", "2", stdout=out)
    assert "Done: 3 of 4 addresses re-encrypted" in out.getvalue()
    assert "2 of 4 addresses checked" in out.getvalue()  # progress, batch by batch

    settings.EMAIL_ENCRYPTION_KEYS = [new]  # the old key can go now
    assert {s.email for s in Signatory.objects.exclude(email="")} == {
        "p0@example.net",
        "p1@example.net",
        "p2@example.net",
        "fresh@example.net",
    }
    again = io.StringIO()
    call_command("reencrypt_emails", stdout=again)
    assert "Done: 0 of 4 addresses re-encrypted" in again.getvalue()


@pytest.mark.django_db
def test_a_key_taken_out_too_early_is_a_clear_error_not_lost_data(letter, settings):
    old = crypto.new_key()
    settings.EMAIL_ENCRYPTION_KEYS = [old]
    signatory = SignatoryFactory(letter=letter, email="ada@example.net")
    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key()]
    with pytest.raises(CommandError, match="keep the old key"):
        call_command("reencrypt_emails", stdout=io.StringIO())
    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key(), old]  # put back: all is readable
    assert Signatory.objects.get(pk=signatory.pk).email == "ada@example.net"


@pytest.mark.django_db
def test_rotating_the_index_key_rehashes_every_row(letter, settings):
    SignatoryFactory(letter=letter, email="ada@example.net")
    settings.EMAIL_INDEX_KEY = crypto.new_key()
    assert not Signatory.objects.with_email("ada@example.net").exists()  # until the command runs
    call_command("reencrypt_emails", stdout=io.StringIO())
    assert Signatory.objects.with_email("ada@example.net").exists()


@pytest.mark.django_db
def test_an_interrupted_reencryption_resumes_where_it_stopped(letter, settings, monkeypatch):
    old = crypto.new_key()
    settings.EMAIL_ENCRYPTION_KEYS = [old]
    for n in range(5):
        SignatoryFactory(letter=letter, email=f"p{n}@example.net")
    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key(), old]

    def stop_after_two_batches(progress):
        if progress.done == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        encryption.signatories_reencrypt(batch_size=2, on_batch=stop_after_two_batches)
    rest = encryption.signatories_reencrypt(batch_size=2)
    assert (rest.done, rest.changed) == (5, 1)
    assert {s.email for s in Signatory.objects.all()} == {f"p{n}@example.net" for n in range(5)}


def test_new_key_prints_a_usable_key_and_touches_nothing():
    out = io.StringIO()
    call_command("reencrypt_emails", "--new-key", stdout=out)
    key = out.getvalue().strip()
    assert len(key) == 44
    crypto.Fernet(key)  # a Fernet key, as EMAIL_ENCRYPTION_KEYS needs


@pytest.mark.django_db
def test_bad_batch_size_is_a_clear_error():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("reencrypt_emails", "--batch-size", "0")


@pytest.mark.django_db
def test_the_admin_finds_a_signature_by_its_whole_address(admin_client, letter):
    SignatoryFactory(letter=letter, name="Ada Lovelace", email="ada@example.net")
    SignatoryFactory(letter=letter, name="Grace Hopper", email="grace@example.net")
    changelist = reverse("admin:signatories_signatory_changelist")
    found = admin_client.get(changelist, {"q": "ADA@example.net"})
    assert found.context["cl"].result_count == 1
    assert "Ada Lovelace" in found.content.decode()
    assert "a whole e-mail address" in found.content.decode()  # the search box says how


@pytest.mark.django_db
def test_a_database_set_up_without_keys_moves_onto_real_ones(letter, settings):
    settings.EMAIL_ENCRYPTION_KEYS, settings.EMAIL_INDEX_KEY = [], ""  # as `make run` has it
    SignatoryFactory(letter=letter, email="ada@example.net")
    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key()]
    settings.EMAIL_INDEX_KEY = crypto.new_key()

    with pytest.raises(CommandError, match="--from-development-key"):
        call_command("reencrypt_emails", stdout=io.StringIO())
    out = io.StringIO()
    call_command("reencrypt_emails", "--from-development-key", stdout=out)
    assert "Done: 1 of 1 addresses re-encrypted." in out.getvalue()
    assert Signatory.objects.with_email("ada@example.net").get().email == "ada@example.net"


@pytest.mark.django_db
def test_the_command_names_the_key_it_encrypts_with_by_a_fingerprint(letter, settings):
    new, old = crypto.new_key(), crypto.new_key()
    settings.EMAIL_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("reencrypt_emails", stdout=out)
    assert f"first of 2 key(s), fingerprint {crypto.fingerprint(new)}" in out.getvalue()
    assert new not in out.getvalue() and old not in out.getvalue()


@pytest.mark.django_db
def test_an_export_that_cannot_open_an_address_says_why_and_leaves_no_half_file(
    letter, settings, tmp_path
):
    SignatoryFactory(letter=letter, email="ada@example.net")
    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key()]  # the key that sealed it is gone
    output = tmp_path / "contacts.csv"
    with pytest.raises(CommandError, match="keep the old key"):
        call_command(
            "export_letter", letter.slug, "--format", "csv", "-o", str(output), stdout=io.StringIO()
        )
    assert not output.exists()


@pytest.mark.django_db
def test_the_admin_says_plainly_when_addresses_cannot_be_opened(admin_client, letter, settings):
    signatory = SignatoryFactory(letter=letter, email="ada@example.net")
    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key()]
    response = admin_client.get(reverse("admin:signatories_signatory_change", args=[signatory.pk]))
    assert response.status_code == 503
    assert "cannot open some of them with the keys it has" in response.content.decode()
    assert "EMAIL_ENCRYPTION_KEYS" in response.content.decode()
    # Pages that need no address are not affected.
    assert admin_client.get(reverse("admin:letters_letter_changelist")).status_code == 200
    assert admin_client.get(letter.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_every_stored_address_moves_to_the_new_keys_and_the_suppression_list_follows(
    letter, settings
):
    """Event sign-ups and reports keep addresses in the same fields; the suppression list keeps
    only a hash, which must follow the new index key or a complaint would be forgotten."""
    from attendance.models import SignUp
    from mailing.models import SuppressionReason
    from mailing.suppression import is_suppressed, suppress
    from resolutions.models import PassedResolution
    from tests.factories import EventFactory

    old = crypto.new_key()
    settings.EMAIL_ENCRYPTION_KEYS = [old]
    SignatoryFactory(letter=letter, email="complained@example.net")
    sign_up = SignUp.objects.create(event=EventFactory(), email="coming@example.net")
    report = PassedResolution.objects.create(
        campaign=letter.campaign,
        body="Bakerloo branch",
        level="branch",
        passed_on="2012-11-20",
        email="secretary@example.net",
    )
    suppress("complained@example.net", reason=SuppressionReason.COMPLAINED)

    settings.EMAIL_ENCRYPTION_KEYS = [crypto.new_key(), old]
    settings.EMAIL_INDEX_KEY = crypto.new_key()
    assert not is_suppressed("complained@example.net")  # until the command runs
    out = io.StringIO()
    call_command("reencrypt_emails", stdout=out)
    assert "Done: 3 of 3 addresses re-encrypted" in out.getvalue()

    settings.EMAIL_ENCRYPTION_KEYS = settings.EMAIL_ENCRYPTION_KEYS[:1]  # the old key can go
    assert SignUp.objects.get(pk=sign_up.pk).email == "coming@example.net"
    assert PassedResolution.objects.get(pk=report.pk).email == "secretary@example.net"
    assert SignUp.objects.filter(email_hash=crypto.blind_index("coming@example.net")).exists()
    assert is_suppressed("complained@example.net")
