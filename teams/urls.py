from django.urls import include, path

from teams import views

urlpatterns = [
    path("", views.second_factor, name="second_factor"),
    path("codes/", views.recovery_codes, name="second_factor_codes"),
    path("codes/new/", views.recovery_codes_renew, name="second_factor_codes_new"),
    path("sessions/end/", views.sessions_end, name="sessions_end_others"),
    path("passkeys/added/", views.passkey_added, name="second_factor_passkey_added"),
    path("passkeys/<int:pk>/remove/", views.passkey_delete, name="second_factor_passkey_remove"),
    # django-otp-webauthn's JSON endpoints and its scripts' translations: under this prefix,
    # which the middleware opens before the second factor.
    path("webauthn/", include("django_otp_webauthn.urls", namespace="otp_webauthn")),
]
