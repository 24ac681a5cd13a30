"""The letter page, rendered once every few seconds and served from memory in between.

A letter shared by a national union is read far more often than it changes,
and with 100,000 names a render costs ~10x a trivial view. What differs
between two readers of the same page, language and version is the CSRF
token and the sign form's single-use stamp: the page is cached with
placeholders for these and each reader gets their own. Only the plain
addresses are cached (no query but `page` and `version`), so the language
links baked into a cached page are the ones every reader of it needs.

Each process keeps its own copy (the "process" cache), so a hit is a
dictionary lookup and no network; names and the count are at most
LETTER_PAGE_CACHE_SECONDS behind. Only the first and the last page of names
are kept: pages further in are read by position, a few index reads each
(letters/name_list.py), and would only fill memory.
"""

from django.conf import settings
from django.core.cache import caches
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.utils.safestring import mark_safe

from signatories.abuse import form_stamp

# Letters and digits only, so HTML escaping leaves them as they are.
CSRF_PLACEHOLDER = "csrfplaceholder7d1c4e"
STAMP_PLACEHOLDER = "stampplaceholder9b2f0a"
NAMES_PLACEHOLDER = "namesplaceholder4e8a61"
READER_QUERY_PLACEHOLDER = "readerqueryplaceholder2c5f93"


def page_key(request, slug, pause_mark="open"):
    """The cache key for this request's page, or None when it should not be cached.

    The first page of names and the last one are kept; a page found by
    position or by a typed name is rendered each time (a few index reads).
    `pause_mark` is the site's pause of signing (signatories/pause.py): a
    page kept while signing was open is not the page once it is paused, and
    the other way round, in every process at once.
    """
    if settings.LETTER_PAGE_CACHE_SECONDS <= 0 or request.method not in {"GET", "HEAD"}:
        return None
    if set(request.GET) - {"last", "version"}:
        return None  # a page of names further in, or e.g. a tracking parameter: served fresh
    last = request.GET.get("last")
    if last not in {None, "1"}:
        return None
    version = request.GET.get("version", "")
    if version and version not in dict(settings.LANGUAGES):
        return None
    # Share links on the page are absolute, so the host and scheme belong in the key.
    where = f"{request.scheme}://{request.get_host()}"
    end = "last" if last else "first"
    return f"letter-page:{where}:{slug}:{request.LANGUAGE_CODE}:{version}:{end}:{pause_mark}"


def get(key):
    return caches["process"].get(key) if key else None


def store(key, html, seconds=None):
    """Keep a page (or, with its own `seconds`, a shell) in this process's memory."""
    if key:
        seconds = settings.LETTER_PAGE_CACHE_SECONDS if seconds is None else seconds
        caches["process"].set(key, html, timeout=seconds)


def placeholders():
    """Template context that renders the page with placeholders in place of the reader's own."""
    return {"csrf_token": CSRF_PLACEHOLDER}


def personalise(html, request):
    """This reader's CSRF token and a fresh form stamp, where the page has a form.

    A closed letter's page has no form: it gets no token, so no CSRF cookie.
    """
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    if STAMP_PLACEHOLDER in html:
        html = html.replace(STAMP_PLACEHOLDER, form_stamp())
    return html


def empty_form(request, slug, form):
    """The empty sign form's HTML, rendered once a while per letter and language.

    It is the same for every reader (their CSRF token and form stamp are
    placeholders, filled in by `personalise`), and crispy-forms takes most
    of a page's rendering time to draw it. A rejected form, with the
    signer's values and errors, is drawn afresh (signatories/views.py).
    """
    from crispy_forms.utils import render_crispy_form

    key = f"sign-form:{slug}:{request.LANGUAGE_CODE}"
    html = caches["process"].get(key)
    if html is None:
        html = render_crispy_form(form, context={"csrf_token": CSRF_PLACEHOLDER})
        caches["process"].set(key, html, timeout=FORM_SECONDS)
    return html


FORM_SECONDS = 300


# The shell: the page but its names, kept per process for LETTER_SHELL_CACHE_SECONDS.
#
# A page further into the list (?after=, ?before=, a typed surname) is not kept
# whole: there are as many of them as positions. Everything on it but its page
# of names is the same for every reader of the letter in a language and
# version (the letter, its counts, the form, its updates): that is drawn once
# in a while, with placeholders for the names and for the reader's own query in
# the language links, and each request reads and draws only its page of names.
# So a page at the end of six million names costs what the first one does.


def shell_key(request, slug, pause_mark="open"):
    """The key of this request's shell, or None to draw the whole page (a signer's own
    change just made: `?updated=1`, whose counts must be fresh). With the pause's
    mark, as `page_key`."""
    if settings.LETTER_SHELL_CACHE_SECONDS <= 0 or "updated" in request.GET:
        return None
    version = request.GET.get("version", "")
    if version and version not in dict(settings.LANGUAGES):
        version = "other"  # shown as the visitor's language: one shell for all nonsense
    where = f"{request.scheme}://{request.get_host()}"
    return f"letter-shell:{where}:{slug}:{request.LANGUAGE_CODE}:{version}:{pause_mark}"


def shell_placeholders(request):
    """Context and request marks that draw a shell: names and the reader's query as
    placeholders (config/context_processors.py reads the request's mark)."""
    request.reader_query_placeholder = READER_QUERY_PLACEHOLDER
    return {"names_html": mark_safe(NAMES_PLACEHOLDER)}  # noqa: S308 - our own constant


def fill_shell(shell, request, names_html):
    """The shell with this reader's page of names and their query in the language links."""
    query = request.GET.copy()
    query.pop("lang", None)
    reader = escape(query.urlencode() + "&") if query else ""
    return shell.replace(NAMES_PLACEHOLDER, names_html, 1).replace(READER_QUERY_PLACEHOLDER, reader)
