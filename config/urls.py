from django.contrib import admin
from django.urls import include, path

from config.views import health, ready

handler500 = "config.views.server_error"
handler403 = "config.views.permission_denied"

urlpatterns = [
    path("health/", health, name="health"),
    path("ready/", ready, name="ready"),
    # Before the admin's own routes: staff who see contacts pass here first (teams/).
    path("admin/second-factor/", include("teams.urls")),
    path("admin/", admin.site.urls),
    path("letters/", include("letters.urls")),
    path("s/", include("signatories.urls")),
    path("", include("campaign.urls")),
]
