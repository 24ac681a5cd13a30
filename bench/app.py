"""The WSGI app gunicorn serves in bench/load.py, optionally with one optimisation undone.

BENCH_UNDO names what to undo, so the bench can print each optimisation's
effect as a before/after pair from one run. Production never imports this.
Settings-level variants (connections, binding, task backend) are set through
the environment by bench/load.py instead; only code-level ones are here.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

UNDO = os.environ.get("BENCH_UNDO", "")

if UNDO == "redis-client-per-call":
    # Django's own Redis backend: a new client per call, add + incr per counter.
    from django.conf import settings

    settings.CACHES["default"]["BACKEND"] = "django.core.cache.backends.redis.RedisCache"

from config.wsgi import application  # noqa: E402, F401 (what gunicorn serves)


def _undo_ip_hmac():
    """The IP hashed with Django's password hasher (PBKDF2, as a peer app does with bcrypt)."""
    from django.contrib.auth.hashers import make_password

    from signatories import abuse
    from signatories.services import signing

    def slow_hash(ip):
        return make_password(ip, salt="fixedsaltforbench").rsplit("$", 1)[-1] if ip else ""

    signing.hash_ip = abuse.hash_ip = slow_hash


def _undo_no_count():
    """COUNT(*) of the letter's published names per signature (a peer app runs four)."""
    from letters.selectors import letter_signature_counts
    from signatories import views

    original = views.signatory_sign

    def sign_and_count(*, letter, **kwargs):
        result = original(letter=letter, **kwargs)
        letter_signature_counts(letter=letter)
        return result

    views.signatory_sign = sign_and_count


def _undo_email_index():
    """Read every new row back by its address's hash through an expression no index covers."""
    from django.db.models.functions import Lower

    from signatories.crypto import blind_index
    from signatories.models import Signatory
    from signatories.services import signing

    original = signing.insert_once

    def insert_and_read_back(signatory):
        stored, created = original(signatory)
        Signatory.objects.filter(letter_id=signatory.letter_id).alias(
            hashed=Lower("email_hash")
        ).filter(hashed=blind_index(signatory.email)).first()
        return stored, created

    signing.insert_once = insert_and_read_back


def _undo_email_encryption():
    """Addresses stored as typed, and an unkeyed hash: what the sign path costs without keys.

    The one INSERT stays; what goes is the Fernet encryption (and the key of the
    HMAC). The bench deletes the plain rows afterwards (bench/load.py).
    """
    import hashlib

    from signatories import fields, models
    from signatories.names import normalise_email

    def plain_index(address):
        normalised = normalise_email(address or "")
        return hashlib.sha256(normalised.encode()).hexdigest() if normalised else ""

    fields.encrypt = lambda address: address or ""
    fields.decrypt = lambda token: token
    fields.blind_index = models.blind_index = plain_index


def _undo_outbox():
    """One task row per signature, as before the confirmation outbox."""
    from mailing.tasks import drain_outbox
    from signatories.services import signing

    signing.schedule_confirmations = lambda: drain_outbox.enqueue("confirmations")


def _undo_no_session():
    """Remember the signer in the session: a session row written per signature."""
    from signatories import views

    original = views.sign

    def sign_and_remember(request, slug):
        response = original(request, slug)
        if request.method == "POST" and response.status_code == 302:
            request.session["signed"] = slug
        return response

    views.sign = sign_and_remember


CODE_UNDOS = {
    "ip-password-hasher": _undo_ip_hmac,
    "count-per-request": _undo_no_count,
    "email-lookup-off-index": _undo_email_index,
    "email-encryption": _undo_email_encryption,
    "task-per-signature": _undo_outbox,
    "session-write": _undo_no_session,
}
if UNDO in CODE_UNDOS:
    CODE_UNDOS[UNDO]()
