import zoneinfo

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone


def validate_timezone(value):
    from django.core.exceptions import ValidationError

    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/London).")


class Campaign(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.CharField(
        max_length=500, help_text="One or two sentences for the top of the page and for sharing."
    )
    background = models.TextField(
        blank=True, help_text="Why the campaign exists. Blank lines separate paragraphs."
    )
    contact_email = models.EmailField(
        "public contact address",
        blank=True,
        help_text="The organisers' address, shown on the public page.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaign:detail", kwargs={"slug": self.slug})


class Demand(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="demands")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(
                "campaign", "position", name="one_demand_per_position_per_campaign"
            ),
        ]

    def __str__(self):
        return f"{self.position}. {self.text[:60]}"


class ResourceKind(models.TextChoices):
    MODEL_RESOLUTION = "model_resolution", "Model resolution"
    LEAFLET = "leaflet", "Leaflet"
    REPORT = "report", "Report"
    LINK = "link", "Further reading"


class Resource(models.Model):
    Kind = ResourceKind
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.LINK)
    title = models.CharField(max_length=200)
    introduction = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="Full text, e.g. a resolution to adapt.")
    url = models.URLField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ResourceKind.values), name="resource_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(body="") | ~Q(url=""), name="resource_has_body_or_url"
            ),
        ]

    def __str__(self):
        return self.title


class Event(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(
        max_length=64,
        default="Europe/London",
        validators=[validate_timezone],
        help_text="Times are shown in the zone where the event happens.",
    )
    place = models.CharField(max_length=200, help_text="E.g. the Foreign Office.")
    address = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    takes_sign_ups = models.BooleanField(
        "takes sign-ups",
        default=True,
        help_text="People can say “I’ll be there” on the event’s page (attendance/); the page "
        "shows how many are coming, never who.",
    )
    # Sign-ups are deleted ATTENDANCE_KEPT_DAYS after the event (attendance/services.py);
    # the number of people they counted is all that is kept, so the page can say "N came".
    people_coming_kept = models.PositiveIntegerField(
        "people who said they were coming (kept after the sign-ups were deleted)",
        null=True,
        blank=True,
        editable=False,
    )

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="event_ends_after_it_starts",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.local_start:%d %b %Y %H:%M})"

    def get_absolute_url(self):
        """The event's own page, with how many are coming and the sign-up form (attendance/)."""
        return reverse("attendance:event", kwargs={"slug": self.campaign.slug, "pk": self.pk})

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def zone_city(self):
        """ "Europe/London" as people say it: "London" (the zone's own city, as tz names it)."""
        return self.time_zone.rsplit("/", 1)[-1].replace("_", " ")

    @property
    def local_start(self):
        return timezone.localtime(self.starts_at, self.zone)

    def get_ics_url(self):
        return reverse("campaign:event_ics", kwargs={"slug": self.campaign.slug, "pk": self.pk})
