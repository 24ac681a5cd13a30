import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign import demo
from signatories.models import Signatory
from signatories.names import KEY_LENGTH, clean_text, derive_sort_name, sort_key
from signatories.services.signing import signatory_sign
from tests.factories import LetterFactory, SignatoryFactory


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Professor Bill Bowring", "Bowring, Bill"),
        ("David Anderson MP", "Anderson, David"),
        ("Dr Maria la Falce", "la Falce, Maria"),
        ("Sir Keir Starmer KC", "Starmer, Keir"),
        ("Cllr. Jane Smith OBE", "Smith, Jane"),
        ("Ludwig van Beethoven", "van Beethoven, Ludwig"),
        ("Jack Ma", "Ma, Jack"),
        ("Madonna", "Madonna"),
        ("Dr", "Dr"),
        ("Иван Петров", "Петров, Иван"),
        ("Жанат Мырынбаев", "Мырынбаев, Жанат"),
        ("  Owen   Jones  ", "Jones, Owen"),
    ],
)
def test_derive_sort_name(name, expected):
    assert derive_sort_name(name) == expected


def test_organisations_sort_as_written():
    name = "Rail Maritime Transport union/Oil Industry Liason Committee, Offshore Energy Branch"
    assert derive_sort_name(name, is_organisation=True) == name


def test_key_ignores_case_and_accents():
    assert sort_key("Émile, Zola") == sort_key("emile, zola")
    assert sort_key("MÜLLER, Jörg") == sort_key("muller, jorg")


def test_particle_surname_sorts_between_jones_and_lavery():
    keys = [
        sort_key(derive_sort_name(n)) for n in ("Owen Jones", "Dr Maria la Falce", "Ian Lavery MP")
    ]
    assert keys == sorted(keys)


def test_cyrillic_and_kazakh_follow_the_kazakh_alphabet():
    # А Ә Б ... Қ ... Ө ... Ұ Ү ... Я: Kazakh letters sit beside their neighbours,
    # not after Я as raw code points would put them.
    names = ["Алма", "Әсем", "Бота", "Қанат", "Лаура", "Өмір", "Пётр", "Ұлан", "Үміт", "Яна"]
    shuffled = random.sample(names, len(names))
    assert sorted(shuffled, key=sort_key) == names


def test_latin_before_cyrillic_and_case_insensitive_in_cyrillic():
    assert sorted(["Петров", "Smith", "абаев"], key=sort_key) == ["Smith", "абаев", "Петров"]


@given(st.text())
def test_sort_key_is_digits_for_any_text(text):
    key = sort_key(text)
    assert key.isdigit() or key == ""
    assert len(key) % 5 == 0 and len(key) <= KEY_LENGTH


@given(st.text())
def test_clean_text_is_idempotent(text):
    assert clean_text(clean_text(text)) == clean_text(text)


@pytest.mark.django_db
def test_seed_individuals_in_shuffled_order_come_out_in_seed_order():
    letter = LetterFactory()
    individuals = random.Random(2013).sample(demo.INDIVIDUALS, len(demo.INDIVIDUALS))
    for name, affiliation in individuals:
        SignatoryFactory(letter=letter, name=name, affiliation=affiliation)
    organisation, _ = demo.ORGANISATIONS[0]
    SignatoryFactory(letter=letter, name=organisation, kind=Signatory.Kind.ORGANISATION)

    delivered = list(letter.signatories.for_delivery().values_list("name", flat=True))

    assert delivered == [organisation] + [name for name, _ in demo.INDIVIDUALS]


@pytest.mark.django_db
def test_a_title_and_a_comma_is_a_name_that_sorts(letter, on_commit):
    with on_commit():
        signatory = signatory_sign(letter=letter, name="Dr ,", email="dr@example.net").signatory
    assert signatory.sort_name == "Dr ," and signatory.sort_key


def test_other_scripts_sort_in_code_point_order_without_collisions():
    assert sort_key("中") != sort_key("煕")
    assert sorted(["王", "李", "张"], key=sort_key) == sorted(["王", "李", "张"])


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("MARY O'BRIEN", "Mary O'Brien"),
        ("GALYM AGELEUOV", "Galym Ageleuov"),
        ("DR MARIA LA FALCE", "Dr Maria la Falce"),
        ("IAN LAVERY MP", "Ian Lavery MP"),
        ("JOHN MCDONNELL", "John McDonnell"),
        ("JEAN-PAUL SARTRE", "Jean-Paul Sartre"),
        ("BILL BOWRING PHD", "Bill Bowring PhD"),
        ("D’ARCY SMITH", "D’Arcy Smith"),
        ("ЖАНАТ МЫРЫНБАЕВ", "Жанат Мырынбаев"),
        ("ҰЛЖАН СЕЙІТҚАЛИ", "Ұлжан Сейітқали"),
        ("ӘСЕЛ ҒАББАС", "Әсел Ғаббас"),
        ("Mary O'Brien", "Mary O'Brien"),  # not in capitals: as typed
        ("ian Lavery", "ian Lavery"),
        ("X", "X"),  # one letter is not "in capitals"
    ],
)
def test_names_in_block_capitals_are_stored_in_name_case(typed, stored):
    from signatories.names import name_case

    assert name_case(typed) == stored
