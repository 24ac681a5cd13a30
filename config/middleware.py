"""Our middleware: a mail link's language, compression where it is safe, public form limits."""

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponseRedirect
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import render
from django.utils import translation

from config.admin import is_admin_path


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
        if is_admin_path(request.path):
            return response
        return super().process_response(request, response)


class PublicFormLimits:
    """Public forms take a few lines of text: a bigger body, or any file, is refused unread.

    Django caps the text fields of a body (DATA_UPLOAD_MAX_MEMORY_SIZE) but
    reads file parts to disk whatever their size; the public forms (sign,
    confirm, withdraw, ...) take no file. So, before anything reads the body
    (the CSRF check does): a declared length over PUBLIC_FORM_MAX_BYTES is a
    413 at once, and a multipart body's first file part stops the parse with
    a 400. The admin, whose CSV import takes a file, keeps Django's own limits.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and not is_admin_path(request.path):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0  # Django answers a nonsense length itself
            if length > settings.PUBLIC_FORM_MAX_BYTES:
                return render(request, "413.html", status=413)
            request.upload_handlers = [RefuseFiles(request)]
        return self.get_response(request)


class FilesNotTaken(SuspiciousOperation):
    """A file part in a public form: Django answers 400 and logs it (no body, no address)."""


class RefuseFiles(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        raise FilesNotTaken("a public form was sent a file")

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
