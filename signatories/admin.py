from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.db.models import Count, Exists, OuterRef
from django.utils.html import format_html, format_html_join
from django.utils.text import smart_split, unescape_string_literal

from config.admin import CappedCountPaginator, ReadOnlyAdminMixin
from config.widgets import QuickHiddenInput, QuickSelect, QuickTextInput
from letters.models import Letter
from mailing.models import Suppression
from signatories.admin_waves import WavePages  # also registers the pause of signing
from signatories.models import ModerationAction, ModerationEntry, Signatory
from signatories.services.entry import signatory_admin_save
from signatories.services.moderation import (
    signatories_decide,
    signatories_set_notable,
    signatory_decide_to,
)
from signatories.signals import addresses_removed_send
from teams.access import (
    ANY_ROLE,
    ORGANISER,
    may_see_contacts,
    may_see_contacts_everywhere,
    team_allows,
    team_campaign_ids,
    team_filter,
)
from teams.admin import TeamScopedAdmin
from teams.models import LookedAt
from teams.services import contact_view_record


class ModerationQueueFilter(admin.SimpleListFilter):
    """Opens on the work to do: confirmed signatures nobody has decided on yet."""

    title = "moderation"
    parameter_name = "queue"
    DEFAULT = "awaiting"
    TITLES = {
        "awaiting": "Moderation queue: awaiting a decision",
        "suspect": "Moderation queue: held as suspect",
        "approved": "Approved signatures",
        "rejected": "Rejected signatures",
        "unconfirmed": "Signatures not confirmed by e-mail yet",
        "withdrawn": "Withdrawn signatures",
        "all": "All signatures",
    }

    def __init__(self, request, params, model, model_admin):
        self.shown = self.in_view(request)
        super().__init__(request, params, model, model_admin)

    @classmethod
    def in_view(cls, request):
        """The queue a request's list shows, before the filter is built (the columns ask)."""
        # A search looks across every status unless a queue was chosen with it.
        searching = bool(request.GET.get("q")) and cls.parameter_name not in request.GET
        return request.GET.get(cls.parameter_name) or ("all" if searching else cls.DEFAULT)

    def lookups(self, request, model_admin):
        return [
            ("awaiting", "Awaiting a decision"),
            ("suspect", "Held as suspect"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("unconfirmed", "Not confirmed yet"),
            ("withdrawn", "Withdrawn"),
            ("all", "All"),
        ]

    def value(self):
        return super().value() or self.shown

    def choices(self, changelist):
        # No separate "All" entry on top: "All" is one of the lookups, and the
        # default is the queue, not everything.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        shown = {
            "awaiting": queryset.awaiting_decision,
            "suspect": queryset.held_as_suspect,
            "approved": queryset.approved,
            "rejected": queryset.rejected,
            "unconfirmed": queryset.unconfirmed,
            "withdrawn": queryset.withdrawn,
            "all": queryset.all,
        }.get(self.value(), queryset.none)
        return shown()


class LetterFilter(admin.SimpleListFilter):
    """The letters of the user's campaigns, from the letter table (never a scan of signatures).

    Django's RelatedOnlyFieldListFilter lists the letters that have
    signatures by reading every signature's letter: at six million rows,
    seconds on every page of the queue.
    """

    title = "letter"
    parameter_name = "letter__id__exact"

    def lookups(self, request, model_admin):
        letters = team_filter(Letter.objects.all(), request.user, "campaign")
        rows = letters.order_by("title").values_list("pk", "title")
        return [(str(pk), title) for pk, title in rows]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(letter_id=int(value))
        return queryset


class DecisionFilter(admin.ChoicesFieldListFilter):
    """The status field alone, whatever else: told apart from the queue above it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "decision, confirmed or not"


class ConfirmedFilter(admin.SimpleListFilter):
    title = "confirmed by e-mail"
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.confirmed()
        if self.value() == "no":
            return queryset.filter(confirmed_at__isnull=True)
        return queryset


def mail_undeliverable():
    """Whether the signature's address is on the suppression list (it bounced or complained):
    one indexed lookup by hash per row, inside the list's own query (mailing/models.py)."""
    return Exists(Suppression.objects.filter(email_hash=OuterRef("email_hash")))


