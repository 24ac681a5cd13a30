"""Fuzzing the public endpoints: whatever a client sends, a 4xx and no changed row, never a 500.

Every example snapshots the Signatory table before and after its request. A
valid signature may add at most one row and a valid first use of a link may
change its own row; everything else must leave the table exactly as it was.
Abuse counters are cleared per example so the app code, not the 429, answers.

Three defects this suite found are pinned by the regression tests at the end
of the file.
"""

import io
import itertools
import json
import time
import unicodedata
from unittest import mock
from urllib.parse import quote_from_bytes, unquote_to_bytes

import pytest
from django.conf import settings as django_settings
from django.core import mail, signing
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.utils import timezone
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from letters.models import Letter
from signatories import tokens
from signatories.abuse import form_stamp
from signatories.models import Signatory
from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import sign_data, sign_url

pytestmark = pytest.mark.django_db

FUZZ = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
URLENCODED = "application/x-www-form-urlencoded"
COLUMNS = (
    "pk",
    "letter_id",
    "name",
    "affiliation",
    "email",
    "kind",
    "display",
    "status",
    "suspicion",
    "consents_to_updates",
    "confirmed_at",
    "withdrawn_at",
    "anonymised_at",
)
FIELDS = (
    "name",
    "affiliation",
    "email",
    "kind",
    "display",
    "consents_to_updates",
    "website",
    "rendered",
)
REQUIRED = {"name", "email", "kind", "display"}
# Fields the form validates; website, rendered and consents_to_updates take any
# text by design (a filled honeypot or a missing stamp is kept, held as suspect).
VALIDATED = {"name", "affiliation", "email", "kind", "display"}
PURPOSES = (tokens.CONFIRM, tokens.WITHDRAW, tokens.ERASE)
_unique = itertools.count()


# Helpers ---------------------------------------------------------------------------------


def table():
    return list(Signatory.objects.order_by("pk").values_list(*COLUMNS))


def fresh():
    """Each example starts with no abuse counters and an empty outbox."""
    cache.clear()
    if hasattr(mail, "outbox"):
        mail.outbox.clear()


def pct(text):
    """Percent-encode text as a browser would, lone surrogates included (as CESU bytes)."""
    return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")


def urlencode_pairs(pairs):
    return "&".join(f"{pct(key)}={pct(value)}" for key, value in pairs)


def valid_form(**overrides):
    """sign_data() with an address no earlier example used, so a valid post adds a row."""
    return sign_data(**{"email": f"fuzz{next(_unique)}@example.net", **overrides})


def assert_clean(row):
    """No control characters, surrogates or U+FFFD (undecodable input) are ever stored."""
    row = dict(zip(COLUMNS, row, strict=True))
    for column in ("name", "affiliation", "email"):
        categories = {unicodedata.category(ch) for ch in row[column]}
        assert not categories & {"Cc", "Cs"}, (column, row[column])
    for column in ("name", "affiliation", "email"):
        assert "\ufffd" not in row[column], (column, row[column])


def assert_sign_outcome(response, before, *, must_refuse=False):
    """A 302 may add one clean row and touch no other; anything else changes nothing."""
    status = response.status_code
    assert status < 500
    after = table()
    event(f"status {status}, rows {len(after) - len(before):+d}")
    if status == 302 and not must_refuse:
        assert set(before) <= set(after), "a sign request changed an existing row"
        added = [row for row in after if row not in set(before)]
        assert len(added) <= 1, added
        for row in added:
            assert_clean(row)
    else:
        assert 400 <= status < 500, status
        assert after == before, f"a refused request ({status}) changed the table"


def link_status(raw_token, purpose, method, *, expired=False):
    """What a link with this (invalid) token must answer."""
    if raw_token == b"" or b"/" in raw_token:
        return 404  # the path no longer matches <str:token>
    allowed = {"GET", "HEAD", "POST"}  # a GET only asks; the page's button POSTs
    if method not in allowed:
        return 405
    return 410 if expired else 400


