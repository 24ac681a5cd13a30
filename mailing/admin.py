"""The suppression list in the admin: what bounced or complained, adding an address, lifting one.

Not scoped to a campaign's team: an address is suppressed for every mail the
site sends, and a row shows no address (only the start of its keyed hash).
Organisers may view, add and lift (signatories/roles.py); moderators see none of it.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse

from mailing.models import Suppression, SuppressionReason
from mailing.suppression import address_hash, lift


class SuppressionAddForm(forms.ModelForm):
    """An address typed in is hashed here; the address itself is kept nowhere."""

    address = forms.EmailField(
        label="E-mail address",
        max_length=254,
        help_text=(
            "No mail of any kind goes to it from now on: confirmations, reminders, updates. "
            "For someone who asked to get no more mail, or an address known to be wrong. "
            "Stored only as its keyed hash: this page will not show it again."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "size": 40}),
    )

    class Meta:
        model = Suppression
        fields = []

    def clean_address(self):
        digest = address_hash(self.cleaned_data["address"])
        if Suppression.objects.filter(email_hash=digest).exists():
            # Not when or why: that would tell whoever types an address that it once got
            # mail from this site, and bounced or complained.
            raise ValidationError("This address is already on the list.")
        self.instance.email_hash = digest
        return ""  # not kept in cleaned_data past this point either

    def _post_clean(self):
        self.instance.reason = SuppressionReason.MANUAL
        super()._post_clean()


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["hash_start", "reason", "created_at", "provider", "event_id", "added_by"]
    list_display_links = ["hash_start"]
    list_filter = ["reason", "provider"]
    list_select_related = ["added_by"]
    list_per_page = 100
    search_fields = ["email_hash"]
    search_help_text = "A whole e-mail address (found by its hash, exactly), or a hash's start."
    actions = ["lift_selected"]
    fields = ["hash_start", "reason", "created_at", "provider", "event_id", "added_by"]
    readonly_fields = fields

    def changelist_view(self, request, extra_context=None):
        context = {"title": "Suppressed addresses: no mail goes to these", **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # One way on from adding: back to the list, which says what happened.
        context = {
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
            **(extra_context or {}),
        }
        return super().changeform_view(request, object_id, form_url, extra_context=context)

    @admin.display(description="address hash (start)", ordering="email_hash")
    def hash_start(self, obj):
        return f"{obj.email_hash[:12]}…"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = SuppressionAddForm
            kwargs["fields"] = ["address"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["address"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_search_results(self, request, queryset, search_term):
        """An address is looked up by its hash; anything else by the start of a hash."""
        term = search_term.strip()
        if "@" in term:
            return queryset.filter(email_hash=address_hash(term)), False
        if term:
            return queryset.filter(email_hash__startswith=term.lower().rstrip("…")), False
        return queryset, False

    def has_change_permission(self, request, obj=None):
        return False  # a row is a fact from the provider or an organiser: lift it, or leave it

    def has_delete_permission(self, request, obj=None):
        """A complaint is the person's own "no more mail": only a superuser lifts one (any
        organiser may lift a bounce, say once the supporter's mailbox works again)."""
        allowed = super().has_delete_permission(request, obj)
        if obj is not None and obj.reason == SuppressionReason.COMPLAINED:
            return allowed and request.user.is_superuser
        return allowed

    def save_model(self, request, obj, form, change):
        obj.added_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            "The address is suppressed: no more mail goes to it. Only its hash is kept.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:mailing_suppression_changelist"))

    def delete_model(self, request, obj):
        lift(obj)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(
            request,
            f"Suppression lifted ({obj_display}): mail may go to this address again.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:mailing_suppression_changelist"))

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # lifting, below, says what it does
        return actions

    @admin.action(
        description="Lift the selected suppressions (mail may go again)", permissions=["delete"]
    )
    def lift_selected(self, request, queryset):
        if not request.user.is_superuser:
            kept = queryset.filter(reason=SuppressionReason.COMPLAINED).count()
            queryset = queryset.exclude(reason=SuppressionReason.COMPLAINED)
            if kept:
                self.message_user(
                    request,
                    f"{kept} complaint{'s' * (kept != 1)} left on the list: only a superuser "
                    "lifts a complaint (the person asked for no more mail).",
                    messages.WARNING,
                )
        # In *Recent actions* and each row's history, as a deletion in the admin is.
        self.log_deletions(request, queryset)
        count = 0
        for suppression in queryset:
            lift(suppression)
            count += 1
        which = "that address" if count == 1 else "those addresses"
        self.message_user(
            request,
            f"{count} suppression{'s' * (count != 1)} lifted: mail may go to {which} again.",
            messages.SUCCESS,
        )
