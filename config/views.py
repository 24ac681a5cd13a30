import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.admin import is_admin_path

logger = logging.getLogger(__name__)

# The database is down, restarting, or a statement or lock waited past its timeout.
UNAVAILABLE = (OperationalError, InterfaceError)


def csrf_failure(request, reason=""):
    """A missing or stale CSRF token: explain, in words a supporter understands."""
    return render(request, "403_csrf.html", status=403)


@require_safe
def health(request):
    """For the proxy's and the load balancer's health checks: the process answers, nothing more.

    It touches no database on purpose: a slow database should not take every
    app host out of the pool at once. It also serves as the bench's trivial view.
    """
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def ready(request):
    """For a load balancer that should drain a host whose database is gone: one `SELECT 1`.

    /health/ says the process answers; this says it can reach its database,
    within DB_CONNECT_TIMEOUT_SECONDS (and the statement timeout).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("Not ready: the database is unavailable (%s)", type(error).__name__)
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ready", content_type="text/plain")


def server_error(request):
    """handler500: a database that is away is a 503 with a retry message, not a 500.

    Rendered without the database (no session, no user), from a page that
    extends nothing, so it renders whatever is down.
    """
    error = sys.exc_info()[1]
    if isinstance(error, UNAVAILABLE):
        html = render_to_string("503.html", request=None)
        response = HttpResponse(html, status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(render_to_string("500.html"), status=500)


def permission_denied(request, exception=None):
    """handler403: staff in the admin meet the admin's look and a way back; visitors, ours."""
    user = getattr(request, "user", None)
    if is_admin_path(request.path) and user is not None and user.is_staff:
        from django.contrib import admin

        context = {**admin.site.each_context(request), "title": "Not for your role"}
        return render(request, "admin/403.html", context, status=403)
    return render(request, "403.html", status=403)
