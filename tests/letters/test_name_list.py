"""Pages of names by position (keyset): every name once, in delivery order, from either end."""

import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from letters.name_list import NameList, Position
from signatories.models import Signatory
from tests.factories import LetterFactory, SignatoryFactory

pytestmark = pytest.mark.django_db


def expected(letter):
    return list(Signatory.objects.filter(letter=letter).for_delivery().values_list("pk", flat=True))


def walk_forward(names):
    page = names.page()
    seen = [row.pk for row in page]
    while page.next is not None:
        page = names.page(after=page.next)
        seen += [row.pk for row in page]
    return seen


def walk_backward(names):
    page = names.page(last=True)
    seen = [row.pk for row in page]
    while page.previous is not None:
        page = names.page(before=page.previous)
        seen = [row.pk for row in page] + seen
    return seen


def a_list(letter, surnames, *, organisations=2):
    """Names with namesakes (the same sort key), organisations, and rows that are not listed."""
    for n in range(organisations):
        SignatoryFactory(letter=letter, kind="organisation", name=f"Union {n % 2}")
    for n, surname in enumerate(surnames):
        SignatoryFactory(letter=letter, name=f"Jo {surname}")
        if n % 3 == 0:  # not listed: the walk must pass over them
            SignatoryFactory(letter=letter, name=f"Jo {surname}", display="hidden")
            SignatoryFactory(letter=letter, name=f"Jo {surname}", confirmed_at=None)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    surnames=st.lists(st.sampled_from(["Abai", "Smith", "Қанатов", "Øberg", "Zed"]), max_size=14),
    organisations=st.integers(0, 4),
    per_page=st.integers(1, 5),
)
def test_every_name_once_in_order_walking_either_way(surnames, organisations, per_page):

    from letters import name_list

    for few in (0, name_list.FEW_NAMESAKES):  # namesakes read apart, or passed over in one read
        walk_both_ways(surnames, organisations, per_page, few)


def walk_both_ways(surnames, organisations, per_page, few):

    from letters import name_list

    saved, name_list.FEW_NAMESAKES = name_list.FEW_NAMESAKES, few
    try:
        _walk(surnames, organisations, per_page)
    finally:
        name_list.FEW_NAMESAKES = saved


def _walk(surnames, organisations, per_page):
    from django.db import transaction

    with transaction.atomic():
        letter = LetterFactory()
        a_list(letter, surnames, organisations=organisations)
        names = NameList(letter, per_page=per_page)
        assert walk_forward(names) == expected(letter)
        assert walk_backward(names) == expected(letter)
        turn_back_at_every_page(names)
        transaction.set_rollback(True)


def pks(page):
    return [row.pk for row in page]


def turn_back_at_every_page(names):
    """From any page, the other way's link leads to the page it was reached from: the
    links a page read forwards writes (ranks from a name's first) and those of a page
    read backwards (from its last) read back to the same rows."""
    page = names.page()
    while page.next is not None:
        later = names.page(after=page.next)
        assert pks(names.page(before=later.previous)) == pks(page)
        page = later
    page = names.page(last=True)
    while page.previous is not None:
        earlier = names.page(before=page.previous)
        assert pks(names.page(after=earlier.next)) == pks(page)
        page = earlier


def test_the_first_and_last_pages_say_so(letter):
    a_list(letter, ["Abai", "Smith", "Zed"], organisations=1)
    names = NameList(letter, per_page=2)
    first, last = names.page(), names.page(last=True)
    assert (first.is_first, first.is_last, first.previous) == (True, False, None)
    assert (last.is_first, last.is_last, last.next) == (False, True, None)
    assert [r.name for r in last] == ["Jo Smith", "Jo Zed"]


def test_a_typed_surname_opens_the_page_of_people_from_there(letter):
    a_list(letter, ["Abai", "Bowring", "Smith", "Smythe", "Zed"], organisations=3)
    page = NameList(letter, per_page=2).page(typed="smi")
    assert [r.name for r in page] == ["Jo Smith", "Jo Smythe"]
    assert page.has_previous and page.has_next and page.typed == "smi"
    assert [r.name for r in NameList(letter, per_page=2).page(typed="Zz")] == []


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "x.1.Smith",
        "i.--1.Smith",
        "i.-0.Smith",
        "i.one.Smith",
        "i.1.",
        "i.1.---",
        "i.999999999.Smith",
        "i.-999999999.Smith",
    ],
)
def test_a_position_that_is_not_one_reads_as_none(text):
    assert Position.decode(text) is None


def test_a_position_round_trips_and_holds_no_id(letter):
    a_list(letter, ["Smith", "Smith", "Smith"], organisations=0)
    names = NameList(letter, per_page=1)
    second = names.page(after=names.page().next)
    assert second.next == Position("individual", "Smith, Jo", 2)
    assert Position.decode(second.next.encode()) == second.next
    assert second.next.encode() == "i.2.Smith, Jo"