class MailUndeliverableFilter(admin.SimpleListFilter):
    """Signatures whose address bounced or complained: no confirmation or update reaches them."""

    title = "mail undeliverable"
    parameter_name = "undeliverable"

    def lookups(self, request, model_admin):
        return [("yes", "Mail undeliverable"), ("no", "Mail deliverable")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(mail_undeliverable())
        if self.value() == "no":
            return queryset.exclude(mail_undeliverable())
        return queryset


class SignatoryAdminForm(forms.ModelForm):
    """A signature added in the admin is an organiser's entry, from the start."""

    class Meta:
        model = Signatory
        # The admin narrows these to its fieldsets (and drops email without the permission).
        fields = [
            "letter",
            "kind",
            "name",
            "affiliation",
            "sort_name",
            "email",
            "status",
            "paper_sheet",
            "display",
            "consents_to_updates",
            "is_notable",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            self.instance.source = Signatory.Source.ORGANISER


@admin.register(Signatory)
class SignatoryAdmin(WavePages, TeamScopedAdmin, admin.ModelAdmin):
    team_change_roles = ANY_ROLE  # moderators decide on signatures
    form = SignatoryAdminForm
    # Fits 1280 pixels with the e-mail column (admin-extra.css lets long text wrap);
    # the source is among the flags when it is not the web form.
    list_display = [
        "name",
        "affiliation",
        "kind",
        "sort_name",
        "status",
        "flags",
        "confirmed",
        "signed",
        "letter",
    ]
    list_display_links = ["name"]
    list_editable = ["kind", "sort_name"]
    list_filter = [
        ModerationQueueFilter,
        LetterFilter,
        ("status", DecisionFilter),
        "kind",
        "source",
        ConfirmedFilter,
        MailUndeliverableFilter,
        "is_notable",
        "suspicion",
        "display",
    ]
    list_select_related = ["letter"]
    list_per_page = 100
    # A full COUNT(*) of 100,000 rows on every page is the slow part of a big
    # changelist: the filtered list is counted up to a cap (config/admin.py),
    # the whole table never, and no facet counts beside the filters.
    show_full_result_count = False
    paginator = CappedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["name", "affiliation"]
    actions = ["approve", "reject", "restore", "mark_notable", "unmark_notable"]
    readonly_fields = [
        "source",
        "suspicion",
        "anonymised_at",
        "confirmed_at",
        "reminder_sent_at",
        "withdrawn_at",
        "ip_hash",
        "created_at",
        "history",
    ]
    fieldsets = [
        (None, {"fields": ["letter", "kind", "name", "affiliation", "sort_name", "email"]}),
        (
            "Status",
            {
                "fields": [
                    "status",
                    "suspicion",
                    "source",
                    "paper_sheet",
                    "confirmed_at",
                    "reminder_sent_at",
                    "withdrawn_at",
                ]
            },
        ),
        ("Privacy", {"fields": ["display", "consents_to_updates", "ip_hash", "anonymised_at"]}),
        ("On the page", {"fields": ["is_notable"]}),
        ("Record", {"fields": ["created_at", "history"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        queue = request.GET.get(ModerationQueueFilter.parameter_name)
        # The words searched for are not repeated: a moderator may have typed an address.
        if request.GET.get("q") and not queue:
            title = "Search results in all signatures"
        else:
            title = ModerationQueueFilter.TITLES.get(queue or ModerationQueueFilter.DEFAULT)
        context = {
            "title": title or "Signatures",
            "queue_chosen": ModerationQueueFilter.TITLES.get(queue) if queue else None,
            **(extra_context or {}),
        }
        response = super().changelist_view(request, extra_context=context)
        if may_see_contacts_everywhere(request.user) and hasattr(response, "context_data"):
            self._record_list_look(request, response.context_data["cl"].result_list)
        return response

    def _record_list_look(self, request, rows):
        """The e-mail column shows addresses: each letter's in the access log, as counted."""
        shown = {}
        for signatory in rows:  # evaluates the page's rows once; the template reuses them
            if signatory.email:
                letter, count = shown.get(signatory.letter_id, (signatory.letter, 0))
                shown[signatory.letter_id] = (letter, count + 1)
        for letter, count in shown.values():
            contact_view_record(
                user=request.user, letter=letter, what=LookedAt.SIGNATURE_LIST, addresses=count
            )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.email and may_see_contacts(request.user, obj.letter.campaign_id):
            contact_view_record(
                user=request.user, letter=obj.letter, what=LookedAt.SIGNATURE_PAGE, addresses=1
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_changelist_form(self, request, **kwargs):
        """Each row's editable cells named for screen readers ("Kind of Ada Lovelace")."""
        base = super().get_changelist_form(request, **kwargs)

        class RowForm(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                # Written directly, not through templates: a hundred rows of them.
                quick = {"kind": QuickSelect, "sort_name": QuickTextInput, "id": QuickHiddenInput}
                for name, widget in quick.items():
                    if name in self.fields:
                        old = self.fields[name].widget
                        new = widget(attrs=old.attrs)
                        new.choices = getattr(old, "choices", ())
                        self.fields[name].widget = new
                for field, label in [("kind", "Kind"), ("sort_name", "Sort name")]:
                    if field in self.fields:
                        self.fields[field].widget.attrs["aria-label"] = (
                            f"{label} of {self.instance.name}"
                        )

        return RowForm

    # Contact details: for organisers with the contact permission, campaign by campaign.
    # Lists and searches span campaigns: e-mail there only for an organiser of every
    # campaign they are on (a moderator elsewhere could otherwise search by address).

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if may_see_contacts_everywhere(request.user):
            columns.insert(2, "email_address")
        if request.GET.get(LetterFilter.parameter_name) or len(self._letters(request)) == 1:
            # One letter in view: its name in every row is noise, and the room it takes
            # pushed the signing date off a 1280-pixel screen beside the e-mail column.
            columns.remove("letter")
        if ModerationQueueFilter.in_view(request) == "awaiting":
            # Awaiting a decision means confirmed: a column of ticks says nothing, and a
            # second letter's column needs its room on a 1280-pixel screen.
            columns.remove("confirmed")
        return columns

    def _letters(self, request):
        """The ids of the letters this user's list can hold (superusers: all), read once a
        request: the columns and the rows both ask."""
        if not hasattr(request, "_signatory_letters"):
            letters = Letter.objects.order_by()
            if not request.user.is_superuser:
                letters = letters.filter(campaign__in=team_campaign_ids(request.user))
            request._signatory_letters = list(letters.values_list("pk", flat=True))
        return request._signatory_letters

    @admin.display(description="email")
    def email_address(self, obj):
        # Not sortable: the column holds ciphertext, whose order means nothing.
        return obj.email

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        changelist.search_help_text = (
            "A name or an organisation, or a whole e-mail address (found exactly)."
            if may_see_contacts_everywhere(request.user)
            else "A name or an organisation."
        )
        return changelist

    def get_search_results(self, request, queryset, search_term):
        """An address is found by its keyed hash, exactly (the column itself is encrypted);
        words in the name or the affiliation, each, through one trigram index
        (SignatoryQuerySet.matching_words). Quoted words stay together, as in Django's own."""
        term = search_term.strip()
        if "@" in term and may_see_contacts_everywhere(request.user):
            return queryset.with_email(term), False
        words = []
        for bit in smart_split(term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1] and len(bit) > 1:
                bit = unescape_string_literal(bit)
            if bit:
                words.append(bit)
        if not words:
            return queryset, False
        return queryset.matching_words(words), False

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        campaign = obj.letter.campaign_id if obj is not None else None
        if obj is None and may_see_contacts_everywhere(request.user):
            return fieldsets
        if obj is not None and may_see_contacts(request.user, campaign):
            return fieldsets
        return [
            (title, {**opts, "fields": [f for f in opts["fields"] if f != "email"]})
            for title, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Names typed by organisers stay editable; who signed on the web does not change.
            fields.append("letter")
            if not team_allows(request.user, obj.letter.campaign_id, ORGANISER):
                # The signer's own choices: a moderator decides on the signature, not these.
                fields += ["display", "consents_to_updates"]
        return fields

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), "status": Signatory.Status.APPROVED}

    def get_queryset(self, request):
        """The team's signatures by their letters' ids, not through a join to the letters.

        With the join, PostgreSQL counted a queue such as *Not confirmed yet* by AND-ing a
        bitmap of every one of a letter's 6 million rows (0.9 s); given the few letter ids,
        it reads the queue's own index and stops at the capped count (30 ms).
        """
        queryset = super(TeamScopedAdmin, self).get_queryset(request)
        # The flags column marks an address that bounced or complained (no query per row).
        queryset = queryset.annotate(mail_undeliverable=mail_undeliverable())
        if request.user.is_superuser:
            return queryset
        return queryset.filter(letter_id__in=self._letters(request))

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        """The decisions first; deleting (rarely wanted: a signer's erasure) last."""
        actions = super().get_actions(request, action_location=action_location)
        deleting = actions.pop("delete_selected", None)
        if deleting is not None:
            actions["delete_selected"] = deleting
        return actions

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        addresses_removed_send(obj.letter_id)

    def delete_queryset(self, request, queryset):
        letter_ids = set(queryset.values_list("letter_id", flat=True).distinct())
        super().delete_queryset(request, queryset)
        for letter_id in letter_ids:
            addresses_removed_send(letter_id)

    def save_model(self, request, obj, form, change):
        decided = change and "status" in form.changed_data
        if decided:
            # The status goes through the audited decision, as the bulk actions' do.
            chosen, obj.status = obj.status, form.initial["status"]
        signatory_admin_save(signatory=obj, changed_fields=form.changed_data, created=not change)
        if decided:
            action = signatory_decide_to(signatory=obj, status=chosen, moderator=request.user)
            obj.refresh_from_db(fields=["status"])
            if action is None or not action.count:
                self.message_user(
                    request,
                    "The status was not changed: no decision leads there.",
                    messages.WARNING,
                )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "sort_name":
            # Narrow enough that the queue's columns fit a laptop screen.
            kwargs["widget"] = forms.TextInput(attrs={"size": 18})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="flags")
    def flags(self, obj):
        marks = []
        if obj.source != Signatory.Source.WEB:
            marks.append(obj.get_source_display())
        if obj.suspicion == Signatory.Suspicion.SHARED:
            marks.append("Shared address")  # a meeting or an office; not held
        elif obj.suspicion:
            marks.append(f"⚠ {obj.get_suspicion_display()}")
        if obj.display != Signatory.Display.FULL:
            marks.append(obj.get_display_display().split(",")[0])
        if getattr(obj, "mail_undeliverable", False):
            marks.append("✉ Mail undeliverable")  # bounced or complained: mailing/admin.py
        return "; ".join(marks) or "-"

    @admin.display(description="signed", ordering="created_at")
    def signed(self, obj):
        return obj.created_at.strftime("%d %b %Y")

    @admin.display(description="confirmed", boolean=True, ordering="confirmed_at")
    def confirmed(self, obj):
        """Only the web form confirms by e-mail; an organiser vouches for the rest (blank)."""
        if obj.source != Signatory.Source.WEB:
            return None
        return obj.confirmed_at is not None

    @admin.display(description="moderation history")
    def history(self, obj):
        entries = obj.moderation_entries.select_related("action__moderator").order_by(
            "-action__decided_at"
        )
        if not entries:
            if obj.source != Signatory.Source.WEB:
                return "No decisions yet: approved when an organiser entered it."
            return "No decisions yet."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} by {} on {} (was {})</li>",
                (
                    (
                        e.action.get_decision_display(),
                        e.action.moderator,
                        e.action.decided_at.strftime("%d %b %Y %H:%M"),
                        e.get_from_status_display().lower(),
                    )
                    for e in entries
                ),
            ),
        )

    def _decide(self, request, queryset, decision):
        action = signatories_decide(queryset=queryset, decision=decision, moderator=request.user)
        plural = "s" * (action.count != 1)
        self.message_user(
            request,
            f"{action.get_decision_display()}: {action.count} signature{plural}.",
            messages.SUCCESS if action.count else messages.WARNING,
        )

    @admin.action(description="Approve selected signatures", permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, ModerationAction.Decision.APPROVE)

    @admin.action(description="Reject selected signatures", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, ModerationAction.Decision.REJECT)

    @admin.action(description="Restore selected signatures to the queue", permissions=["change"])
    def restore(self, request, queryset):
        self._decide(request, queryset, ModerationAction.Decision.RESTORE)

    @admin.action(description="List as notable at the top of the page", permissions=["change"])
    def mark_notable(self, request, queryset):
        count = signatories_set_notable(queryset=queryset, notable=True)
        self.message_user(request, f"{count} marked notable.", messages.SUCCESS)

    @admin.action(description="No longer notable", permissions=["change"])
    def unmark_notable(self, request, queryset):
        count = signatories_set_notable(queryset=queryset, notable=False)
        self.message_user(request, f"{count} no longer notable.", messages.SUCCESS)


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Decisions that touched a signature of the user's campaigns."""

    list_display = ["decided_at", "decision", "count", "moderator"]
    list_filter = ["decision", ("moderator", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["moderator"]
    date_hierarchy = "decided_at"
    fields = ["decided_at", "decision", "moderator", "count", "letters"]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        touched = ModerationEntry.objects.filter(
            signatory__letter__campaign__in=team_campaign_ids(request.user)
        ).values("action")
        return queryset.filter(pk__in=touched)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and not request.user.is_superuser:
            # A decision across campaigns shows only the letters of the user's own.
            obj.visible_entries = obj.entries.filter(
                signatory__letter__campaign__in=team_campaign_ids(request.user)
            )
        return obj

    @admin.display(description="signatures per letter")
    def letters(self, obj):
        entries = obj.visible_entries if hasattr(obj, "visible_entries") else obj.entries.all()
        rows = (
            entries.values("signatory__letter__title")
            .annotate(n=Count("pk"))
            .order_by("signatory__letter__title")
        )
        return format_html_join(
            ", ", "{} ({})", ((r["signatory__letter__title"], r["n"]) for r in rows)
        )
