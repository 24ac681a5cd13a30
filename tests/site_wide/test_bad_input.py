"""Bad input gets a clear message and a 4xx: never a 500, a lost or a doubled signature."""

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signatories.models import Signatory
from tests.factories import LetterFactory
from tests.helpers import sign_data, sign_url

pytestmark = pytest.mark.django_db

KAZAKH = "Қ Ө Ү Ұ Ғ Ң І Ә"


def post(client, letter, on_commit, **fields):
    with on_commit():
        return client.post(sign_url(letter), sign_data(**fields))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Ada\x00Lovelace"}, "invisible control characters"),
        ({"affiliation": "Unite\x00"}, "invisible control characters"),
        ({"email": "ada\x00@example.net"}, "Enter a valid email address."),
        ({"name": "A" * 10_000}, "at most 200 characters"),
        ({"affiliation": "B" * 10_000}, "at most 300 characters"),
        ({"email": "a" * 10_000 + "@example.net"}, "at most 254 characters"),
        ({"name": ""}, "This field is required."),
        ({"name": "   \t  "}, "This field is required."),
        ({"name": "\u202e\u202d"}, "This field is required."),
        ({"name": "Ada\x07Lovelace"}, "invisible control characters"),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"email": "ada@"}, "Enter a valid email address."),
        ({"email": "ada@example.net\nBcc: victim@example.org"}, "Enter a valid email address."),
        ({"email": ""}, "This field is required."),
        ({"kind": "robot"}, "Select a valid choice."),
    ],
)
def test_bad_fields_are_refused_with_a_message(
    client, letter, on_commit, mailoutbox, fields, message
):
    response = post(client, letter, on_commit, **fields)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Signatory.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    "name",
    [
        "Қанат Әбілов",
        f"Ұлжан {KAZAKH}",
        "Жанат Мырынбаев",
        "محمد عبد الله",  # right-to-left
        "שרה כהן",
        "José Ñúñez",
        "Zoë O'Brien-Smith",
        "<script>alert(1)</script>",
        '=HYPERLINK("http://example.com")',
    ],
)
def test_real_names_in_any_script_are_accepted_and_shown_escaped(
    client, on_commit, mailoutbox, name
):
    letter = LetterFactory(moderation="post")
    response = post(client, letter, on_commit, name=name, affiliation="Ғылым & <b>Bold</b>")
    assert response.status_code == 302
    signatory = Signatory.objects.get()
    assert signatory.name == name

    Signatory.objects.update(confirmed_at="2026-01-01T00:00Z")
    html = client.get(letter.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "<b>Bold</b>" not in html
    assert "Ғылым &amp; &lt;b&gt;Bold&lt;/b&gt;" in html


def test_bidi_overrides_are_removed_from_names(client, on_commit, mailoutbox):
    letter = LetterFactory()
    post(client, letter, on_commit, name="Ada \u202eecalevoL\u202c")
    assert Signatory.objects.get().name == "Ada ecalevoL"


def test_a_missing_csrf_token_is_a_clear_403(db):
    letter = LetterFactory()
    client = Client(enforce_csrf_checks=True)

    response = client.post(sign_url(letter), sign_data())

    assert response.status_code == 403
    assert "Your form expired" in response.content.decode()
    assert not Signatory.objects.exists()


def test_double_submit_leaves_one_signature(client, letter, on_commit, mailoutbox):
    first = post(client, letter, on_commit)
    second = post(client, letter, on_commit)
    assert first.status_code == second.status_code == 302
    assert Signatory.objects.count() == 1


def test_wrong_methods_are_405(client, letter):
    assert client.put(sign_url(letter)).status_code == 405
    assert client.post(letter.get_absolute_url()).status_code == 405


field_values = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=190, max_size=400),
    st.sampled_from(
        [
            *["", " ", ",", "Dr ,", "\x00", "\u202e", "\u200b", "\ufffd"],
            *["ада@пример.рф", "a@İx.com", "a@BÜCHER.de", "a@b", "x" * 10_000],
        ]
    ),
    st.emails(),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=field_values,
    affiliation=field_values,
    email=field_values,
    kind=st.sampled_from(["individual", "organisation", "", "x", "\x00"]),
    display=st.sampled_from(["full", "name", "hidden", "", "x"]),
    extra=st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
)
def test_the_sign_form_never_fails_whatever_it_is_sent(
    client,
    letter,
    django_capture_on_commit_callbacks,
    name,
    affiliation,
    email,
    kind,
    display,
    extra,
):
    cache.clear()  # one example's rate counters are not the next one's
    before = Signatory.objects.count()
    data = {
        **extra,
        **sign_data(name=name, affiliation=affiliation, email=email, kind=kind),
        "display": display,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(sign_url(letter), data)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(sign_url(letter), data)  # a double submit

    assert response.status_code in {302, 400}
    # A form taken is spent: sent again, it is refused and signs nothing a second time.
    assert again.status_code == (409 if response.status_code == 302 else 400)
    after = Signatory.objects.count()
    if response.status_code == 400:
        assert after == before
    else:
        assert after - before in {0, 1}
        assert Signatory.objects.with_email(email).filter(letter=letter).count() == 1


@pytest.mark.parametrize("name", [",", "...", "\u200b\u2060", "\ufffd\ufffd", "-- --"])
def test_names_without_letters_are_a_400_not_a_500(client, letter, name):
    response = client.post(sign_url(letter), sign_data(name=name))
    assert response.status_code == 400
    assert not Signatory.objects.exists()


def test_right_to_left_marks_are_dropped_not_refused(client, letter, on_commit):
    with on_commit():
        response = client.post(sign_url(letter), sign_data(name="\u200fمحمد\u200e عبد الله"))
    assert response.status_code == 302
    assert Signatory.objects.get().name == "محمد عبد الله"


def test_undecodable_bytes_in_a_post_are_refused(client, letter):
    body = b"name=%FF%FEAda&email=ada%40example.net&kind=individual"
    response = client.post(sign_url(letter), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert not Signatory.objects.exists()


@pytest.mark.parametrize(
    "spellings",
    [
        ["ivan@Почта.рф", "IVAN@почта.РФ", "ivan@xn--80a1acny.xn--p1ai"],
        ["a@BÜCHER.de", "a@bücher.de"],
        ["a@İx.com", "A@İX.COM"],
    ],
)
def test_one_signer_however_the_address_is_spelled(client, letter, on_commit, spellings):
    for email in spellings:
        with on_commit():
            response = client.post(sign_url(letter), sign_data(email=email))
        assert response.status_code == 302
    assert Signatory.objects.count() == 1
