"""Staff told plainly when stored addresses cannot be opened, instead of "try again"."""

import logging

from django.template.response import TemplateResponse

from config.admin import is_admin_path
from signatories.crypto import UndecryptableAddress

logger = logging.getLogger(__name__)


class UndecryptableAddressPage:
    """A 503 that says what is wrong when a key was taken out of EMAIL_ENCRYPTION_KEYS too early.

    Waiting will not help, so the site's usual "try again in a minute" would
    mislead. Only the admin says why (the public pages never read an
    address); a signer's link page keeps the general error page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, UndecryptableAddress):
            return None
        logger.error("Stored e-mail addresses cannot be opened: %s", exception)
        if not is_admin_path(request.path):
            return None
        response = TemplateResponse(
            request,
            "admin/keys_missing.html",
            {"title": "E-mail addresses cannot be opened"},
            status=503,
        )
        return response.render()
