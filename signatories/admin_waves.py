"""The moderators' pages for a bot wave, and the site-wide pause of signing.

- `WavePages` (mixed into SignatoryAdmin): a letter's recent signatures in
  clusters (signatories/waves.py), a preview of rejecting or holding one
  whole cluster, the decision as one audited action, and its undo. Open to
  the letter's team, moderators included; never an e-mail address on these
  pages (an organiser who may see contacts sees a domain's name).
- `SigningPauseAdmin`: the switch that pauses signing on every letter with a
  message, and lifts it, with the record of each time. Superusers, and anyone
  a superuser gives "Can pause and resume signing on every letter": the
  switch reaches every campaign, and each organiser's reach ends at their
  own team's (they can close their own letter, or deal with its wave here).
"""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from config.admin import is_number, object_or_404
from letters.models import Letter
from signatories import waves
from signatories.models import ModerationAction, SigningPause
from signatories.pause import signing_pause_current
from signatories.services.pause import signing_pause, signing_resume
from signatories.services.waves import (
    NotUndoable,
    is_undoable,
    wave_decide,
    wave_undo,
    wave_undo_preview,
)
from signatories.waves import (
    ClusterKind,
    rows_fingerprint,
    wave_cluster,
    wave_clusters,
    wave_preview,
    wave_window,
)
from teams.access import ANY_ROLE, may_see_contacts, team_allows, team_filter

PAUSE_PERMISSION = "signatories.pause_signing"
DECISION_WORDS = {
    "reject": ("Reject", "rejected"),
    "hold": ("Hold", "held for a decision"),
}
STATUS_WORDS = {
    "pending": "awaiting a decision",
    "approved": "approved",
    "rejected": "rejected",
    "held": "held as suspect",
    "unconfirmed": "not confirmed by e-mail yet",
}


class WindowForm(forms.Form):
    """Which recent signatures to look at: the last so many hours, or since a moment."""

    hours = forms.TypedChoiceField(
        label="Signed in",
        choices=[
            (1, "the last hour"),
            (6, "the last 6 hours"),
            (24, "the last 24 hours"),
            (72, "the last 3 days"),
            (168, "the last 7 days"),
        ],
        coerce=int,
        initial=24,
        required=False,
    )
    since = forms.DateTimeField(
        label="or since",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="A moment of your choosing (server time); it wins over the hours.",
    )

    def clean_since(self):
        since = self.cleaned_data.get("since")
        if since is not None and since > timezone.now():
            raise ValidationError("Choose a moment in the past.")
        return since

    def window_start(self):
        if not self.is_valid():
            return timezone.now() - timedelta(hours=24)
        since = self.cleaned_data.get("since")
        if since is not None:
            return since
        return timezone.now() - timedelta(hours=self.cleaned_data.get("hours") or 24)


