from django.urls import path

from attendance import views

app_name = "attendance"

urlpatterns = [
    path("campaigns/<slug:slug>/events/<int:pk>/", views.event_detail, name="event"),
    path("campaigns/<slug:slug>/events/<int:pk>/thanks/", views.thanks, name="thanks"),
    path("attend/confirm/<str:token>/", views.confirm, name="confirm"),
    path("attend/cancel/<str:token>/", views.cancel, name="cancel"),
]
