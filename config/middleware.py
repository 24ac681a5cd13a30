"""A link from a mail opens its page in the mail's language, whatever the browser says."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.middleware.gzip import GZipMiddleware
from django.utils import translation


class LanguageFromLink:
    """`?lang=kk` on a link: that language for this page and the next ones (the cookie).

    Links in mails carry it (signatories/mail.py): a Kazakh signer who opens
    their confirmation link on a phone set to English gets the page in Kazakh.
    A GET is redirected to the same address without it, so the address bar,
    the language switcher and shared links stay clean; a POST (a mail
    provider's one-click unsubscribe) is answered in the language at once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.GET.get("lang")
        if language not in dict(settings.LANGUAGES):
            return self.get_response(request)
        if request.method in {"GET", "HEAD"}:
            query = request.GET.copy()
            del query["lang"]
            response = HttpResponseRedirect(
                request.path + (f"?{query.urlencode()}" if query else "")
            )
        else:
            translation.activate(language)
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response


class CompressPublicPages(GZipMiddleware):
    """Gzip the public pages (a letter with its names is ~10x smaller); never the admin.

    BREACH reads a secret out of a compressed page by reflecting guesses into
    it. The public pages hold no secret but the CSRF token, which Django masks
    afresh on every response, and Django's GZipMiddleware pads each response
    with random bytes as well. The admin shows e-mail addresses next to what
    a user typed into a search box: it is left uncompressed.
    """

    def process_response(self, request, response):
        if request.path.startswith("/admin/"):
            return response
        return super().process_response(request, response)
