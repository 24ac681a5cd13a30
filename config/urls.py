from django.contrib import admin
from django.urls import include, path

from config.views import health, ready

handler500 = "config.views.server_error"

urlpatterns = [
    path("health/", health, name="health"),
    path("ready/", ready, name="ready"),
    path("admin/", admin.site.urls),
    path("letters/", include("letters.urls")),
    path("s/", include("signatories.urls")),
    path("", include("campaign.urls")),
]
