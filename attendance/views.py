"""The event's own page with its "I'll be there" form, and the links in a sign-up's mails."""

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from attendance import abuse as attendance_abuse
from attendance import tokens
from attendance.forms import SignUpForm
from attendance.selectors import event_map_url, event_people_coming
from attendance.services import (
    AlreadyDone,
    EventNotTakingSignUps,
    SignUpGone,
    event_is_over,
    event_takes_sign_ups,
    sign_up_cancel,
    sign_up_confirm,
    sign_up_get_by_token,
    sign_up_take,
)
from campaign.models import Event
from signatories import abuse


def _event(slug, pk):
    return get_object_or_404(Event.objects.select_related("campaign"), campaign__slug=slug, pk=pk)


def _action(event):
    # A rejected form comes back opened at its error summary.
    return event.get_absolute_url() + "#form-errors"


def _event_page(request, event, form, *, status=200):
    takes = event_takes_sign_ups(event)
    if takes and form is None:
        form = SignUpForm(action=_action(event))
    context = {
        "event": event,
        "campaign": event.campaign,
        "form": form if takes else None,
        "people_coming": event_people_coming(event),
        "is_over": event_is_over(event),
        "map_url": event_map_url(event),
    }
    return render(request, "attendance/event.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def event_detail(request, slug, pk):
    """The event, how many are coming (never who), and the form to say you are."""
    event = _event(slug, pk)
    if request.method != "POST":
        return _event_page(request, event, None)
    if not event_takes_sign_ups(event):
        return _event_page(request, event, None, status=409)
    if attendance_abuse.sign_up_blocked(abuse.client_ip(request)):
        response = render(request, "429.html", status=429)
        response["Retry-After"] = "3600"
        return response
    form = SignUpForm(request.POST, action=_action(event))
    if not form.is_valid():
        return _shown_again(request, event, form)
    if form.too_fast():
        form.add_error(
            None,
            _("That was very quick. Please check your details and press the button again."),
        )
        return _shown_again(request, event, form)
    stamp = form.cleaned_data.get("rendered")
    # A stamp sent before (a double tap, a script replaying one form for many addresses)
    # takes nothing a second time; the page is the same as for a sign-up taken.
    if abuse.form_stamp_spend(stamp):
        try:
            sign_up_take(
                event=event,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                people=form.cleaned_data["people"],
                language=request.LANGUAGE_CODE,
                mail=not form.looks_like_a_bot(),
            )
        except EventNotTakingSignUps:
            return _event_page(request, event, None, status=409)
    return redirect(reverse("attendance:thanks", kwargs={"slug": slug, "pk": pk}) + "#main")


def _shown_again(request, event, form):
    form.data = form.data.copy()
    form.data["rendered"] = abuse.form_stamp_renewed(form.data.get("rendered", ""))
    return _event_page(request, event, form, status=400)


@require_safe
def thanks(request, slug, pk):
    event = _event(slug, pk)
    return render(
        request,
        "attendance/thanks.html",
        {"event": event, "campaign": event.campaign},
    )


def _link_problem(request, error, *, action):
    """A clear page for a link that cannot be used; nothing has changed."""
    event = None
    if isinstance(error, tokens.TokenExpired):
        status, problem = 410, "expired"
    elif isinstance(error, SignUpGone):
        status, problem = 410, "gone"
    elif isinstance(error, AlreadyDone):
        status, problem, event = 409, "already_done", error.sign_up.event
    elif isinstance(error, EventNotTakingSignUps):
        status, problem = 409, "closed"
    else:
        status, problem = 400, "invalid"
    response = render(
        request,
        "attendance/link_problem.html",
        {"problem": problem, "action": action, "event": event},
        status=status,
    )
    response.invalid_token = problem == "invalid"
    return response


def _page(request, template, sign_up, event, **extra):
    return render(
        request,
        template,
        {
            "sign_up": sign_up,
            "event": event,
            "campaign": event.campaign,
            "people_coming": event_people_coming(event),
            **extra,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@abuse.limit_guessing
def confirm(request, token):
    """The link in the first mail: a page with one button; only its POST confirms.

    Mail scanners fetch every link in a mail: a GET changes nothing.
    """
    if request.method != "POST":
        try:
            sign_up = sign_up_get_by_token(token=token, purpose=tokens.CONFIRM)
        except tokens.TokenInvalid as error:
            return _link_problem(request, error, action="confirm")
        if sign_up.confirmed_at is not None:
            return _link_problem(request, AlreadyDone(sign_up), action="confirm")
        if not event_takes_sign_ups(sign_up.event):
            return _link_problem(request, EventNotTakingSignUps(), action="confirm")
        return _page(request, "attendance/confirm.html", sign_up, sign_up.event)
    try:
        sign_up = sign_up_confirm(token=token)
    except (tokens.TokenInvalid, AlreadyDone, EventNotTakingSignUps) as error:
        return _link_problem(request, error, action="confirm")
    return _page(
        request,
        "attendance/confirmed.html",
        sign_up,
        sign_up.event,
        map_url=event_map_url(sign_up.event),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@abuse.limit_guessing
def cancel(request, token):
    """GET asks, POST cancels: a scanner following the link cancels nothing."""
    if request.method != "POST":
        try:
            sign_up = sign_up_get_by_token(token=token, purpose=tokens.CANCEL)
        except tokens.TokenInvalid as error:
            return _link_problem(request, error, action="cancel")
        return _page(request, "attendance/cancel.html", sign_up, sign_up.event)
    try:
        event = sign_up_cancel(token=token)
    except tokens.TokenInvalid as error:
        return _link_problem(request, error, action="cancel")
    return _page(request, "attendance/cancelled.html", None, event)
