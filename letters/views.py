from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_safe

from letters import page_cache
from letters.models import Delivery, Reply
from letters.selectors import (
    letter_get_cached,
    letter_get_for_signing,
    letter_get_public,
    letter_load_page_parts,
    letter_notables,
    letter_page_counts,
    letter_public_count,
    letter_published_page,
    letter_version_for,
    letter_versions,
)
from signatories import abuse
from signatories.forms import SignForm
from signatories.services import LetterNotOpen, signatory_sign


def _letter_context(request, letter, form):
    """Everything the letter page shows, loaded in a constant number of queries."""
    letter_load_page_parts(letter=letter)
    count, unnamed = letter_page_counts(letter=letter)
    versions = letter_versions(letter=letter)
    version = letter_version_for(
        versions=versions,
        requested=request.GET.get("version"),
        language=request.LANGUAGE_CODE,
    )
    page = letter_published_page(
        letter=letter, page_number=request.GET.get("page"), listed_count=count - unnamed
    )
    return {
        "letter": letter,
        "campaign": letter.campaign,
        "form": form,
        "page": page,
        "count": count,
        "unnamed": unnamed,
        "versions": versions,
        "version": version,
        "original": versions[0],
        "notables": letter_notables(letter=letter),
        "public_updates": letter.public_updates,
        "progress": letter.progress_percent(count),
        "days_left": letter.days_until_hand_in,
        "share_url": request.build_absolute_uri(letter.get_absolute_url()),
        "embed_url": request.build_absolute_uri(
            reverse("letters:embed", kwargs={"slug": letter.slug})
        ),
        "count_url": request.build_absolute_uri(
            reverse("letters:count_json", kwargs={"slug": letter.slug})
        ),
    }


def _render_letter_again(request, slug, form, *, status):
    """The page with the form's errors, or without the form once the letter has closed."""
    context = _letter_context(request, letter_get_public(slug=slug), form)
    return render(request, "letters/letter_detail.html", context, status=status)


@require_safe
def letter_detail(request, slug):
    """The letter, its names and the sign form; most readers get a copy rendered seconds ago."""
    key = page_cache.page_key(request, slug)
    html = page_cache.get(key)
    if html is None:
        letter = letter_get_public(slug=slug)
        form = None
        if letter.is_open:
            action = reverse("letters:sign", kwargs={"slug": slug})
            form = SignForm(action=action, stamp=page_cache.STAMP_PLACEHOLDER)
        context = {**_letter_context(request, letter, form), **page_cache.placeholders()}
        html = render_to_string("letters/letter_detail.html", context, request)
        page_cache.store(key, html)
    return HttpResponse(page_cache.personalise(html, request))


@require_http_methods(["GET", "HEAD", "POST"])
def letter_sign(request, slug):
    letter = letter_get_for_signing(slug=slug)
    if request.method != "POST":
        return redirect("letters:detail", slug=letter.slug)
    ip = abuse.client_ip(request)
    if abuse.sign_attempt_blocked(ip):
        response = render(request, "429.html", status=429)
        response["Retry-After"] = "60"
        return response
    form = SignForm(request.POST, action=reverse("letters:sign", kwargs={"slug": slug}))
    if not letter.is_open:
        return _render_letter_again(request, slug, None, status=409)
    if not form.is_valid():
        return _render_letter_again(request, slug, form, status=400)
    suspicion = form.suspicion() or abuse.sign_rate_suspicion(ip, letter)
    try:
        signatory_sign(
            letter=letter,
            ip_address=ip,
            suspicion=suspicion,
            language=request.LANGUAGE_CODE,
            **form.signature_fields(),
        )
    except LetterNotOpen:
        return _render_letter_again(request, slug, None, status=409)
    except ValidationError as error:
        form.add_error(None, error.messages)
        return _render_letter_again(request, slug, form, status=400)
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


def _public_cache(response):
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_COUNT_CACHE_SECONDS}"
    return response


@require_safe
def letter_count_json(request, slug):
    """The count for union websites: the title and the number, nothing else."""
    letter = letter_get_cached(slug=slug)
    response = JsonResponse({"title": letter.title, "count": letter_public_count(letter=letter)})
    response["Access-Control-Allow-Origin"] = "*"
    return _public_cache(response)


@require_safe
@xframe_options_exempt
@csp_override({**settings.SECURE_CSP, "frame-ancestors": ["*"]})
def letter_embed(request, slug):
    """A counter to put in an iframe on any website: title, count, a link to sign."""
    letter = letter_get_cached(slug=slug)
    response = render(
        request,
        "letters/embed.html",
        {"letter": letter, "count": letter_public_count(letter=letter)},
    )
    return _public_cache(response)


@require_safe
def letter_reply_pdf(request, slug, pk):
    """The addressee's reply as received, when the organisers attached it."""
    letter = letter_get_public(slug=slug)
    reply = get_object_or_404(Reply.objects.exclude(pdf=None), letter=letter, pk=pk)
    response = HttpResponse(bytes(reply.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{letter.slug}-reply-{reply.pk}.pdf"'
    return response
