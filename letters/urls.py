from django.urls import path

from letters import views
from signatories import views as signing_views

app_name = "letters"

urlpatterns = [
    path("<slug:slug>/", views.letter_detail, name="detail"),
    # Signing belongs to signatories; its addresses sit under the letter's.
    path("<slug:slug>/sign/", signing_views.sign, name="sign"),
    path("<slug:slug>/thanks/", signing_views.thanks, name="thanks"),
    path("<slug:slug>/delivered.pdf", views.letter_delivered_pdf, name="delivered_pdf"),
    path("<slug:slug>/count.json", views.letter_count_json, name="count_json"),
    path("<slug:slug>/embed/", views.letter_embed, name="embed"),
    path("<slug:slug>/replies/<int:pk>.pdf", views.letter_reply_pdf, name="reply_pdf"),
]
