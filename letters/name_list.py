"""The published names, a page at a time, as cheap at the end of six million as at the start.

Pages are found by where they start, not by their number (keyset
pagination): a page is "the 100 names after this one" in delivery order
(organisations, then individuals, each by sort key, then by id), read off
`signatory_delivery_order_idx` from that point. An OFFSET would make page
60,000 walk six million index entries; this walks a hundred, whatever the
depth. The last page is the first page read backwards.

A position in the list is written into links as the sort name of a row and
its rank among the rows that sort the same (namesakes), never as a row id:
ids are given out in signing order, and a name's place in that order says
when its owner signed. `?after=` a position gives the names after it,
`?before=` the names before it, `?last=1` the last page, and `?from=` a
surname someone typed gives the page of individuals that starts there.
"""

import functools
from collections import namedtuple
from dataclasses import dataclass, field
from html import escape

from django.conf import settings
from django.db import connections, router
from django.db.models import Q
from django.utils.safestring import mark_safe

from signatories.models import Signatory
from signatories.names import clean_text, sort_key

ORGANISATION, INDIVIDUAL = Signatory.Kind.ORGANISATION, Signatory.Kind.INDIVIDUAL
KINDS = (ORGANISATION, INDIVIDUAL)  # delivery order: organisations first
CODES = {ORGANISATION: "o", INDIVIDUAL: "i"}
MAX_RANK = 100_000  # more namesakes than any list holds: a hand-made link, ignored
# Up to this rank a page after a position is one read that passes over the namesakes
# before it; past it (a name shared by very many), a read of the namesakes by id first.
FEW_NAMESAKES = 50
MAX_NAME = 200
COLUMNS = ("pk", "kind", "name", "affiliation", "display", "sort_name", "sort_key")
Row = namedtuple("Row", COLUMNS)


@dataclass(frozen=True)
class Position:
    """A place in the list: a row of this kind and sort key, by its rank among the rows
    that sort the same (its namesakes), in id order.

    Counted as Python counts a list's items: 1 is the first namesake, -1 the
    last. A page read forwards knows how far its rows are from the first of
    their name, a page read backwards how far from the last, so neither has
    to count namesakes it has not read. Rank 0 is the place just before every
    row of that key (where a typed surname starts).
    """

    kind: str
    name: str
    rank: int

    @property
    def key(self):
        return sort_key(self.name)

    def encode(self):
        return f"{CODES[self.kind]}.{self.rank}.{self.name}"

    @classmethod
    def decode(cls, text):
        """The position a link names, or None for anything else (the first page is shown)."""
        code, _, rest = (text or "").partition(".")
        rank, _, name = rest.partition(".")
        kinds = {c: k for k, c in CODES.items()}
        if code not in kinds or not rank.removeprefix("-").isdigit():
            return None
        if not -MAX_RANK <= int(rank) <= MAX_RANK or rank == "-0":
            return None
        name = clean_text(name)[:MAX_NAME]
        if not sort_key(name):
            return None
        return cls(kinds[code], name, int(rank))


@dataclass
class NamePage:
    """One page of names, and where the pages before and after it start."""

    names: list
    has_previous: bool
    has_next: bool
    previous: Position | None = None  # link to the page before: ?before=
    next: Position | None = None  # link to the page after: ?after=
    is_first: bool = False
    is_last: bool = False
    typed: str = ""  # the surname typed, when the page was found by one
    size: int = field(default=0)

    @property
    def object_list(self):
        return self.names

    @property
    def has_other_pages(self):
        return self.has_previous or self.has_next

    @property
    def items_html(self):
        """The names as list items, written here rather than by a template loop: every
        request reads and writes a page of them. Organisations in bold by their class, the
        affiliation only as each chose to show it, each name isolated (<bdi>) for
        right-to-left scripts; every value escaped (html.escape, as Django's escape)."""
        full, items = Signatory.Display.FULL, []
        for row in self.names:
            kind = ' class="organisation"' if row.kind == ORGANISATION else ""
            affiliation = ""
            if row.affiliation and row.display == full:
                affiliation = (
                    f' <span class="text-secondary">(<bdi>{escape(row.affiliation)}</bdi>)</span>'
                )
            items.append(f"<li{kind}><bdi>{escape(row.name)}</bdi>{affiliation}</li>")
        return mark_safe("".join(items))  # noqa: S308 - every value above is escaped

    @property
    def first_name(self):
        return self.names[0].sort_name if self.names else ""

    @property
    def last_name(self):
        return self.names[-1].sort_name if self.names else ""

    def __iter__(self):
        return iter(self.names)

    def __len__(self):
        return len(self.names)


