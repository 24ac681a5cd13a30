import datetime

import factory
from django.utils import timezone

from campaign.models import Campaign, Demand, Event, Resource
from letters.models import Letter
from signatories import names
from signatories.models import Signatory


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    title = factory.Sequence(lambda n: f"Campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    summary = "Support the jailed oil workers."
    background = "Paragraph one.\n\nParagraph two."
    contact_email = "organisers@example.org"


class DemandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Demand

    campaign = factory.SubFactory(CampaignFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Demand number {n}")


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    campaign = factory.SubFactory(CampaignFactory)
    kind = Resource.Kind.MODEL_RESOLUTION
    title = "A model resolution"
    body = "This union notes:\n\n— That ..."


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    campaign = factory.SubFactory(CampaignFactory)
    title = "Hand-in at the Foreign Office"
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=10))
    place = "Foreign Office"
    address = "King Charles Street, London SW1"


class LetterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Letter

    campaign = factory.SubFactory(CampaignFactory)
    title = factory.Sequence(lambda n: f"Open letter {n}")
    slug = factory.Sequence(lambda n: f"open-letter-{n}")
    addressee = "The Foreign Secretary"
    salutation = "Dear Foreign Secretary,"
    body = "We urge you:\n\n1. To act;\n\n2. To act again."
    status = Letter.Status.OPEN
    moderation = Letter.Moderation.PRE


class SignatoryFactory(factory.django.DjangoModelFactory):
    """A confirmed, approved web signature unless told otherwise."""

    class Meta:
        model = Signatory

    letter = factory.SubFactory(LetterFactory)
    name = factory.Sequence(lambda n: f"Person Number{n}")
    affiliation = "member of Unite, personal capacity"
    email = factory.Sequence(lambda n: f"person{n}@example.net")
    source = Signatory.Source.WEB
    status = Signatory.Status.APPROVED
    confirmed_at = factory.LazyFunction(timezone.now)
    kind = Signatory.Kind.INDIVIDUAL
    sort_name = factory.LazyAttribute(
        lambda o: names.derive_sort_name(
            o.name, is_organisation=o.kind == Signatory.Kind.ORGANISATION
        )
    )
    sort_key = factory.LazyAttribute(lambda o: names.sort_key(o.sort_name))
