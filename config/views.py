from django.shortcuts import render


def csrf_failure(request, reason=""):
    """A missing or stale CSRF token: explain, in words a supporter understands."""
    return render(request, "403_csrf.html", status=403)
