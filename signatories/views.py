"""The signer's pages: the sign form's POST and its thank-you, then every link in their mails."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from letters.page import render_letter_page
from letters.selectors import letter_counts_forget, letter_get_for_signing, letter_get_public
from signatories import abuse, tokens
from signatories.forms import SignForm, sign_action
from signatories.models import Signatory
from signatories.pause import signing_pause_current
from signatories.selectors import signatory_get_by_token, signatory_is_published
from signatories.services.links import (
    AlreadyDone,
    signatory_confirm,
    signatory_erase,
    signatory_restore,
    signatory_unsubscribe,
    signatory_withdraw,
)
from signatories.services.signing import LetterNotOpen, signatory_sign


@require_http_methods(["GET", "HEAD", "POST"])
def sign(request, slug):
    """The sign form's POST (the form is on the letter page); a GET goes back to the letter."""
    letter = letter_get_for_signing(slug=slug)
    if request.method != "POST":
        return redirect("letters:detail", slug=letter.slug)
    pause = signing_pause_current()
    if pause.paused:
        # Paused on every letter: nothing is read from the form, stored or counted. A 409,
        # as for a closed letter: the request is understood and refused for the letter's
        # state; a 5xx would log every bot's attempt as a server error.
        context = {"letter": letter, "pause": pause}
        return render(request, "signatories/signing_paused.html", context, status=409)
    ip = abuse.client_ip(request)
    if abuse.sign_attempt_blocked(ip):
        response = render(request, "429.html", status=429)
        response["Retry-After"] = "60"
        return response
    form = SignForm(request.POST, action=sign_action(slug))
    if not letter.is_open:
        return render_letter_page(request, slug, None, status=409)
    if not form.is_valid():
        return _shown_again(request, slug, form)
    stamp = form.cleaned_data.get("rendered")
    if abuse.form_stamp_expired(stamp):
        form.add_error(
            None,
            _("This form was open for a long time. Please check your details and send it again."),
        )
        return _shown_again(request, slug, form)
    if form.suspicion() == Signatory.Suspicion.TOO_FAST:
        # Autofill on a phone can beat a person's typing; a bot rarely reads
        # the page it gets back. Nothing is stored or spent: the form comes
        # back with its render time, so pressing again a moment later signs.
        form.add_error(
            None,
            _("That was very quick. Please check your details and press the button again."),
        )
        return _shown_again(request, slug, form)
    if not abuse.form_stamp_spend(stamp):
        # The same form sent again: a double tap, or a script replaying one form.
        return render(request, "signatories/sent_already.html", {"letter": letter}, status=409)
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
        return render_letter_page(request, slug, None, status=409)
    except ValidationError as error:
        form.add_error(None, error.messages)
        return _shown_again(request, slug, form)
    # The same redirect whether the address is new or has signed before; it
    # carries the display choice just made, so the page can say what it means.
    thanks_url = reverse("letters:thanks", kwargs={"slug": letter.slug})
    # "#main": without a fragment of its own, the browser would keep the form's #form-errors.
    return redirect(f"{thanks_url}?shown={form.cleaned_data['display']}#main")


def _shown_again(request, slug, form):
    """The letter page with the form's errors, and a fresh stamp for sending it again."""
    form.data = form.data.copy()
    form.data["rendered"] = abuse.form_stamp_renewed(form.data.get("rendered", ""))
    return render_letter_page(request, slug, form, status=400)


@require_safe
def thanks(request, slug):
    letter = letter_get_public(slug=slug)
    shown = request.GET.get("shown")
    context = {
        "letter": letter,
        "campaign": letter.campaign,
        "shown": shown if shown in Signatory.Display.values else None,
    }
    return render(request, "letters/thanks.html", context)


def _link_problem(request, error, *, action):
    """A clear page for a link that cannot be used; nothing has changed."""
    if isinstance(error, tokens.TokenExpired):
        status, problem = 410, "expired"
    elif isinstance(error, AlreadyDone):
        status, problem = 409, "already_done"
    elif isinstance(error, LetterNotOpen):
        status, problem = 409, "letter_not_open"
    else:
        status, problem = 400, "invalid"
    signatory = getattr(error, "signatory", None)
    response = render(
        request,
        "signatories/link_problem.html",
        {
            "problem": problem,
            "action": action,
            "letter": signatory.letter if signatory else None,
            "signatory": signatory,
        },
        status=status,
    )
    response.invalid_token = problem == "invalid"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@abuse.limit_guessing
