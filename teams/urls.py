from django.urls import path

from teams import views

urlpatterns = [
    path("", views.second_factor, name="second_factor"),
    path("codes/", views.recovery_codes, name="second_factor_codes"),
    path("codes/new/", views.recovery_codes_renew, name="second_factor_codes_new"),
    path("sessions/end/", views.sessions_end, name="sessions_end_others"),
]
