"""The admin previews an update, sends it and counts the copies."""

import pytest
from django.urls import reverse

from letters.models import Update
from letters.services.updates import update_send
from tests.factories import LetterFactory
from tests.smtp import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_admin_previews_and_sends_and_counts(admin_client, audience, smtp, database_tasks):
    letter, _ = audience
    update = Update.objects.create(letter=letter, subject="Preview me", body="Body text.")
    preview = admin_client.get(reverse("admin:letters_update_preview", args=[update.pk]))
    html = preview.content.decode()
    assert "Subject: Preview me" in html and "Body text." in html
    assert "It goes to <strong>2</strong> signatories" in html
    assert "wants@example.net" not in html

    smtp.start()
    admin_client.post(reverse("admin:letters_update_send", args=[update.pk]))
    run_worker()
    changelist = admin_client.get(reverse("admin:letters_update_changelist")).content.decode()
    assert '<td class="field-sent">2</td>' in changelist
    assert '<td class="field-queued">0</td>' in changelist


def test_a_preview_with_nobody_to_send_to_offers_no_send_button(admin_client):
    update = Update.objects.create(letter=LetterFactory(), subject="Too early", body="x")
    html = admin_client.get(
        reverse("admin:letters_update_preview", args=[update.pk])
    ).content.decode()
    assert "Nobody to send to yet" in html
    assert "letters/update/" in html and 'value="Send to' not in html


def test_the_letter_of_a_sent_update_cannot_be_changed(admin_client, audience, smtp):
    letter, _ = audience
    update = Update.objects.create(letter=letter, subject="Fixed", body="x")
    url = reverse("admin:letters_update_change", args=[update.pk])
    assert 'name="letter"' in admin_client.get(url).content.decode()
    smtp.start()
    update_send(update=update)
    assert 'name="letter"' not in admin_client.get(url).content.decode()


def test_one_copy_is_one_copy(admin_client, smtp):
    from tests.factories import SignatoryFactory

    letter = LetterFactory()
    SignatoryFactory(letter=letter, consents_to_updates=True)
    update = Update.objects.create(letter=letter, subject="Alone", body="x")
    response = admin_client.post(
        reverse("admin:letters_update_send", args=[update.pk]), follow=True
    )
    assert "“Alone”: 1 copy queued for sending." in response.content.decode()