def link_request(client, purpose, raw_token, method):
    """Send exactly these token bytes: the test client unquotes the path to PATH_INFO."""
    path = f"/s/{purpose}/{quote_from_bytes(raw_token, safe='')}/"
    return client.generic(method, path)


# Strategies ------------------------------------------------------------------------------

CONTROL = st.sampled_from(
    [
        *"\x00\x01\x07\x08\t\n\r\x0b\x0c\x1b\x7f\x85\x9f",
        *"\u200b\u200e\u200f\u202a\u202e\u2028\u2029\u2066\u2069\ufeff\ufffd\uffff",
        "\U000e0001",
        "\U0010ffff",
        "\ue000",
    ]
)
any_char = st.one_of(st.characters(codec="utf-8"), CONTROL, st.characters(max_codepoint=0x1F))
fuzz_text = st.text(any_char, max_size=40)
surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=4)


def _repeat_to(unit, size):
    return (unit * (size // len(unit) + 1))[:size]


huge_text = st.builds(
    _repeat_to,
    st.text(any_char, min_size=1, max_size=4),
    st.sampled_from([10_000, 10_001, 25_000, 65_537]),
)
real_names = st.sampled_from(
    ["Ada Lovelace", "Қанат Әбілов", "محمد عبد الله", "José Ñúñez", "Unite the Union", "Dr Ng"]
)
text_values = st.one_of(fuzz_text, real_names, huge_text)
email_values = st.one_of(
    st.emails(),
    st.builds("{}@{}".format, fuzz_text, fuzz_text),
    st.builds("fuzz{}@exa{}mple.net".format, st.integers(0, 10**9), fuzz_text),
    fuzz_text,
    huge_text,
    st.sampled_from(["ада@пример.рф", "a@İx.com", "a@BÜCHER.de", "a@b", "ſ@example.net"]),
)
choice_values = st.one_of(
    st.sampled_from(
        ["individual", "organisation", "full", "name", "hidden", "", "Full", " name", "none"]
    ),
    fuzz_text,
)
FIELD_VALUES = {
    "name": text_values,
    "affiliation": text_values,
    "email": email_values,
    "kind": choice_values,
    "display": choice_values,
    "consents_to_updates": st.one_of(
        st.sampled_from(["", "on", "true", "false", "False", "0", "1", "\x00"]), fuzz_text
    ),
    "website": st.one_of(st.just(""), fuzz_text),
    "rendered": st.one_of(
        st.builds(lambda age: form_stamp(time.time() - age), st.sampled_from([0, 1, 60, 1e9])),
        fuzz_text,
    ),
}


# The sign form ---------------------------------------------------------------------------


@settings(max_examples=150, **FUZZ)
@given(
    fuzzed=st.fixed_dictionaries({}, optional=FIELD_VALUES),
    extra=st.dictionaries(st.text(any_char, max_size=10), fuzz_text, max_size=3),
    urlencoded=st.booleans(),
)
def test_sign_any_text_in_any_field(client, letter, on_commit, fuzzed, extra, urlencoded):
    """Unicode, NUL and control characters, huge values: a 302 or a 4xx, never a 500."""
    fresh()
    data = {**extra, **valid_form(), **fuzzed}
    before = table()

    with on_commit():
        if urlencoded:
            body = urlencode_pairs(data.items())
            response = client.post(sign_url(letter), body, content_type=URLENCODED)
        else:
            response = client.post(sign_url(letter), data)  # multipart, as the test client does

    assert response.status_code in {302, 400, 413}  # 413: past PUBLIC_FORM_MAX_BYTES, unread
    assert_sign_outcome(response, before)
    if any("\x00" in str(data[field]) for field in VALIDATED):
        assert response.status_code in {400, 413}  # 413 when it is also too big to read


@settings(max_examples=100, **FUZZ)
@given(
    corrupt=st.sets(st.sampled_from([*FIELDS, "a key"]), min_size=1, max_size=3),
    data=st.data(),
)
def test_sign_lone_surrogates_in_a_raw_body(client, letter, on_commit, corrupt, data):
    """Lone surrogates, sent as the CESU-8 bytes a broken client sends, never reach a row."""
    fresh()
    with_surrogate = st.builds(
        lambda before, bad, after: before + bad + after,
        st.text(any_char, max_size=8),
        surrogates,
        st.text(any_char, max_size=8),
    )
    form = valid_form()
    pairs = []
    for field, value in form.items():
        if field == "email" and field in corrupt:
            bad = data.draw(surrogates, label="bad")
            local, _, domain = value.partition("@")
            value = data.draw(
                st.sampled_from(
                    [f"{local}{bad}@{domain}", f"{local}@exa{bad}mple.net", bad, value + bad]
                ),
                label="email",
            )
        elif field in corrupt:
            value = data.draw(with_surrogate, label=field)
        pairs.append((field, value))
    if "a key" in corrupt:
        pairs.append((data.draw(with_surrogate, label="key"), data.draw(fuzz_text, label="v")))
    body = urlencode_pairs(pairs)
    before = table()

    with on_commit():
        response = client.post(sign_url(letter), body, content_type=URLENCODED)

    must_refuse = bool(corrupt & VALIDATED)
    if must_refuse:
        assert response.status_code == 400
    assert response.status_code in {302, 400}
    assert_sign_outcome(response, before, must_refuse=must_refuse)


@pytest.fixture
def other_letters(db):
    return {
        status: LetterFactory(status=status)
        for status in (Letter.Status.CLOSED, Letter.Status.DELIVERED, Letter.Status.DRAFT)
    }


SHAPES = (
    "repeated keys",
    "missing fields",
    "empty body",
    "json",
    "multipart garbage",
    "file instead of text",
    "too many fields",
    "other content type",
    "other method",
    "other letter",
)


@settings(max_examples=80, **FUZZ)
@given(shape=st.sampled_from(SHAPES), data=st.data())
def test_sign_wrong_shapes(client, letter, other_letters, on_commit, shape, data):
    """Lists, missing fields, empty, JSON and multipart bodies, other methods and letters."""
    fresh()
    url, form, method = sign_url(letter), valid_form(), "POST"
    kwargs, refuse = {}, None  # refuse: the exact 4xx expected, if one is certain

    if shape == "repeated keys":
        lists = {
            field: data.draw(
                st.lists(st.one_of(st.just(value), FIELD_VALUES[field]), max_size=3), label=field
            )
            for field, value in form.items()
        }
        if any(not lists[field] for field in REQUIRED):
            refuse = 400
        if data.draw(st.booleans(), label="urlencoded"):
            body = urlencode_pairs((k, v) for k, values in lists.items() for v in values)
            kwargs = {"data": body, "content_type": URLENCODED}
        else:
            kwargs = {"data": lists}
    elif shape == "missing fields":
        missing = data.draw(st.sets(st.sampled_from(FIELDS), min_size=1), label="missing")
        kwargs = {"data": {k: v for k, v in form.items() if k not in missing}}
        refuse = 400 if missing & REQUIRED else None
    elif shape == "empty body":
        content_type = data.draw(st.sampled_from([URLENCODED, "multipart/form-data; boundary=x"]))
        kwargs, refuse = {"data": b"", "content_type": content_type}, 400
    elif shape == "json":
        kwargs = {"data": json.dumps(form), "content_type": "application/json"}
        refuse = 400
    elif shape == "multipart garbage":
        boundary = data.draw(st.sampled_from(["", "x", "----b", "\x00", "a" * 80]))
        garbage = data.draw(st.binary(max_size=300), label="body")
        if data.draw(st.booleans(), label="framed"):
            garbage = b"--x\r\n" + garbage + b"\r\n--x--\r\n"
        content_type = f"multipart/form-data; boundary={boundary}" if boundary else "multipart/"
        kwargs = {"data": garbage, "content_type": content_type}
        refuse = 400
    elif shape == "file instead of text":
        field = data.draw(st.sampled_from(sorted(REQUIRED)), label="field")
        content = data.draw(st.binary(max_size=100), label="content")
        kwargs = {"data": {**form, field: SimpleUploadedFile("x.txt", content)}}
        refuse = 400
    elif shape == "too many fields":
        count = data.draw(st.integers(1001, 1500), label="count")
        body = urlencode_pairs([*form.items(), *((f"f{i}", "x") for i in range(count))])
        kwargs, refuse = {"data": body, "content_type": URLENCODED}, 400
    elif shape == "other content type":
        # Non-text codecs (rot13, hex, ...) are refused in front of Django: see the end.
        content_type = data.draw(
            st.sampled_from(
                [
                    "text/plain",
                    "application/xml",
                    f"{URLENCODED}; charset=latin-1",
                    f"{URLENCODED}; charset=utf-16",
                    f"{URLENCODED}; charset=UTF-8",
                    f"{URLENCODED}; charset=bogus",
                    f"{URLENCODED}; charset=",
                    "multipart/form-data; boundary=x; charset=utf-16",
                    "multipart/form-data; boundary=x; charset=bogus",
                    "",
                ]
            ),
            label="content type",
        )
        body = urlencode_pairs(form.items()).encode()
        kwargs = {"data": body, "content_type": content_type}
    elif shape == "other method":
        method = data.draw(st.sampled_from(["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]))
        kwargs = {"data": urlencode_pairs(form.items()), "content_type": URLENCODED}
        refuse = None if method in {"GET", "HEAD"} else 405  # GET and HEAD go to the letter
    elif shape == "other letter":
        target = data.draw(
            st.sampled_from(["closed", "delivered", "draft", "unknown", "not a slug"]),
            label="target",
        )
        if target in other_letters:
            url = sign_url(other_letters[target])
        elif target == "unknown":
            url = "/letters/no-such-letter/sign/"
        else:
            slug = data.draw(st.text(any_char, min_size=1, max_size=20), label="slug")
            assume(not all(ch.isalnum() or ch in "-_" for ch in slug))
            url = f"/letters/{pct(slug)}/sign/"
        kwargs = {"data": form}
        refuse = 409 if target in {"closed", "delivered"} else 404

    request = _generic_kwargs(kwargs)
    if method == "POST" and len(request["data"]) > django_settings.PUBLIC_FORM_MAX_BYTES:
        refuse = 413  # refused unread, whatever else is wrong with it
    before = table()
    with on_commit():
        response = client.generic(method, url, **request)

    event(f"{shape}: {response.status_code}")
    if refuse is not None:
        assert response.status_code == refuse, (shape, response.status_code)
    if method == "POST" and url == sign_url(letter):
        assert_sign_outcome(response, before, must_refuse=refuse is not None)
    else:
        assert response.status_code < 500
        assert table() == before


def _generic_kwargs(kwargs):
    """client.generic() sends bytes as they are; a dict goes as the test client's multipart."""
    data = kwargs.get("data", b"")
    if isinstance(data, dict):
        boundary = "BoUnDaRyStRiNg"
        return {
            "data": encode_multipart(boundary, data),
            "content_type": f"multipart/form-data; boundary={boundary}",
        }
    if isinstance(data, str):
        data = data.encode()
    return {"data": data, "content_type": kwargs.get("content_type", "")}


@settings(max_examples=30, **FUZZ)
@given(
    field=st.sampled_from([*FIELDS, "an extra key"]),
    unit=st.sampled_from(["a", "é", "\x00", "\ud800", "Қ", " ", "&=", "\U0001f600", ".", "\ufffd"]),
    size=st.sampled_from([10_000, 10_001, 100_000, 1_000_000, 2_700_000]),
)
def test_sign_huge_fields(client, letter, on_commit, field, unit, size):
    """10,000 characters to several megabytes in one field: refused or held, never a 500."""
    fresh()
    form = valid_form()
    huge = pct(unit) * size  # percent-encode once, then repeat: quoting megabytes is slow
    pairs = [(k, v) for k, v in form.items() if k != field]
    body = urlencode_pairs(pairs) + f"&{pct(field) if field in FIELDS else 'extra'}={huge}"
    before = table()

    with on_commit():
        response = client.post(sign_url(letter), body, content_type=URLENCODED)

    too_big = len(body.encode()) > django_settings.PUBLIC_FORM_MAX_BYTES
    # Spaces collapse to nothing, and an empty affiliation is allowed.
    blank_optional = unit.isspace() and field == "affiliation"
    must_refuse = too_big or (field in VALIDATED and not blank_optional)
    if must_refuse:
        assert response.status_code == (413 if too_big else 400)
    assert_sign_outcome(response, before, must_refuse=must_refuse)


# Links: confirm, withdraw, erase -----------------------------------------------------------

MANGLES = (
    "truncate",
    "extend",
    "prepend",
    "flip",
    "insert",
    "drop",
    "swap case",
    "wrong purpose",
    "signed wrong payload",
    "erased signatory",
    "expired",
)


@settings(max_examples=120, **FUZZ)
@given(
    purpose=st.sampled_from(PURPOSES),
    method=st.sampled_from(["GET", "GET", "POST", "POST", "HEAD", "PUT"]),
    mangle=st.sampled_from(MANGLES),
    data=st.data(),
)
def test_mangled_links_change_nothing(client, letter, purpose, method, mangle, data):
    """Truncated, extended, flipped, wrong-purpose, forged-payload and expired links."""
    fresh()
    signatory = SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
    valid = {p: tokens.make_token(signatory, p).encode() for p in PURPOSES}
    token, expired = valid[purpose], False
    garbage = st.one_of(st.binary(min_size=1, max_size=40), st.just(b"A" * 10_000))
    position = st.integers(0, 1000)  # taken modulo the length, which varies with the pk

    if mangle == "truncate":
        token = token[: data.draw(position, label="keep") % len(token)]
    elif mangle == "extend":
        token += data.draw(garbage, label="suffix")
    elif mangle == "prepend":
        token = data.draw(garbage, label="prefix") + token
    elif mangle in {"flip", "insert", "drop"}:
        i = data.draw(position, label="at") % len(token)
        if mangle == "flip":
            new = data.draw(st.integers(0, 255).filter(lambda b: b != token[i]), label="byte")
            token = token[:i] + bytes([new]) + token[i + 1 :]
        elif mangle == "insert":
            token = token[:i] + data.draw(garbage, label="insert") + token[i:]
        else:
            token = token[:i] + token[i + 1 :]
    elif mangle == "swap case":
        token = token.swapcase()
    elif mangle == "wrong purpose":
        other = data.draw(st.sampled_from([p for p in PURPOSES if p != purpose]), label="from")
        token = valid[other]
    elif mangle == "signed wrong payload":
        # Signed with the right key and salt: only the payload is wrong.
        fingerprint = tokens.SIGNATURE_LINKS._fingerprint(signatory.email)
        neighbour = SignatoryFactory(letter=letter)
        payload = data.draw(
            st.sampled_from(
                [
                    f"{signatory.pk}.{'0' * 16}",
                    f"{signatory.pk}.",
                    f"{signatory.pk}",
                    f"{signatory.pk}0.{fingerprint}",
                    f"{neighbour.pk}.{fingerprint}",
                    f"-{signatory.pk}.{fingerprint}",
                    f" {signatory.pk}.{fingerprint}",
                    f".{fingerprint}",
                    f"abc.{fingerprint}",
                    "",
                ]
            ),
            label="payload",
        )
        token = signing.TimestampSigner(salt=f"signatories.{purpose}").sign(payload).encode()
    elif mangle == "erased signatory":
        gone = SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
        token = tokens.make_token(gone, purpose).encode()
        gone.delete()
    elif mangle == "expired":
        days = django_settings.CONFIRMATION_MAX_AGE_DAYS
        if purpose != tokens.CONFIRM:
            days = django_settings.WITHDRAWAL_MAX_AGE_DAYS
        then = time.time() - (days + 1) * 86400
        with mock.patch("django.core.signing.time.time", return_value=then):
            token = tokens.make_token(signatory, purpose).encode()
        expired = True
    assume(token != valid[purpose])
    before = table()

    response = link_request(client, purpose, token, method)

    event(f"{mangle}: {response.status_code}")
    assert response.status_code == link_status(token, purpose, method, expired=expired)
    assert table() == before


PERCENT_GARBAGE = [
    "%",
    "%2",
    "%2F",
    "%2f",
    "%ZZ",
    "%FF",
    "%00",
    "%ED%A0%80",
    "%C0%AF",
    "%25",
    "..",
    ".",
    ":",
    "/",
    "A",
    "1",
    "~",
    "%3F",
    "%23",
    "%E2%80%AE",
]
random_tokens = st.one_of(
    st.text(st.one_of(any_char, st.sampled_from("/%?#.:-_=+ ")), max_size=60).map(
        lambda s: s.encode()
    ),
    st.binary(max_size=60),
    st.lists(
        st.sampled_from(PERCENT_GARBAGE),
        max_size=12,
    ).map(lambda parts: unquote_to_bytes("".join(parts))),  # percent garbage, as received
)


@settings(max_examples=80, **FUZZ)
@given(
    purpose=st.sampled_from(PURPOSES),
    method=st.sampled_from(["GET", "POST", "HEAD", "DELETE"]),
    token=random_tokens,
    replay=st.booleans(),
)
def test_random_links_change_nothing(client, letter, purpose, method, token, replay):
    """Random strings, bytes, "/" and percent-encoded garbage: 400 (404 with a "/")."""
    fresh()
    SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
    before = table()

    for _ in range(2 if replay else 1):
        response = link_request(client, purpose, token, method)
        event(f"status {response.status_code}")
        assert response.status_code == link_status(token, purpose, method)
        assert table() == before


def test_a_literal_percent_path_reaches_the_view_as_text(client, letter):
    """A check on link_request's transport: what is quoted is what the view reads."""
    response = link_request(client, tokens.CONFIRM, "%2F%ZZ\x00é".encode(), "GET")
    assert response.status_code == 400
    assert link_request(client, tokens.CONFIRM, b"a/b", "GET").status_code == 404
    assert client.get("/s/confirm/a%2Fb/").status_code == 404


ACTIONS = (
    (tokens.CONFIRM, "GET"),
    (tokens.CONFIRM, "HEAD"),
    (tokens.CONFIRM, "POST"),
    (tokens.WITHDRAW, "GET"),
    (tokens.WITHDRAW, "HEAD"),
    (tokens.WITHDRAW, "POST"),
    (tokens.ERASE, "GET"),
    (tokens.ERASE, "HEAD"),
    (tokens.ERASE, "POST"),
)


rarely = st.sampled_from([False, False, False, True])  # mostly a fresh signature, to act on


@settings(max_examples=60, **FUZZ)
@given(
    confirmed=rarely,
    withdrawn=rarely,
    letter_open=st.sampled_from([True, True, True, False]),
    anonymised=rarely,
    confirm_expired=rarely,
    first=st.sampled_from(ACTIONS),
    rest=st.lists(st.sampled_from(ACTIONS), max_size=4),
)
def test_replayed_links_change_nothing_the_second_time(
    client, confirmed, withdrawn, letter_open, anonymised, confirm_expired, first, rest
):
    """A valid link used twice in a row, then links in any order: only a first use changes."""
    fresh()
    letter = LetterFactory(status=Letter.Status.OPEN if letter_open else Letter.Status.CLOSED)
    now = timezone.now()
    signatory = SignatoryFactory(
        letter=letter,
        confirmed_at=now if confirmed else None,
        withdrawn_at=now if withdrawn else None,
        status="approved" if confirmed else "pending",
    )
    SignatoryFactory(letter=letter)  # a neighbour that no link may touch
    made = {p: tokens.make_token(signatory, p) for p in PURPOSES}
    if confirm_expired:
        then = time.time() - (django_settings.CONFIRMATION_MAX_AGE_DAYS + 1) * 86400
        with mock.patch("django.core.signing.time.time", return_value=then):
            made[tokens.CONFIRM] = tokens.make_token(signatory, tokens.CONFIRM)
    if anonymised:
        Signatory.objects.filter(pk=signatory.pk).update(email="", email_hash="", anonymised_at=now)
    exists = True

    for purpose, method in [first, first, *rest]:
        before = table()
        response = client.generic(method, f"/s/{purpose}/{made[purpose]}/")
        after = table()
        others_before = [row for row in before if row[0] != signatory.pk]
        assert [row for row in after if row[0] != signatory.pk] == others_before
        mine = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in after}.get(signatory.pk)

        changes = False
        if purpose == tokens.CONFIRM and confirm_expired:
            expected = 410
        elif not exists or anonymised:
            expected = 400
        elif purpose == tokens.CONFIRM:
            if confirmed or withdrawn or not letter_open:
                expected = 409
            elif method == "POST":  # the button; fetching the link only asks
                expected, changes, confirmed = 200, True, True
            else:
                expected = 200
        elif purpose == tokens.WITHDRAW:
            expected = 409 if withdrawn else 200
            if method == "POST" and not withdrawn:
                changes, withdrawn = True, True
        else:
            expected = 200
            if method == "POST":
                changes, exists = True, False

        event(f"{purpose} {method}: {response.status_code}{' changed' if changes else ''}")
        assert response.status_code == expected, (purpose, method, response.status_code)
        if not changes:
            assert after == before, (purpose, method)
        elif purpose == tokens.CONFIRM:
            assert mine["confirmed_at"] is not None
        elif purpose == tokens.WITHDRAW:
            assert mine["withdrawn_at"] is not None
        else:
            assert mine is None


# Defects found by this suite, fixed -------------------------------------------------------


def test_an_address_with_undecodable_bytes_is_refused(client, letter, on_commit):
    """Undecodable bytes in a domain became U+FFFD and were stored; no mail could reach it."""
    body = urlencode_pairs(valid_form(email="ada@exa\ud800mple.net").items())
    before = table()
    with on_commit():
        response = client.post(sign_url(letter), body, content_type=URLENCODED)
    assert response.status_code == 400
    assert table() == before


@pytest.mark.parametrize("name", ["Dr .", "- MP", "." * 60 + "x"])
def test_a_name_that_sorts_nowhere_is_signed_with_a_sort_key(client, letter, on_commit, name):
    """A title or post-nominal with only punctuation left gave an empty sort key: a 500."""
    with on_commit():
        response = client.post(sign_url(letter), valid_form(name=name))
    assert response.status_code == 302
    assert Signatory.objects.get().sort_key


def wsgi_status(environ_overrides):
    """Through the WSGI application gunicorn runs, guard included, not the test client."""
    from wsgiref.util import setup_testing_defaults

    from config.wsgi import application

    environ = {}
    setup_testing_defaults(environ)
    environ.update({"HTTP_HOST": "testserver", **environ_overrides})
    statuses = []
    body = application(environ, lambda status, headers: statuses.append(status))
    b"".join(body)
    return int(statuses[0].split()[0])


@pytest.mark.parametrize("charset", ["rot13", "hex", "zlib", "base64", "uu"])
@pytest.mark.parametrize("where", ["multipart sign", "link with a query string"])
def test_a_non_text_charset_is_a_400(letter, where, charset):
    """Django 6.1 takes any codec name as a charset and fails with a 500 building the request."""
    signatory = SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
    before = table()
    if where == "multipart sign":
        body = b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nAda\r\n--x--\r\n'
        status = wsgi_status(
            {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": sign_url(letter),
                "CONTENT_TYPE": f"multipart/form-data; boundary=x; charset={charset}",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
            }
        )
    else:
        token = tokens.make_token(signatory, tokens.WITHDRAW)
        status = wsgi_status(
            {
                "PATH_INFO": f"/s/withdraw/{token}/",
                "QUERY_STRING": "a=1",
                "CONTENT_TYPE": f"text/plain; charset={charset}",
            }
        )
    assert status == 400
    assert table() == before
