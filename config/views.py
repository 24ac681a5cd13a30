from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


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