class WavePages:
    """SignatoryAdmin's bot-wave pages."""

    def get_urls(self):
        def page(route, view, name):
            return path(route, self.admin_site.admin_view(view), name=f"signatories_{name}")

        return [
            page("waves/", self.waves_choose_view, "waves"),
            page("waves/<path:letter_id>/preview/", self.wave_preview_view, "wave_preview"),
            page("waves/undo/<path:action_id>/", self.wave_undo_view, "wave_undo"),
            page("waves/<path:letter_id>/", self.waves_view, "waves_letter"),
            *super().get_urls(),
        ]

    # Who may: the letter's team (any role) with the signatures' view or change permission.

    def _team_letters(self, request):
        return team_filter(Letter.objects.select_related("campaign"), request.user, "campaign")

    def _wave_letter(self, request, letter_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return object_or_404(self._team_letters(request), letter_id)

    def _may_decide(self, request, letter):
        return self.has_change_permission(request) and team_allows(
            request.user, letter.campaign_id, ANY_ROLE
        )

    def _context(self, request, letter, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "letter": letter,
            "show_domains": may_see_contacts(request.user, letter.campaign_id),
            **extra,
        }

    def waves_choose_view(self, request):
        """Which letter: the one asked for, the only one, or a list to choose from."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        letters = self._team_letters(request).order_by("title")
        chosen = request.GET.get("letter", "")
        if is_number(chosen):
            return redirect("admin:signatories_waves_letter", chosen)
        only = list(letters[:2])
        if len(only) == 1:
            return redirect("admin:signatories_waves_letter", only[0].pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Find a bot wave: choose a letter",
            "letters": letters.exclude(status=Letter.Status.DRAFT),
        }
        return TemplateResponse(request, "admin/signatories/signatory/waves_choose.html", context)

    def waves_view(self, request, letter_id):
        """The letter's recent signatures in clusters, and the recent decisions on them."""
        letter = self._wave_letter(request, letter_id)
        form = WindowForm(request.GET or None)
        since = form.window_start()
        window = wave_window(letter=letter, since=since)
        kinds = wave_clusters(window)
        may_decide = self._may_decide(request, letter)
        for kind in kinds:
            for cluster in kind.clusters:
                cluster.links = {
                    decision: _preview_url(letter, window, cluster, decision)
                    for decision in DECISION_WORDS
                }
        decisions = list(
            ModerationAction.objects.filter(letter=letter)
            .select_related("moderator")
            .order_by("-decided_at", "-pk")[:10]
        )
        undone = set(
            ModerationAction.objects.filter(undoes__in=[d.pk for d in decisions]).values_list(
                "undoes_id", flat=True
            )
        )
        for decision in decisions:
            decision.may_undo = (
                may_decide and decision.decision in DECISION_WORDS and decision.pk not in undone
            )
        context = self._context(
            request,
            letter,
            title=f"Bot waves: {letter}",
            form=form,
            window=window,
            window_rows=waves.WINDOW_ROWS,
            kinds=kinds,
            found_any=any(kind.clusters for kind in kinds),
            may_decide=may_decide,
            decisions=decisions,
            pause=signing_pause_current(),
            may_pause=request.user.has_perm(PAUSE_PERMISSION),
        )
        return TemplateResponse(request, "admin/signatories/signatory/waves.html", context)

    def wave_preview_view(self, request, letter_id):
        """What rejecting or holding one cluster will change (GET); doing it (POST)."""
        letter = self._wave_letter(request, letter_id)
        if not self._may_decide(request, letter):
            raise PermissionDenied
        params = request.POST if request.method == "POST" else request.GET
        decision = params.get("decision", "")
        kind = params.get("kind", "")
        try:
            since = parse_datetime(params.get("since", "")[:40])
        except ValueError:  # well formed, but no such moment ("2024-13-01T00:00")
            since = None
        upto = params.get("upto", "")
        back = reverse("admin:signatories_waves_letter", args=[letter.pk])
        if (
            decision not in DECISION_WORDS
            or kind not in ClusterKind.values
            or since is None
            or not is_number(upto)
        ):
            return TemplateResponse(
                request,
                "admin/signatories/signatory/wave_gone.html",
                self._context(
                    request,
                    letter,
                    title="This preview's address is not complete",
                    back=back,
                    why="The link lacks part of what it needs. Start again from the clusters.",
                ),
                status=400,
            )
        window = wave_window(letter=letter, since=since, upto=int(upto))
        cluster = wave_cluster(window, kind=kind, key=params.get("key", "")[:200])
        if cluster is None:
            return TemplateResponse(
                request,
                "admin/signatories/signatory/wave_gone.html",
                self._context(
                    request,
                    letter,
                    title="This cluster is not there any more",
                    back=back,
                    why="Its signatures have been decided on since (or withdrawn), so it "
                    "no longer holds enough alike to be a cluster. Nothing was changed.",
                ),
                status=404 if request.method != "POST" else 409,
            )
        preview = wave_preview(cluster, decision=decision, moderation=letter.moderation)
        fingerprint = rows_fingerprint(preview.changing)
        changed_since = False
        if request.method == "POST":
            if params.get("fingerprint") == fingerprint and preview.changing:
                verb, done = DECISION_WORDS[decision]
                note = (
                    f"{verb} a bot wave: {cluster.kind_label.lower()} ({cluster.label}), "
                    f"{len(preview.changing)} signed "
                    f"{timezone.localtime(cluster.first):%d %b %H:%M}"
                    f"–{timezone.localtime(cluster.last):%d %b %H:%M}"
                )
                action = wave_decide(
                    letter=letter,
                    pks=[row.pk for row in preview.changing],
                    decision=decision,
                    moderator=request.user,
                    note=note,
                )
                messages.success(
                    request,
                    f"{action.count} signature{'s' * (action.count != 1)} {done}, in one "
                    f"decision. Changed your mind? Undo it under “Decisions on this letter's "
                    f"waves” below.",
                )
                return redirect(f"{back}#decisions")
            changed_since = params.get("fingerprint") != fingerprint
        verb, done = DECISION_WORDS[decision]
        context = self._context(
            request,
            letter,
            title=f"{verb} {len(preview.changing)} signatures: are you sure?",
            cluster=cluster,
            preview=preview,
            by_status=[
                (STATUS_WORDS.get(status, status), n) for status, n in preview.by_status.items()
            ],
            decision=decision,
            verb=verb,
            done=done,
            fingerprint=fingerprint,
            since=since.isoformat(),
            upto=upto,
            back=back,
            changed_since=changed_since,
        )
        return TemplateResponse(
            request,
            "admin/signatories/signatory/wave_preview.html",
            context,
            status=409 if changed_since else 200,
        )

    def wave_undo_view(self, request, action_id):
        """What undoing a wave's decision puts back, and who is left alone (GET); undo (POST)."""
        if not is_number(str(action_id)):
            raise Http404("No such decision.")
        action = (
            ModerationAction.objects.filter(letter__in=self._team_letters(request), pk=action_id)
            .select_related("letter", "moderator")
            .first()
        )
        if action is None or action.decision not in DECISION_WORDS:
            raise Http404("No such decision on a bot wave.")
        letter = action.letter
        if not self._may_decide(request, letter):
            raise PermissionDenied
        back = reverse("admin:signatories_waves_letter", args=[letter.pk])
        if request.method == "POST":
            try:
                _undo, plan = wave_undo(action=action, moderator=request.user)
            except NotUndoable:
                messages.warning(request, "This decision has been undone already.")
                return redirect(f"{back}#decisions")
            text = f"Undone: {plan.restored} signature{'s' * (plan.restored != 1)} back as before"
            if plan.back_to:
                text += (
                    " ("
                    + ", ".join(
                        f"{n} {STATUS_WORDS.get(status, status)}"
                        for status, n in plan.back_to.items()
                    )
                    + ")"
                )
            text += "."
            if plan.left_alone:
                text += (
                    f" {plan.left_alone} decided on since by someone else "
                    f"{'were' if plan.left_alone != 1 else 'was'} left alone."
                )
            messages.success(request, text)
            return redirect(f"{back}#decisions")
        if request.method not in {"GET", "HEAD"}:
            return HttpResponseNotAllowed(["GET", "POST"])
        undoable = is_undoable(action)
        plan = wave_undo_preview(action) if undoable else None
        context = self._context(
            request,
            letter,
            title=f"Undo: {action.note or action}",
            action=action,
            undoable=undoable,
            undone_by=None if undoable else ModerationAction.objects.filter(undoes=action).first(),
            plan=plan,
            back_to=[(STATUS_WORDS.get(status, status), n) for status, n in plan.back_to.items()]
            if plan
            else [],
            back=back,
        )
        return TemplateResponse(request, "admin/signatories/signatory/wave_undo.html", context)


def _preview_url(letter, window, cluster, decision):
    query = urlencode(
        {
            "kind": cluster.kind,
            "key": cluster.key,
            "decision": decision,
            "since": window.since.isoformat(),
            "upto": window.upto or 0,
        }
    )
    return f"{reverse('admin:signatories_wave_preview', args=[letter.pk])}?{query}"


# The site-wide pause.


class PauseForm(forms.Form):
    message = forms.CharField(
        label="Message on every letter page while signing is paused",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text="In the words signers should read, e.g. why and until when. Up to 1,000 "
        "characters; shown in place of the sign form on every letter.",
    )


DEFAULT_PAUSE_MESSAGE = (
    "Signing is paused for a short while. Please come back later: your name is welcome."
)


@admin.register(SigningPause)
class SigningPauseAdmin(admin.ModelAdmin):
    """The record of pauses, newest first, under the switch itself."""

    list_display = ["changed_at", "what", "message", "changed_by"]
    list_select_related = ["changed_by"]
    actions = None
    list_display_links = None

    def _may(self, request):
        return request.user.is_active and request.user.has_perm(PAUSE_PERMISSION)

    def has_module_permission(self, request):
        return self._may(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request)

    def has_add_permission(self, request):
        return False  # through the switch only

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="what")
    def what(self, obj):
        return "Paused" if obj.paused else "Resumed"

    def get_urls(self):
        return [
            path(
                "switch/",
                self.admin_site.admin_view(self.switch_view),
                name="signatories_signingpause_switch",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        pause = signing_pause_current()
        form = PauseForm(initial={"message": pause.message or DEFAULT_PAUSE_MESSAGE})
        context = {
            "title": "Signing on every letter",
            "pause": pause,
            "pause_record": SigningPause.objects.select_related("changed_by").first(),
            "pause_form": form,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def switch_view(self, request):
        if not self._may(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        back = reverse("admin:signatories_signingpause_changelist")
        if request.POST.get("paused") == "no":
            try:
                signing_resume(by=request.user)
            except ValidationError as error:
                messages.warning(request, " ".join(error.messages))
            else:
                messages.success(request, "Signing is open again on every open letter.")
            return redirect(back)
        form = PauseForm(request.POST)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Signing on every letter",
                "pause": signing_pause_current(),
                "pause_form": form,
            }
            return TemplateResponse(
                request, "admin/signatories/signingpause/switch.html", context, status=400
            )
        try:
            signing_pause(message=form.cleaned_data["message"], by=request.user)
        except ValidationError as error:
            messages.warning(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                "Signing is paused on every letter: each letter page shows your message "
                "in place of the form.",
            )
        return redirect(back)
