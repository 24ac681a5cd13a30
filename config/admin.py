"""Admin building blocks every app uses: read-only history, and one guard for custom pages."""

import dataclasses
import functools

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property

# Where config/urls.py mounts the admin, and the staff's second factor pages under it.
ADMIN_PATH = "/admin/"


def is_admin_path(path):
    """The staff's side of the site: kept uncompressed, with its own limits and gates."""
    return path.startswith(ADMIN_PATH)


@dataclasses.dataclass(frozen=True)
class WaitingWork:
    """A line of the admin index's *Waiting for you*: "3 reports awaiting approval"."""

    count: int
    text: str  # with the count in it
    url: str


_WAITING = []


def register_waiting_work(function):
    """An app says what work waits for a user (function(request) -> [WaitingWork]); each app
    registers in its ready(), as with the sweeps, so config imports no app."""
    if function not in _WAITING:
        _WAITING.append(function)
    return function


class OrganisersAdminSite(admin.AdminSite):
    """The admin as organisers meet it: their work first, the machinery last and named so."""

    site_header = "Open letters: organisers"
    site_title = "Open letters"
    index_title = "Campaigns, letters and signatures"
    # The moderation queue is wide; the page needs the width more than a second menu.
    enable_nav_sidebar = False

    WORK = ["letters", "signatories", "resolutions", "campaign", "attendance", "teams", "mailing"]
    MODELS = {
        "letters": ["Letter", "Update", "Delivery", "PaperSheet"],
        "signatories": ["Signatory", "ModerationAction"],
        "campaign": ["Campaign", "Event", "Demand", "Resource"],
        "teams": ["ContactView", "CampaignMember"],
    }

    def index(self, request, extra_context=None):
        """The index with what waits for this user on top, each line a link to it."""
        waiting = [work for function in _WAITING for work in function(request) if work.count]
        return super().index(request, {**(extra_context or {}), "waiting": waiting})

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for app in apps:
            order = self.MODELS.get(app["app_label"])
            if order:
                app["models"].sort(
                    key=lambda m: order.index(m["object_name"]) if m["object_name"] in order else 99
                )
            elif app["app_label"] not in self.WORK:
                # Staff accounts, login lock-outs, the task queue: superusers only see these.
                app["name"] = f"System: {app['name']}"
        return sorted(
            apps,
            key=lambda a: self.WORK.index(a["app_label"]) if a["app_label"] in self.WORK else 9,
        )


class CappedCountPaginator(Paginator):
    """Counts no further than COUNT_CAP rows: a list of six million says "more than 10,000".

    The admin counts a filtered list to page it; a COUNT over millions of
    rows is most of the time such a page takes. Counting the first
    COUNT_CAP + 1 rows (a LIMIT inside the COUNT) is bounded, pages up to
    the cap are numbered, and `capped` tells the templates to say "more
    than" (templates/admin/signatories/signatory/).
    """

    COUNT_CAP = 10_000

    @cached_property
    def count(self):
        # Without the list's order: any COUNT_CAP + 1 matching rows will do, and a
        # sorted subquery would make the database find and sort every one first. Only
        # the ids: a column the list annotates (the signatures' "mail undeliverable")
        # would otherwise be computed for each of the 10,001 rows counted.
        return self.object_list.order_by().values("pk")[: self.COUNT_CAP + 1].count()

    @property
    def capped(self):
        return self.count > self.COUNT_CAP

    @property
    def cap_label(self):
        return f"{self.COUNT_CAP:,}"


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs have names screen readers can say.

    Django's tabular inline labels its columns in the table head, which a
    screen reader does not tie to each input; each field gets "Title, row 2".
    """

    def get_formset(self, request, obj=None, **kwargs):
        base = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(base):
            def add_fields(self, form, index):
                super().add_fields(form, index)  # the delete box comes in here
                where = "new row" if index is None else f"row {index + 1}"
                for field in form.fields.values():
                    if not field.widget.is_hidden:
                        # A foreign key's select sits inside RelatedFieldWidgetWrapper,
                        # which renders its own copy of the inner widget.
                        widget = getattr(field.widget, "widget", field.widget)
                        widget.attrs.setdefault("aria-label", f"{field.label}, {where}")

        return LabelledFormSet


class ReadOnlyAdminMixin:
    """For records that are history (audit entries, what was delivered): look, never touch."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def is_number(text):
    """Digits 0-9 only: str.isdigit() also takes "²" and "٣", which int() refuses."""
    return text.isascii() and text.isdigit()


def object_or_404(queryset, object_id):
    """The admin passes ids from the URL as text; anything not a number is a 404, not a 500."""
    if not is_number(str(object_id)):
        raise Http404("No such object.")
    return get_object_or_404(queryset, pk=object_id)


def admin_page(may, *, queryset=None):
    """A ModelAdmin view about one object: that object, if this user may; else 404 or 403.

    `may(model_admin, request, obj)` says whether the user may use the page;
    `queryset(model_admin, request)` is where the object is looked for (by
    default the admin's own queryset, so whatever narrows the changelist
    narrows the page too). The view is called as view(self, request, obj, ...).
    """

    def decorate(view):
        @functools.wraps(view)
        def page(self, request, object_id, *args, **kwargs):
            rows = queryset(self, request) if queryset else self.get_queryset(request)
            obj = object_or_404(rows, object_id)
            if not may(self, request, obj):
                raise PermissionDenied
            return view(self, request, obj, *args, **kwargs)

        return page

    return decorate


def may_view(model_admin, request, obj):
    return model_admin.has_view_permission(request, obj)


def may_change(model_admin, request, obj):
    return model_admin.has_change_permission(request, obj)


def page_context(model_admin, request, obj, *, title, **extra):
    """What Django's admin templates need for a page of our own about one object."""
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": obj,
        "title": title,
        **extra,
    }
