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
    """A place in the list: the `rank`-th (1-based, by id) row of this kind and sort key.

    Rank 0 is the place just before every row of that key (where a typed
    surname starts).
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
        if code not in kinds or not rank.isdigit() or not 0 <= int(rank) <= MAX_RANK:
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
            if kind == position.kind and position.rank <= FEW_NAMESAKES:
                # One read from the position's key on, past its first `rank` namesakes
                # (rank 0: just before every row of the key, where a typed surname starts).
                key, rank = position.key, position.rank
                read = self._read("from key", 0, need + rank, kind=kind, key=key)
                skip = 0
                while skip < min(rank, len(read)) and read[skip].sort_key == key:
                    skip += 1
                found += read[skip : skip + need]
            elif kind == position.kind:
                # The position's namesakes after it (those past its rank, by
                # id), then the keys after its own.
                key, rank = position.key, position.rank
                found += self._read("namesakes", rank, rank + need, kind=kind, key=key)
                need = count - len(found)
                if need > 0:
                    found += self._read("after key", 0, need, kind=kind, key=key)
            else:
                found += self._read("kind", 0, need, kind=kind)
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
            if kind == position.kind:
                # The position's namesakes before it (below its rank, by id),
                # then the keys before its own, read backwards.
                key, below = position.key, max(position.rank - 1, 0)
                same = self._read("namesakes", max(below - need, 0), below, kind=kind, key=key)
                earlier = []
                if need - len(same) > 0:
                    earlier = self._read("before key", 0, need - len(same), kind=kind, key=key)
                found = [*reversed(earlier), *same, *found]
            else:
                found = [*reversed(self._read("back", 0, need, kind=kind)), *found]
        return found

    def position_of(self, row):
        """Where a row stands: its kind, sort name and rank among its namesakes by id (a COUNT)."""
        namesakes = Signatory.objects.listed_on(self.letter).filter(kind=row.kind)
        rank = namesakes.filter(sort_key=row.sort_key, pk__lt=row.pk).count() + 1
        return Position(row.kind, row.sort_name, rank)

    def _at(self, row, rank):
        return Position(row.kind, row.sort_name, rank) if rank else self.position_of(row)

    def page(self, *, after=None, before=None, typed="", last=False):
        """The page a request asks for: ?after=, ?before=, ?from= (typed), ?last=1, or the first.

        One more row than a page is read, to know whether there is more that
        way; the other way there is more unless the page is the first (or
        the last). The ranks of the rows that start and end the page, which
        the links carry, come from what was read, or a small COUNT of one
        name's namesakes when a page is all one name.
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
            first_rank = _rank_from_before(names, beyond)
            last_rank = _rank_back_from(names, start)
        else:
            read = self.after(after, size + 1)
            names, beyond = read[:size], read[size:]
            has_previous, has_next = after is not None, bool(beyond)
            first_rank = _rank_forward_from(names, after)
            last_rank = _trailing_rank(names, after)
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
            page.previous = self._at(names[0], first_rank)
        if names and has_next:
            page.next = self._at(names[-1], last_rank)
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
}


@functools.lru_cache(maxsize=1024)
def _compiled(letter_pk, moderation, shape, kind, start, stop, using):
    """(SQL, parameters) of a shape's rows [start:stop], KEY standing for the sort key."""
    from letters.models import Letter

    letter = Letter(pk=letter_pk, moderation=moderation)
    rows = Signatory.objects.using(using).listed_on(letter).values_list(*COLUMNS)
    query = SHAPES[shape](rows, kind)[start:stop].query
    sql, params = query.get_compiler(using).as_sql()
    wanted = 1 if "key" in shape or shape == "namesakes" else 0
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


def _rank_forward_from(names, position):
    """The first row's rank, on a page read forward from `position`."""
    if not names:
        return 0
    return position.rank + 1 if _matches(names[0], position) else 1


def _trailing_rank(names, position):
    """The last row's rank, on a page read forward from `position` (or from the start)."""
    if not names:
        return 0
    run = _run(names, names[-1])
    if run < len(names) or not _matches(names[0], position):
        return run  # its namesakes start on this page
    return position.rank + run


def _rank_from_before(names, beyond):
    """The first row's rank, on a page read backwards; 0 when only a COUNT can tell."""
    if not names:
        return 0
    if beyond and _same(beyond[-1], names[0]):
        return 0  # its namesakes go on before the page
    return 1


def _rank_back_from(names, position):
    """The last row's rank, on a page read backwards from `position`; 0 when a COUNT must tell."""
    if not names:
        return 0
    if _matches(names[-1], position):
        return position.rank - 1
    run = _run(names, names[-1])
    return run if run < len(names) else 0


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
