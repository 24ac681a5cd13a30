from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from letters.models import Delivery
from letters.selectors import (
    letter_get_public,
    letter_published_page,
    letter_signature_counts,
)
from signatories import abuse
from signatories.forms import SignForm
from signatories.services import LetterNotOpen, signatory_sign


def _render_letter(request, letter, form, status=200):
    count, unnamed = letter_signature_counts(letter=letter)
    page = letter_published_page(
        letter=letter, page_number=request.GET.get("page"), listed_count=count - unnamed
    )
    return render(
        request,
        "letters/letter_detail.html",
        {
            "letter": letter,
            "campaign": letter.campaign,
            "form": form,
            "page": page,
            "count": count,
            "unnamed": unnamed,
        },
        status=status,
    )


@require_safe
def letter_detail(request, slug):
    letter = letter_get_public(slug=slug)
    form = (
        SignForm(action=reverse("letters:sign", kwargs={"slug": slug})) if letter.is_open else None
    )
    return _render_letter(request, letter, form)


@require_http_methods(["GET", "HEAD", "POST"])
def letter_sign(request, slug):
    letter = letter_get_public(slug=slug)
    if request.method != "POST":
        return redirect(letter)
    ip = abuse.client_ip(request)
    if abuse.sign_attempt_blocked(ip):
        response = render(request, "429.html", status=429)
        response["Retry-After"] = "60"
        return response
    form = SignForm(request.POST, action=reverse("letters:sign", kwargs={"slug": slug}))
    if not letter.is_open:
        return _render_letter(request, letter, None, status=409)
    if not form.is_valid():
        return _render_letter(request, letter, form, status=400)
    suspicion = form.suspicion() or abuse.sign_rate_suspicion(ip, letter)
    try:
        signatory_sign(letter=letter, ip_address=ip, suspicion=suspicion, **form.signature_fields())
    except LetterNotOpen:
        return _render_letter(request, letter, None, status=409)
    except ValidationError as error:
        form.add_error(None, error.messages)
        return _render_letter(request, letter, form, status=400)
    # The same redirect whether the address is new or has signed before.
    return redirect("letters:thanks", slug=letter.slug)


@require_safe
def letter_thanks(request, slug):
    letter = letter_get_public(slug=slug)
    return render(request, "letters/thanks.html", {"letter": letter, "campaign": letter.campaign})


@require_safe
def letter_delivered_pdf(request, slug):
    """The PDF exactly as it was handed in; it holds names, never an e-mail address."""
    letter = letter_get_public(slug=slug)
    delivery = get_object_or_404(Delivery, letter=letter)
    response = HttpResponse(bytes(delivery.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{letter.slug}-as-delivered.pdf"'
    response["ETag"] = f'"{delivery.sha256}"'
    return response
