import functools

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from signatories import abuse, tokens
from signatories.services import (
    AlreadyDone,
    LetterNotOpen,
    signatory_confirm,
    signatory_erase,
    signatory_get_by_token,
    signatory_unsubscribe,
    signatory_withdraw,
)


def limit_guessing(view):
    """Links are unguessable, but repeated wrong guesses from one address still get a 429."""

    @functools.wraps(view)
    def wrapped(request, token):
        ip = abuse.client_ip(request)
        if abuse.token_guessing_blocked(ip):
            response = render(request, "429.html", status=429)
            response["Retry-After"] = "600"
            return response
        response = view(request, token)
        if getattr(response, "invalid_token", False):
            abuse.token_guess_failed(ip)
        return response

    return wrapped


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


@require_GET  # not HEAD: link checkers and mail scanners probe with HEAD, and this changes state
@limit_guessing
def confirm(request, token):
    try:
        signatory = signatory_confirm(token=token)
    except (tokens.TokenInvalid, AlreadyDone, LetterNotOpen) as error:
        return _link_problem(request, error, action="confirm")
    return render(
        request,
        "signatories/confirmed.html",
        {
            "signatory": signatory,
            "letter": signatory.letter,
            "published": signatory.letter.signatories.published().filter(pk=signatory.pk).exists(),
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
        return render(request, ask_template, {"signatory": signatory, "letter": signatory.letter})
    try:
        letter = act(token)
    except (tokens.TokenInvalid, AlreadyDone) as error:
        return _link_problem(request, error, action=purpose)
    return render(request, done_template, {"letter": letter})


@require_http_methods(["GET", "HEAD", "POST"])
@limit_guessing
def withdraw(request, token):
    return _ask_then_act(
        request,
        token,
        purpose=tokens.WITHDRAW,
        act=lambda token: signatory_withdraw(token=token).letter,
        ask_template="signatories/withdraw.html",
        done_template="signatories/withdrawn.html",
    )


# RFC 8058: mail clients POST with no page and no CSRF token; the signed link guards it.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@limit_guessing
def unsubscribe(request, token):
    """One click from the mail client (POST), or a page with a button (GET): no login needed."""
    return _ask_then_act(
        request,
        token,
        purpose=tokens.UNSUBSCRIBE,
        act=lambda token: signatory_unsubscribe(token=token).letter,
        ask_template="signatories/unsubscribe.html",
        done_template="signatories/unsubscribed.html",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@limit_guessing
def erase(request, token):
    return _ask_then_act(
        request,
        token,
        purpose=tokens.ERASE,
        act=lambda token: signatory_erase(token=token),
        ask_template="signatories/erase.html",
        done_template="signatories/erased.html",
    )