class NameList:
    """The listed names of one letter, read in delivery order from any position."""

    def __init__(self, letter, per_page=None):
        self.letter = letter
        self.per_page = per_page or settings.SIGNATORIES_PER_PAGE

    def _read(self, shape, start, stop, *, kind=None, key=None):
        """Rows [start:stop] of one of the list's query shapes (SHAPES), as named tuples."""
        if stop <= start:
            return []
        using = router.db_for_read(Signatory)
        letter = self.letter
        sql, params = _compiled(letter.pk, letter.moderation, shape, kind, start, stop, using)
        params = [key if param is KEY else param for param in params]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return [Row._make(values) for values in cursor.fetchall()]

    def after(self, position, count):
        """Up to `count` rows after `position` (or from the start), in order."""
        if position is None:  # the start: one read along the whole delivery order
            return self._read("start", 0, count)
        found = []
        start = KINDS.index(position.kind)
        for kind in KINDS[start:]:
            need = count - len(found)
            if need <= 0:
                break
            if kind != position.kind:
                found += self._read("kind", 0, need, kind=kind)
                continue
            key, rank = position.key, position.rank
            if 0 <= rank <= FEW_NAMESAKES:
                # One read from the position's key on, past its first `rank` namesakes
                # (rank 0: just before every row of the key, where a typed surname starts).
                read = self._read("from key", 0, need + rank, kind=kind, key=key)
                skip = 0
                while skip < min(rank, len(read)) and read[skip].sort_key == key:
                    skip += 1
                found += read[skip : skip + need]
                continue
            # The position's namesakes after it, then the keys after its own.
            if rank > 0:
                found += self._read("namesakes", rank, rank + need, kind=kind, key=key)
            else:  # the last -rank - 1 namesakes come after it: read from the end
                later = -rank - 1
                read = self._read("namesakes back", max(later - need, 0), later, kind=kind, key=key)
                found += reversed(read)
            need = count - len(found)
            if need > 0:
                found += self._read("after key", 0, need, kind=kind, key=key)
        return found

    def before(self, position, count):
        """Up to `count` rows before `position` (or the end), in order."""
        if position is None:  # the end: the delivery order read backwards
            return list(reversed(self._read("end", 0, count)))
        found = []
        stop = KINDS.index(position.kind)
        for kind in reversed(KINDS[: stop + 1]):
            need = count - len(found)
            if need <= 0:
                break
            if kind != position.kind:
                found = [*reversed(self._read("back", 0, need, kind=kind)), *found]
                continue
            # The position's namesakes before it, then the keys before its own, backwards.
            key, rank = position.key, position.rank
            if rank >= 0:  # the first rank - 1 namesakes come before it
                below = max(rank - 1, 0)
                same = self._read("namesakes", max(below - need, 0), below, kind=kind, key=key)
            else:  # all but the last -rank do: read from the end, past those
                read = self._read("namesakes back", -rank, -rank + need, kind=kind, key=key)
                same = list(reversed(read))
            earlier = []
            if need - len(same) > 0:
                earlier = self._read("before key", 0, need - len(same), kind=kind, key=key)
            found = [*reversed(earlier), *same, *found]
        return found

    def page(self, *, after=None, before=None, typed="", last=False):
        """The page a request asks for: ?after=, ?before=, ?from= (typed), ?last=1, or the first.

        One more row than a page is read, to know whether there is more that
        way; the other way there is more unless the page is the first (or
        the last). The ranks of the rows that start and end the page, which
        the links carry, come from what was read: counted from the first
        namesake on a page read forwards, from the last on one read backwards.
        """
        size = self.per_page
        typed = clean_text(typed)[:MAX_NAME]
        if typed and sort_key(typed):
            after, before, last = Position(INDIVIDUAL, typed, 0), None, False
        else:
            typed = ""
        if last or before is not None:
            start = None if last else before
            read = self.before(start, size + 1)
            names, beyond = read[-size:], read[:-size]
            has_previous, has_next = bool(beyond), not last
            ranks = names and (
                _leading_rank_back(names, beyond, start),
                _trailing_rank_back(names, start),
            )
        else:
            read = self.after(after, size + 1)
            names, beyond = read[:size], read[size:]
            has_previous, has_next = after is not None, bool(beyond)
            ranks = names and (_leading_rank(names, after), _trailing_rank(names, after))
        page = NamePage(
            names=names,
            has_previous=has_previous,
            has_next=has_next,
            is_first=not has_previous,
            is_last=not has_next,
            typed=typed,
            size=size,
        )
        if names and has_previous:
            page.previous = Position(names[0].kind, names[0].sort_name, ranks[0])
        if names and has_next:
            page.next = Position(names[-1].kind, names[-1].sort_name, ranks[1])
        return page


# The SQL of each way the list is read, compiled once per process.
#
# Building a query through the ORM and compiling it to SQL took 0.48 ms of the
# 0.63 ms a page of names cost (the read itself, off the index, the rest), on
# every request for the letter page. The SQL of a shape depends only on the
# letter, its moderation (which statuses are published), the kind and the
# slice; the one value that changes from request to request, a sort key, is a
# parameter. So each shape is built by the ORM, as the one definition of what
# it reads, compiled once with KEY in the sort key's place, and kept.

