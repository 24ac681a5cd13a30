from django.urls import path

from resolutions import views

app_name = "resolutions"

urlpatterns = [
    path("campaigns/<slug:slug>/resolution/passed/", views.report, name="report"),
    path("campaigns/<slug:slug>/resolution/passed/sent/", views.sent, name="sent"),
    path("resolutions/confirm/<str:token>/", views.confirm, name="confirm"),
]
