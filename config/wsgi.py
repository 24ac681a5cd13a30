import codecs
import os
from email.message import Message

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Web requests give up on a stuck statement or lock in seconds (a 503 with a
# retry message), well inside gunicorn's 30 s timeout; see config/settings.py.
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "5000")
os.environ.setdefault("DB_LOCK_TIMEOUT_MS", "1000")


def reject_non_text_charsets(app):
    """Answer 400 to a Content-Type whose charset is not a text codec, before Django sees it.

    Django 6.1 accepts any codec name (rot13, hex, zlib...) and then fails
    with a 500 while it is still building the request, before any middleware
    can step in. A charset that is unknown altogether Django already ignores.
    """

    def guarded(environ, start_response):
        message = Message()
        message["content-type"] = environ.get("CONTENT_TYPE", "")
        charset = message.get_param("charset")
        if isinstance(charset, str) and charset:
            try:
                codecs.lookup(charset)
                "".encode(charset)
            except LookupError as error:
                if "not a text encoding" in str(error):
                    start_response("400 Bad Request", [("Content-Type", "text/plain")])
                    return [b"Unsupported charset."]
        return app(environ, start_response)

    return guarded


application = reject_non_text_charsets(get_wsgi_application())