KEY = "\x00sort key\x00"  # never a real sort key: clean_text takes NUL out of names


def _of(rows, kind):
    return rows.filter(kind=kind)


SHAPES = {
    "start": lambda rows, kind: rows.in_delivery_order(),
    "end": lambda rows, kind: rows.order_by("kind", "-sort_key", "-pk"),
    "kind": lambda rows, kind: _of(rows, kind).order_by("sort_key", "pk"),
    "back": lambda rows, kind: _of(rows, kind).order_by("-sort_key", "-pk"),
    "from key": lambda rows, kind: (
        _of(rows, kind).filter(sort_key__gte=KEY).order_by("sort_key", "pk")
    ),
    "after key": lambda rows, kind: (
        _of(rows, kind).filter(sort_key__gt=KEY).order_by("sort_key", "pk")
    ),
    "before key": lambda rows, kind: (
        _of(rows, kind).filter(sort_key__lt=KEY).order_by("-sort_key", "-pk")
    ),
    "namesakes": lambda rows, kind: _of(rows, kind).filter(sort_key=KEY).order_by("pk"),
    "namesakes back": lambda rows, kind: _of(rows, kind).filter(sort_key=KEY).order_by("-pk"),
}


@functools.lru_cache(maxsize=1024)
def _compiled(letter_pk, moderation, shape, kind, start, stop, using):
    """(SQL, parameters) of a shape's rows [start:stop], KEY standing for the sort key."""
    from letters.models import Letter

    letter = Letter(pk=letter_pk, moderation=moderation)
    rows = Signatory.objects.using(using).listed_on(letter).values_list(*COLUMNS)
    query = SHAPES[shape](rows, kind)[start:stop].query
    sql, params = query.get_compiler(using).as_sql()
    wanted = 1 if "key" in shape or shape.startswith("namesakes") else 0
    if sum(param is KEY for param in params) != wanted:  # e.g. a Django that copies values
        raise AssertionError(f"the name list's {shape!r} query lost its sort key parameter")
    return sql, tuple(params)


def _same(row, other):
    return row.kind == other.kind and row.sort_key == other.sort_key


def _matches(row, position):
    return position is not None and row.kind == position.kind and row.sort_key == position.key


def _run(names, row):
    """How many rows at the end of `names` sort the same as `row`."""
    count = 0
    for each in reversed(names):
        if not _same(each, row):
            break
        count += 1
    return count


# The ranks of the rows at either end of a page (Position: 1 the first namesake,
# -1 the last). A row next to the position the page was read from is one step
# from it, whichever end the position counts from.


def _leading_rank(names, position):
    """The first row's rank, on a page read forwards from `position`."""
    if _matches(names[0], position):
        return position.rank + 1
    return 1  # after another name: the first of its own


def _trailing_rank(names, position):
    """The last row's rank, on a page read forwards from `position` (or from the start)."""
    run = _run(names, names[-1])
    if run < len(names) or not _matches(names[0], position):
        return run  # its namesakes start on this page
    return position.rank + run


def _trailing_rank_back(names, position):
    """The last row's rank, on a page read backwards from `position` (or from the end)."""
    if _matches(names[-1], position):
        return position.rank - 1
    return -1  # before another name, or the end: the last of its own


def _leading_rank_back(names, beyond, position):
    """The first row's rank, on a page read backwards from `position` (or from the end)."""
    if not beyond or not _same(beyond[-1], names[0]):
        return 1  # no namesake before the page: the first of its own
    run = _run(names[::-1], names[0])  # the rows at its start that sort as the first
    if run < len(names) or not _matches(names[-1], position):
        return -run  # its namesakes end on this page
    return position.rank - run


def listed_in_delivery_order(
    letter, *, columns=("pk", "kind", "name", "affiliation", "display"), batch_size=2000
):
    """(columns...) of every listed row of a letter, in delivery order, a batch at a time.

    Each batch starts where the last ended ((kind, sort key, id) from the
    last row, ids being fine inside the process), read off the delivery
    order's index: memory holds one batch, and no query walks past what it
    returns. (Django's .iterator() would hold a cursor that PostgreSQL
    copies whole, outside a transaction, before the first row.) Tuples, not
    model instances: a million of those cost seconds to build.
    """
    rows = Signatory.objects.listed_on(letter)
    fields = (*columns, "sort_key", "pk")
    for kind in KINDS:
        of_kind = rows.filter(kind=kind).order_by("sort_key", "pk").values_list(*fields)
        batch = list(of_kind[:batch_size])
        while batch:
            for values in batch:
                yield values[: len(columns)]
            *_, key, pk = batch[-1]
            after = (Q(sort_key=key) & Q(pk__gt=pk)) | Q(sort_key__gt=key)
            batch = list(of_kind.filter(sort_key__gte=key).filter(after)[:batch_size])
