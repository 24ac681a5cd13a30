from django.urls import path

from mailing.webhooks import mailgun_events

app_name = "mailing"

urlpatterns = [
    # The URL to give Mailgun's webhooks ("Permanent Failure", "Spam Complaints"...).
    path("mailgun/", mailgun_events, name="mailgun_events"),
]