def test_links_walk_the_page_and_keep_the_version(client, letter, settings):
    settings.SIGNATORIES_PER_PAGE = 2
    a_list(letter, ["Abai", "Bowring", "Smith"], organisations=1)
    html = client.get(letter.get_absolute_url(), {"version": "en"}).content.decode()
    assert "version=en&amp;after=i.1.Abai%2C+Jo#names" in html
    assert "version=en&amp;last=1#names" in html
    deeper = client.get(letter.get_absolute_url(), {"after": "i.1.Abai, Jo"})
    assert [r.name for r in deeper.context["page"]] == ["Jo Bowring", "Jo Smith"]
    assert "before=i.1.Bowring%2C+Jo#names" in deeper.content.decode()


@pytest.mark.parametrize("params", [{"after": "nonsense"}, {"before": "i.x.y"}, {"last": "yes"}])
def test_nonsense_in_the_address_shows_the_first_page(client, letter, params):
    SignatoryFactory(letter=letter, name="Sam Able")
    response = client.get(letter.get_absolute_url(), params)
    assert response.status_code == 200
    assert [r.name for r in response.context["page"]] == ["Sam Able"]


def test_a_deep_page_costs_the_queries_of_the_first(letter, settings):
    """A few index reads, whatever the depth: no OFFSET, no COUNT of the list."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SIGNATORIES_PER_PAGE = 3
    a_list(letter, [f"Name{n:03d}" for n in range(60)], organisations=0)
    client = Client()
    with CaptureQueriesContext(connection) as first:
        client.get(letter.get_absolute_url())
    last = client.get(letter.get_absolute_url(), {"last": "1"}).context["page"]
    with CaptureQueriesContext(connection) as deep:
        client.get(letter.get_absolute_url(), {"before": last.previous.encode()})
    assert len(deep.captured_queries) <= len(first.captured_queries) + 4
    sql = " ".join(q["sql"] for q in first.captured_queries + deep.captured_queries)
    # An OFFSET only ever skips a name's namesakes (its rank), never the pages before.
    assert all(int(n) <= 1 for n in re.findall(r"OFFSET (\d+)", sql))


def test_the_pdf_reads_every_listed_name_in_delivery_order_batch_by_batch(letter):
    from letters.name_list import listed_in_delivery_order

    a_list(letter, ["Smith", "Abai", "Smith", "Қанатов", "Zed", "Smith"], organisations=3)
    read = [pk for pk, *_ in listed_in_delivery_order(letter, batch_size=2)]
    assert read == expected(letter)


def test_the_list_follows_a_change_of_moderation_and_compiles_each_read_once(letter):
    """The SQL of each read is kept per process (letters/name_list.py `_compiled`): keyed by
    the letter's moderation too, so a letter turned to post-moderation lists its waiting
    names at once; a second reader of a page builds no SQL."""
    from letters import name_list

    SignatoryFactory(letter=letter, name="Ann Approved")
    SignatoryFactory(letter=letter, name="Wendy Waiting", status=Signatory.Status.PENDING)
    assert [r.name for r in NameList(letter).page()] == ["Ann Approved"]

    letter.moderation = letter.Moderation.POST
    assert [r.name for r in NameList(letter).page()] == ["Ann Approved", "Wendy Waiting"]
    assert [r.name for r in NameList(letter).page(last=True)] == ["Ann Approved", "Wendy Waiting"]

    built = name_list._compiled.cache_info().misses
    for page in (NameList(letter).page(), NameList(letter).page(typed="Waiting")):
        assert [r.name for r in page]
    assert name_list._compiled.cache_info().misses == built + 1  # only the typed name's read


def test_a_read_compiled_for_one_letter_never_lists_another(letter):
    other = LetterFactory()
    SignatoryFactory(letter=letter, name="Here Mine")
    SignatoryFactory(letter=other, name="There Theirs")
    assert [r.name for r in NameList(letter).page(typed="Mine")] == ["Here Mine"]
    assert [r.name for r in NameList(other).page(typed="Mine")] == ["There Theirs"]
    assert [r.name for r in NameList(other).page(typed="U")] == []
    assert [r.name for r in NameList(other).page()] == ["There Theirs"]


def test_a_page_read_backwards_counts_from_the_last_namesake_and_counts_nothing(
    letter, django_assert_num_queries
):
    """At six million names every name had some 2,000 namesakes: a page read from the end
    that began among them COUNTed them for its link back (13 ms). From the end, it knows."""
    a_list(letter, ["Smith"] * 7, organisations=0)
    names = NameList(letter, per_page=3)
    with django_assert_num_queries(1):
        last = names.page(last=True)
    assert last.previous == Position("individual", "Smith, Jo", -3)
    assert last.previous.encode() == "i.-3.Smith, Jo"
    assert Position.decode("i.-3.Smith, Jo") == last.previous
    with django_assert_num_queries(1):
        before = names.page(before=last.previous)
    assert before.previous == Position("individual", "Smith, Jo", -6)
    assert before.next == Position("individual", "Smith, Jo", -4)
    assert pks(before) + pks(last) == expected(letter)[1:]
