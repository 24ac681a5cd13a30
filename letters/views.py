"""The letter's public pages: the letter itself, its files, and what other websites embed.

Signing is in signatories/views.py.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from letters import page_cache
from letters.models import Delivery, Reply
from letters.page import NAMES_TEMPLATE, TEMPLATE, names_context, shell_context
from letters.selectors import (
    letter_get_cached,
    letter_get_public,
    letter_page_counts,
    letter_public_count,
    signed_pdf_bytes,
)
from signatories.forms import SignForm, sign_action
from signatories.pause import signing_pause_current


@require_safe
def letter_detail(request, slug):
    """The letter, its names and the sign form.

    Most readers get a copy drawn seconds ago (the first and last page of
    names: letters/page_cache.py). Any other page of names is the letter's
    shell, drawn once in a while per language, around this request's own
    page of names, read afresh.
    """
    # Paused signing shows on every page at once: the pause is part of the cache keys.
    pause = signing_pause_current()
    key = page_cache.page_key(request, slug, pause.page_mark)
    html = page_cache.get(key)
    if html is None:
        shell_key = page_cache.shell_key(request, slug, pause.page_mark)
        if shell_key is None:
            html = _whole_page(request, slug, pause=pause)
        else:
            shell = page_cache.get(shell_key)
            if shell is None:
                shell = _whole_page(request, slug, names=False, pause=pause)
                page_cache.store(shell_key, shell, settings.LETTER_SHELL_CACHE_SECONDS)
            letter = letter_get_cached(slug=slug)
            names = names_context(request, letter, letter_page_counts(letter=letter))
            # Drawn from its own context, without the request's: the names need none of
            # the context processors, which cost more than the names themselves.
            html = page_cache.fill_shell(shell, request, render_to_string(NAMES_TEMPLATE, names))
        page_cache.store(key, html)
    return HttpResponse(page_cache.personalise(html, request))


def _whole_page(request, slug, *, pause, names=True):
    """The page drawn from the database (without `names`: the shell, for anyone)."""
    letter = letter_get_public(slug=slug)
    form = None
    if letter.is_open and not pause.paused:
        form = SignForm(action=sign_action(slug), stamp=page_cache.STAMP_PLACEHOLDER)
    counts = letter_page_counts(letter=letter)
    context = shell_context(request, letter, form, counts, pause=pause)
    if not names:
        context.update(page_cache.shell_placeholders(request))
    else:
        context.update(names_context(request, letter, counts))
    context.update(page_cache.placeholders())
    if form is not None:
        context["form_html"] = page_cache.empty_form(request, slug, form)
    return render_to_string(TEMPLATE, context, request)


@require_safe
def letter_delivered_pdf(request, slug):
    """The PDF exactly as it was handed in; it holds names, never an e-mail address."""
    letter = letter_get_public(slug=slug)
    delivery = get_object_or_404(Delivery.objects.select_related("signed_pdf"), letter=letter)
    signed = delivery.signed_pdf
    # Streamed a part at a time: a million names are some 15 MB, never read whole.
    response = StreamingHttpResponse(signed_pdf_bytes(signed), content_type="application/pdf")
    response["Content-Length"] = str(signed.size)
    response["Content-Disposition"] = f'inline; filename="{letter.slug}-as-delivered.pdf"'
    response["ETag"] = f'"{delivery.sha256}"'
    return response


def _public_cache(response):
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_COUNT_CACHE_SECONDS}"
    # The words come in the reader's language, chosen by cookie or browser:
    # a copy kept for one language must not be shown in another.
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


@require_safe
def letter_count_json(request, slug):
    """The count for union websites: the title, the number and where the letter stands."""
    letter = letter_get_cached(slug=slug)
    body = {
        "title": letter.title,
        "count": letter_public_count(letter=letter),
        "status": letter.status,
    }
    delivery = getattr(letter, "delivery", None) if letter.status == "delivered" else None
    if delivery is not None:
        body["handed_in"] = {"at": delivery.handed_in_at.isoformat(), "place": delivery.place}
    response = JsonResponse(body)
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
