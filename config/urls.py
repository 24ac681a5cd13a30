from django.contrib import admin
from django.urls import include, path

from config.views import health

admin.site.site_header = "Open letters: organisers"
admin.site.site_title = "Open letters"
admin.site.index_title = "Campaigns, letters and signatures"
# The moderation queue is wide; the page needs the width more than a second menu.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("letters/", include("letters.urls")),
    path("s/", include("signatories.urls")),
    path("", include("campaign.urls")),
]
