"""Every admin page renders for an organiser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from letters.services.lifecycle import letter_transition
from tests.factories import EventFactory, LetterFactory, ResourceFactory, SignatoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    event = EventFactory()
    ResourceFactory(campaign=event.campaign)
    letter = LetterFactory(campaign=event.campaign, hand_in_event=event, status="draft")
    letter_transition(letter=letter, to_status="open")
    signatory = SignatoryFactory(letter=letter, name="Қанат Әбілов")
    return {"campaign": event.campaign, "event": event, "letter": letter, "signatory": signatory}


OUR_MODELS = ["campaign.campaign", "campaign.event", "letters.letter", "signatories.signatory"]


def test_every_registered_model_has_a_working_changelist_and_add_page(admin_client, data):
    for model in admin.site._registry:
        opts = model._meta
        changelist = admin_client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        )
        assert changelist.status_code == 200, opts.label
        if admin.site._registry[model].has_add_permission(changelist.wsgi_request):
            add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
            assert add.status_code == 200, opts.label
    registered = {m._meta.label_lower for m in admin.site._registry}
    assert set(OUR_MODELS) <= registered


@pytest.mark.parametrize("key", ["campaign", "event", "letter", "signatory"])
def test_change_pages_render(admin_client, data, key):
    obj = data[key]
    opts = obj._meta
    response = admin_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )
    assert response.status_code == 200
    assert str(obj) in response.content.decode()


def test_letter_change_page_shows_the_status_history(admin_client, data):
    url = reverse("admin:letters_letter_change", args=[data["letter"].pk])
    html = admin_client.get(url).content.decode()
    assert "Draft" in html and "Open for signatures" in html


def test_signatory_changelist_searches_names_in_cyrillic(admin_client, data):
    SignatoryFactory(letter=data["letter"], name="Someone Else")
    url = reverse("admin:signatories_signatory_changelist")
    response = admin_client.get(url, {"q": "Қанат", "queue": "all"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Қанат Әбілов" in html and "Someone Else" not in html


def test_admin_requires_login(client, data):
    response = client.get(reverse("admin:signatories_signatory_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_every_registered_model_has_a_working_change_page(admin_client, admin_user, data):
    """One of everything, then each model's change page: none may fail to render."""
    from letters.models import Reply, Update
    from letters.services.sheets import paper_sheets_issue
    from signatories.models import Signatory
    from signatories.services.moderation import signatories_decide

    letter = data["letter"]
    paper_sheets_issue(letter=letter, count=1)
    signatories_decide(queryset=Signatory.objects.all(), decision="approve", moderator=admin_user)
    Update.objects.create(letter=letter, subject="News", body="x")
    Reply.objects.create(letter=letter, received_on="2014-01-20", sender="FCO", text="x")
    closed = LetterFactory(status="closed")
    letter_transition(letter=closed, to_status="delivered")

    opened = []
    for model in admin.site._registry:
        obj = model._default_manager.first()
        if obj is None:
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert admin_client.get(url).status_code == 200, opts.label
        opened.append(opts.label_lower)
    assert {
        "letters.paperSheet".lower(),
        "letters.delivery",
        "letters.update",
        "signatories.moderationaction",
        "auth.user",
    } <= set(opened)
