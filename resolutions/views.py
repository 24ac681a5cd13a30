"""The reporter's pages: the form, "check your e-mail", and the confirmation link."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from campaign.models import Campaign
from resolutions.forms import ReportForm
from resolutions.selectors import campaign_open_letter, campaign_takes_reports
from resolutions.services import (
    AlreadyConfirmed,
    resolution_confirm,
    resolution_get_by_token,
    resolution_report,
)
from signatories import abuse, tokens


def _campaign_taking_reports(slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    if not campaign_takes_reports(campaign=campaign):
        raise Http404("This campaign has no model resolution.")
    return campaign


@require_http_methods(["GET", "HEAD", "POST"])
def report(request, slug):
    """ "Our body passed it": stored unconfirmed; the reporter confirms from their inbox."""
    campaign = _campaign_taking_reports(slug)
    letter = campaign_open_letter(campaign=campaign)
    action = reverse("resolutions:report", kwargs={"slug": slug}) + "#form-errors"
    if request.method != "POST":
        form = ReportForm(letter=letter, action=action)
        return render(request, "resolutions/report.html", {"campaign": campaign, "form": form})
    ip = abuse.client_ip(request)
    if abuse.report_attempt_blocked(ip):
        response = render(request, "429.html", status=429)
        response["Retry-After"] = "3600"
        return response
    form = ReportForm(request.POST, letter=letter, action=action)
    if not form.is_valid():
        return render(
            request, "resolutions/report.html", {"campaign": campaign, "form": form}, status=400
        )
    if not form.is_bot():
        # A bot that filled the hidden field is thanked the same, and nothing is stored.
        resolution_report(
            campaign=campaign,
            email=form.cleaned_data["email"],
            ip_address=ip,
            language=request.LANGUAGE_CODE,
            **form.report_fields(),
        )
    # Says back what was asked: whether the body also signs the letter.
    signs = "?signs=1" if form.cleaned_data.get("sign_letter") else ""
    return redirect(reverse("resolutions:sent", kwargs={"slug": slug}) + signs + "#main")


@require_safe
def sent(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    context = {"campaign": campaign, "signs": request.GET.get("signs") == "1"}
    return render(request, "resolutions/sent.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@abuse.limit_guessing
def confirm(request, token):
    """The link in the reporter's mail: a page with one button; only its POST confirms.

    Mail scanners fetch every link in a mail; a GET changes nothing.
    """
    try:
        if request.method != "POST":
            report = resolution_get_by_token(token=token)
            if report.confirmed_at is not None:
                raise AlreadyConfirmed(report)
            return render(
                request, "resolutions/confirm.html", {"report": report, "campaign": report.campaign}
            )
        report = resolution_confirm(token=token)
    except tokens.TokenInvalid as error:
        status, problem = (
            (410, "expired") if isinstance(error, tokens.TokenExpired) else (400, "invalid")
        )
        response = render(
            request, "resolutions/link_problem.html", {"problem": problem}, status=status
        )
        response.invalid_token = problem == "invalid"
        return response
    except AlreadyConfirmed as error:
        return render(
            request,
            "resolutions/link_problem.html",
            {"problem": "already_done", "campaign": error.resolution.campaign},
            status=409,
        )
    return render(
        request, "resolutions/confirmed.html", {"report": report, "campaign": report.campaign}
    )
