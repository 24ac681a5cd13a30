from django.urls import path

from signatories import views

app_name = "signatories"

urlpatterns = [
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("erase/<str:token>/", views.erase, name="erase"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("restore/<str:token>/", views.restore, name="restore"),
]
