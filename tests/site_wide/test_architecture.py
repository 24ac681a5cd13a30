"""The shape of the code, as docs/architecture.md draws it: no import circles, and each app
leans on the others only where it says.

The import graph is read by grimp from the source (imports inside functions included),
so a lazy import that closes a circle fails here too.
"""

import grimp
import pytest

APPS = (
    "attendance",
    "campaign",
    "config",
    "letters",
    "mailing",
    "resolutions",
    "signatories",
    "teams",
)

# What signatories may take from letters. Everywhere: the Letter model its rows point
# at. In its entry points only: the letter's read side (the sign view shows the letter
# page again with a rejected form's errors) and the commands' letter lookup by slug.
SIGNATORIES_ENTRY_POINTS = ("signatories.views", "signatories.management.commands")
LETTERS_FOR_SIGNATORIES = {
    "letters.models": ("signatories",),
    "letters.selectors": SIGNATORIES_ENTRY_POINTS,
    "letters.page": SIGNATORIES_ENTRY_POINTS,
    "letters.management": SIGNATORIES_ENTRY_POINTS,
}


def build_graph():
    return grimp.build_graph(*APPS, include_external_packages=False)


@pytest.fixture(scope="module")
def graph():
    return build_graph()


def _within(module, prefixes):
    return any(module == p or module.startswith(f"{p}.") for p in prefixes)


def import_cycles(graph):
    """Each group of modules that import each other in a circle (Tarjan's algorithm)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index and module.split(".")[-1] != "migrations":
            visit(module)
    return groups


def _describe(graph, group):
    first, second = group[0], group[1]
    there = graph.find_shortest_chain(importer=first, imported=second)
    back = graph.find_shortest_chain(importer=second, imported=first)
    return " -> ".join(there) + " -> " + " -> ".join(back[1:])


def test_no_module_imports_another_in_a_circle(graph):
    cycles = import_cycles(graph)
    assert [_describe(graph, group) for group in cycles] == []


def test_the_check_finds_a_circle_when_one_is_added():
    """The test above can fail: close a circle (the outbox asking for its own task)."""
    planted = build_graph()
    planted.add_import(importer="mailing.outbox", imported="mailing.tasks")
    cycles = import_cycles(planted)
    assert ["mailing.drain", "mailing.outbox", "mailing.tasks"] in cycles


def test_signatories_takes_from_letters_only_what_it_needs(graph):
    taken = graph.find_matching_direct_imports(import_expression="signatories.** -> letters.**")
    refused = [
        f"{edge['importer']} -> {edge['imported']}"
        for edge in taken
        if not any(
            _within(edge["imported"], [allowed]) and _within(edge["importer"], importers)
            for allowed, importers in LETTERS_FOR_SIGNATORIES.items()
        )
    ]
    assert refused == []


def test_the_outbox_knows_no_app_of_ours(graph):
    """mailing/ is the mechanism; the apps bring their kinds of mail to it, never the reverse."""
    ours = [app for app in APPS if app not in {"mailing", "config"}]
    taken = {
        f"{edge['importer']} -> {edge['imported']}"
        for app in ours
        for edge in graph.find_matching_direct_imports(import_expression=f"mailing.** -> {app}.**")
    }
    assert sorted(taken) == []
