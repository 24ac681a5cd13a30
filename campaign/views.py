from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from campaign.ics import event_to_ics
from campaign.models import Campaign, Event
from letters.models import Letter


@require_safe
def home(request):
    letters = (
        Letter.objects.public()
        .with_state()
        .select_related("campaign")
        .prefetch_related("translations")  # each card's title in the reader's language
    )
    return render(request, "campaign/home.html", {"letters": letters})


@require_safe
def campaign_detail(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    return render(
        request,
        "campaign/campaign_detail.html",
        {
            "campaign": campaign,
            "demands": campaign.demands.all(),
            "events": campaign.events.all(),
            "letters": campaign.letters.public().with_state().prefetch_related("translations"),
            "resources": campaign.resources.all(),
        },
    )


@require_safe
def event_ics(request, slug, pk):
    event = get_object_or_404(Event.objects.select_related("campaign"), campaign__slug=slug, pk=pk)
    body = event_to_ics(
        event,
        url=request.build_absolute_uri(event.campaign.get_absolute_url()),
        domain=request.get_host().split(":")[0],
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response
