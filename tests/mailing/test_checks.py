import pytest
from django.core.checks import run_checks

pytestmark = pytest.mark.django_db


def test_a_lease_shorter_than_the_longest_retry_wait_is_refused(settings):
    settings.MAIL_CLAIM_LEASE_SECONDS = 1800
    assert "mailing.E001" in {error.id for error in run_checks()}
    settings.MAIL_CLAIM_LEASE_SECONDS = 3600
    assert "mailing.E001" not in {error.id for error in run_checks()}


def test_a_shorter_retry_cap_allows_a_shorter_lease(settings):
    settings.MAIL_RETRY_MAX_SECONDS = 60
    settings.MAIL_CLAIM_LEASE_SECONDS = 120
    assert "mailing.E001" not in {error.id for error in run_checks()}
