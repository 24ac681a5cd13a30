import datetime

import factory
import pytest
from django.utils import timezone

from resolutions.models import PassedResolution, ResolutionStep
from tests.factories import CampaignFactory, LetterFactory, ResourceFactory


class PassedResolutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PassedResolution

    campaign = factory.SubFactory(CampaignFactory)
    body = factory.Sequence(lambda n: f"Branch number {n}")
    organisation = "RMT"
    level = PassedResolution.Level.BRANCH
    passed_on = datetime.date(2012, 11, 1)
    email = factory.Sequence(lambda n: f"reporter{n}@example.net")
    confirmed_at = factory.LazyFunction(timezone.now)
    status = PassedResolution.Status.APPROVED


class ResolutionStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResolutionStep

    resolution = factory.SubFactory(PassedResolutionFactory)
    kind = ResolutionStep.Kind.FORWARDED
    to_body = "the RMT London region"
    level = PassedResolution.Level.REGION
    on = datetime.date(2012, 11, 20)


@pytest.fixture
def campaign(db):
    """A campaign that publishes a model resolution, with an open letter."""
    campaign = CampaignFactory(title="Justice for the Zhanaozen oil workers")
    ResourceFactory(campaign=campaign)
    LetterFactory(campaign=campaign, title="Open letter to the Foreign Secretary")
    return campaign
