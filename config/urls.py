from django.contrib import admin
from django.urls import include, path

from config.admin import ADMIN_PATH
from config.views import health, ready

handler500 = "config.views.server_error"
handler403 = "config.views.permission_denied"

urlpatterns = [
    path("health/", health, name="health"),
    path("ready/", ready, name="ready"),
    # Before the admin's own routes: staff who see contacts pass here first (teams/).
    path(f"{ADMIN_PATH[1:]}second-factor/", include("teams.urls")),
    path(ADMIN_PATH[1:], admin.site.urls),
    path("letters/", include("letters.urls")),
    path("s/", include("signatories.urls")),
    # The mail provider's delivery events (bounces, complaints): mailing/webhooks.py.
    path("mail/events/", include("mailing.urls")),
    path("", include("resolutions.urls")),
    path("", include("attendance.urls")),
    path("", include("campaign.urls")),
]
