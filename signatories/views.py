from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from signatories import tokens
from signatories.services import (
    AlreadyDone,
    LetterNotOpen,
    signatory_confirm,
    signatory_get_by_token,
    signatory_withdraw,
)


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
    letter = error.signatory.letter if isinstance(error, AlreadyDone) else None
    return render(
        request,
        "signatories/link_problem.html",
        {
            "problem": problem,
            "action": action,
            "letter": letter,
            "signatory": getattr(error, "signatory", None),
        },
        status=status,
    )


@require_GET  # not HEAD: link checkers and mail scanners probe with HEAD, and this changes state
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


@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request, token):
    """GET asks, POST withdraws: mail scanners that follow links must not withdraw anyone."""
    if request.method in {"GET", "HEAD"}:
        try:
            signatory = signatory_get_by_token(token=token, purpose=tokens.WITHDRAW)
        except tokens.TokenInvalid as error:
            return _link_problem(request, error, action="withdraw")
        if signatory.withdrawn_at is not None:
            return _link_problem(request, AlreadyDone(signatory), action="withdraw")
        return render(
            request,
            "signatories/withdraw.html",
            {"signatory": signatory, "letter": signatory.letter},
        )
    try:
        signatory = signatory_withdraw(token=token)
    except (tokens.TokenInvalid, AlreadyDone) as error:
        return _link_problem(request, error, action="withdraw")
    return render(request, "signatories/withdrawn.html", {"letter": signatory.letter})