def confirm(request, token):
    """The link in the confirmation mail: a page with one button; only its POST confirms.

    Mail security scanners fetch every link in a mail, so a GET must change
    nothing: otherwise a name typed with someone else's address would be
    confirmed without them.
    """
    if request.method != "POST":
        try:
            signatory = signatory_get_by_token(token=token, purpose=tokens.CONFIRM)
        except tokens.TokenInvalid as error:
            return _link_problem(request, error, action="confirm")
        if signatory.confirmed_at is not None or signatory.withdrawn_at is not None:
            return _link_problem(request, AlreadyDone(signatory), action="confirm")
        if not signatory.letter.is_open:
            return _link_problem(request, LetterNotOpen(""), action="confirm")
        return render(
            request,
            "signatories/confirm.html",
            {"signatory": signatory, "letter": signatory.letter},
        )
    try:
        signatory = signatory_confirm(token=token)
    except (tokens.TokenInvalid, AlreadyDone, LetterNotOpen) as error:
        return _link_problem(request, error, action="confirm")
    letter_counts_forget(letter_id=signatory.letter_id)
    return render(
        request,
        "signatories/confirmed.html",
        {
            "signatory": signatory,
            "letter": signatory.letter,
            "published": signatory_is_published(signatory=signatory),
        },
    )


def _ask_then_act(request, token, *, purpose, act, ask_template, done_template):
    """GET asks, POST acts: mail scanners that follow links must not change anything."""
    if request.method in {"GET", "HEAD"}:
        try:
            signatory = signatory_get_by_token(token=token, purpose=purpose)
        except tokens.TokenInvalid as error:
            return _link_problem(request, error, action=purpose)
        if purpose == tokens.WITHDRAW and signatory.withdrawn_at is not None:
            return _link_problem(request, AlreadyDone(signatory), action=purpose)
        if purpose == tokens.RESTORE and signatory.withdrawn_at is None:
            return _link_problem(request, AlreadyDone(signatory), action=purpose)
        return render(request, ask_template, {"signatory": signatory, "letter": signatory.letter})
    try:
        done = act(token=token)
    except (tokens.TokenInvalid, AlreadyDone) as error:
        return _link_problem(request, error, action=purpose)
    # `act` gives the signatory, or the letter when nothing of the signatory is left (erase).
    signatory = done if isinstance(done, Signatory) else None
    letter = signatory.letter if signatory else done
    letter_counts_forget(letter_id=letter.pk)
    return render(request, done_template, {"letter": letter, "signatory": signatory})


@require_http_methods(["GET", "HEAD", "POST"])
@abuse.limit_guessing
def withdraw(request, token):
    return _ask_then_act(
        request,
        token,
        purpose=tokens.WITHDRAW,
        act=signatory_withdraw,
        ask_template="signatories/withdraw.html",
        done_template="signatories/withdrawn.html",
    )


# RFC 8058: mail clients POST with no page and no CSRF token; the signed link guards it.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@abuse.limit_guessing
def unsubscribe(request, token):
    """One click from the mail client (POST), or a page with a button (GET): no login needed."""
    return _ask_then_act(
        request,
        token,
        purpose=tokens.UNSUBSCRIBE,
        act=signatory_unsubscribe,
        ask_template="signatories/unsubscribe.html",
        done_template="signatories/unsubscribed.html",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@abuse.limit_guessing
def erase(request, token):
    return _ask_then_act(
        request,
        token,
        purpose=tokens.ERASE,
        act=signatory_erase,
        ask_template="signatories/erase.html",
        done_template="signatories/erased.html",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@abuse.limit_guessing
def restore(request, token):
    """A withdrawn signer who signed again: put their first signature back."""
    return _ask_then_act(
        request,
        token,
        purpose=tokens.RESTORE,
        act=signatory_restore,
        ask_template="signatories/restore.html",
        done_template="signatories/restored.html",
    )
