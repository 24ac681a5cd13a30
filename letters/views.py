from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from letters.models import Delivery
from letters.selectors import letter_get_public, letter_published_page
from signatories.forms import SignForm
from signatories.services import LetterNotOpen, signatory_sign


def client_ip(request):
    # Behind a proxy this becomes the trusted X-Forwarded-For hop (hardening issue).
    return request.META.get("REMOTE_ADDR")


def _render_letter(request, letter, form, status=200):
    page = letter_published_page(letter=letter, page_number=request.GET.get("page"))
    return render(
        request,
        "letters/letter_detail.html",
        {
            "letter": letter,
            "campaign": letter.campaign,
            "form": form,
            "page": page,
            "count": page.paginator.count,
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
    form = SignForm(request.POST, action=reverse("letters:sign", kwargs={"slug": slug}))
    if not letter.is_open:
        return _render_letter(request, letter, None, status=409)
    if not form.is_valid():
        return _render_letter(request, letter, form, status=400)
    try:
        signatory_sign(letter=letter, ip_address=client_ip(request), **form.cleaned_data)
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
