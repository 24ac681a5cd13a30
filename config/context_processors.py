"""What every public page's header needs."""

from django.conf import settings
from django.utils.translation import get_language_info


def language_links(request):
    """The language switcher as plain links: `?lang=kk` on the page the reader is on.

    Links, not a form: a switcher needs no CSRF token, so a page without a
    form of its own sets no CSRF cookie. `config.middleware.LanguageFromLink`
    sets the language cookie and redirects to the same address without
    `lang`; the rest of the query (the page of names, the thank-you choice)
    is kept.
    """
    query = request.GET.copy()
    query.pop("lang", None)
    # A page drawn for many readers (letters/page_cache.py) writes a placeholder where
    # each reader's own query goes, and fills it in per reader.
    reader = getattr(request, "reader_query_placeholder", None)
    links = []
    for code, _name in settings.LANGUAGES:
        query["lang"] = code
        href = f"{request.path}?{query.urlencode()}"
        if reader is not None:
            href = f"{request.path}?{reader}lang={code}"
        links.append(
            {
                "code": code,
                # Each language in its own words: a reader lost in another still finds theirs.
                "name": get_language_info(code)["name_local"],
                "href": href,
                "current": code == getattr(request, "LANGUAGE_CODE", None),
            }
        )
    return {"language_links": links}
