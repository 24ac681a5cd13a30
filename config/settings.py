"""One settings module for development, tests and production.

The environment alone decides (12-factor); see the configuration table in the
README. Defaults suit a laptop: SQLite next to manage.py, mail on the console,
tasks run immediately in-process.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def mailer_from_url(url):
    """Turn EMAIL_URL into a MAILERS entry (Django 6.1's replacement for EMAIL_*).

    console:// (the default) prints mail; smtp://user:pass@host:587?tls=1 uses
    STARTTLS; smtps://host uses implicit TLS; locmem:// keeps mail in memory.
    """
    parts = urlsplit(url)
    backends = {
        "console": "config.mail.ReadableConsoleBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parts.scheme not in backends:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme must be one of {', '.join(backends)}, not {parts.scheme!r}."
        )
    mailer = {"BACKEND": backends[parts.scheme]}
    if parts.scheme.startswith("smtp"):
        query = parse_qs(parts.query)
        mailer["OPTIONS"] = {
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": parts.scheme == "smtps",
            "use_tls": query.get("tls", ["0"])[0] in {"1", "true"},
            "timeout": 20,
        }
    return mailer


DEBUG = env_bool("DEBUG", default=False)

# The development key is refused by `check --deploy` (security.W009 flags the
# "django-insecure-" prefix), so it can never silently reach production.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-dev-only-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Absolute base for links in e-mails, which are built outside any request.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "config.apps.OrganisersAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks_db",
    "axes",
    "anymail",  # the mail provider's signed delivery events (mailing/webhooks.py)
    "mailing",
    "campaign",
    "letters",
    "signatories",
    "resolutions",
    "teams",
    "attendance",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, which serves its own compressed files; public HTML
    # compressed, the admin never (BREACH): see config.middleware.
    "config.middleware.CompressPublicPages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The visitor's language: the switcher's cookie, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    # ?lang= on links from mails: the page in the language the mail was written in.
    "config.middleware.LanguageFromLink",
    # Before the CSRF check reads a body: public forms take no files, and little text.
    "config.middleware.PublicFormLimits",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.user.is_verified(): whether this session has proven a second factor.
    "django_otp.middleware.OTPMiddleware",
    # Staff sessions idle too long end; staff who see contacts pass their second factor.
    "teams.middleware.StaffIdleTimeout",
    "teams.middleware.StaffSecondFactor",
    # A key taken out too early: the admin says so, not "try again in a minute".
    "signatories.middleware.UndecryptableAddressPage",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it answers locked-out admin logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.language_links",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# A connection pool in each process (PostgreSQL only): many threads or a
# burst of requests share a few connections instead of exhausting the server's.
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 0)
if DATABASE_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections instead
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": 30,
    }
# Server-side parameters let psycopg prepare a statement the fifth time it runs,
# so PostgreSQL stops parsing and planning the sign request's INSERT each time
# (bench/load.py). The whole suite runs with it on PostgreSQL.
if DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool(
    "DATABASE_SERVER_SIDE_BINDING", True
):
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
# Bounded waits on PostgreSQL. A web request gives up on a statement or a lock
# after a few seconds, and the visitor gets a 503 with a retry message
# (config.views.server_error) instead of a worker tied up until gunicorn kills
# it; config/wsgi.py sets these for the web processes only, so migrations,
# commands and the mail workers are not cut short. 0: no limit.
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 0)
DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", 0)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    # A database host that is gone is noticed in seconds, not the OS's minutes.
    _db_options.setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT_SECONDS", 5))
    _server = [
        f"-c {name}={value}"
        for name, value in [
            ("statement_timeout", DB_STATEMENT_TIMEOUT_MS),
            ("lock_timeout", DB_LOCK_TIMEOUT_MS),
        ]
        if value
    ]
    if _server:  # set at connect time by the server: no extra round trip per request
        _db_options["options"] = " ".join(_server)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The interface; a letter itself stays in the language it was written in.
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("kk", "Қазақша")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files a browser asks for at the site's root (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "public_root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The cache holds the abuse counters. Every app host must share them, so
# production uses Redis; local memory is per process and only for one host.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # A short socket timeout bounds what a frozen Redis costs a request; past
    # it the cache falls back to local memory (config/cache.py) and leaves
    # Redis alone for REDIS_RETRY_SECONDS.
    _redis_timeout = float(os.environ.get("REDIS_TIMEOUT_SECONDS", "0.5"))
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": _redis_timeout,
                "socket_timeout": _redis_timeout,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS_RETRY_SECONDS = env_int("REDIS_RETRY_SECONDS", 5)
# Per process, for what may be a few seconds stale and is read on every sign
# request (the letter): a dictionary lookup instead of a Redis round trip.
CACHES["process"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}

# Abuse limits (see signatories/abuse.py). Past a soft limit a signature is
# kept but held for a moderator; past the hard ceiling the signer gets a 429.
SIGN_SOFT_LIMIT_PER_MINUTE = env_int("SIGN_SOFT_LIMIT_PER_MINUTE", 1)
SIGN_SOFT_LIMIT_PER_5_MINUTES = env_int("SIGN_SOFT_LIMIT_PER_5_MINUTES", 5)
# A meeting of 40 all signing when the chair says so must get through.
SIGN_HARD_LIMIT_PER_MINUTE = env_int("SIGN_HARD_LIMIT_PER_MINUTE", 60)
# More than this from one address on one letter in an hour is held, confirmed or not.
SIGN_HELD_LIMIT_PER_HOUR = env_int("SIGN_HELD_LIMIT_PER_HOUR", 100)
SIGN_MIN_FORM_SECONDS = env_int("SIGN_MIN_FORM_SECONDS", 3)
# A sign form open longer than this is refused when sent (and shown again, fresh).
SIGN_FORM_MAX_AGE_HOURS = env_int("SIGN_FORM_MAX_AGE_HOURS", 12)
# A public form's whole body, at most: a 10,000-character name in any script
# fits many times over; more is refused unread (413), and files always (400).
PUBLIC_FORM_MAX_BYTES = env_int("PUBLIC_FORM_MAX_BYTES", 256 * 1024)
TOKEN_GUESS_LIMIT_PER_10_MINUTES = env_int("TOKEN_GUESS_LIMIT_PER_10_MINUTES", 20)
# Reports that a body passed the resolution, from one address in an hour: a union
# office reporting for its branches gets through; a script filling inboxes does not.
REPORTS_PER_HOUR_PER_IP = env_int("REPORTS_PER_HOUR_PER_IP", 20)
# Confirmation links to one address, for reports of different bodies: more wait an hour.
REPORT_MAILS_PER_ADDRESS_PER_HOUR = env_int("REPORT_MAILS_PER_ADDRESS_PER_HOUR", 3)
# Addresses or networks of our own reverse proxies; only their X-Forwarded-For is believed.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# Signatories' e-mail addresses are stored encrypted (signatories/crypto.py).
# EMAIL_ENCRYPTION_KEYS: Fernet keys, newest first, comma-separated; the newest
# encrypts, all decrypt (rotate: put a new key first, run `reencrypt_emails`).
# EMAIL_INDEX_KEY: the key of the keyed hash the database compares addresses by.
# Unset, both are derived from SECRET_KEY, which `check --deploy` refuses.
EMAIL_ENCRYPTION_KEYS = env_list("EMAIL_ENCRYPTION_KEYS")
EMAIL_INDEX_KEY = os.environ.get("EMAIL_INDEX_KEY", "")
# The keyed hash the suppression list holds addresses by (mailing/suppression.py):
# the signatures' own, so a suppressed address is found among them by its hash.
MAIL_ADDRESS_INDEX = "signatories.crypto.blind_index"

# Staff who can see contact details (superusers, the contact permission) sign in
# with a second factor: on wherever DEBUG is off; `check --deploy` refuses it off.
SECOND_FACTOR_REQUIRED = env_bool("SECOND_FACTOR_REQUIRED", default=not DEBUG)

# Passkeys (django-otp-webauthn) as a second factor, never instead of the password. A
# passkey is bound to the site's host name, and browsers refuse one on an IP address: with
# `make run`'s 127.0.0.1, passkeys work at http://localhost:8000 instead.
_site = urlsplit(SITE_URL)
_passkey_origin = (
    SITE_URL
    if _site.scheme == "https" or _site.hostname == "localhost"
    else f"http://localhost:{_site.port or 8000}"
)
OTP_WEBAUTHN_RP_ID = urlsplit(_passkey_origin).hostname
OTP_WEBAUTHN_RP_NAME = "Open letters"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [_passkey_origin]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "teams.second_factor.PasskeyHelper"
# The name authenticator apps show for this site's codes.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Open letters")
# An admin session unused this long ends.
ADMIN_IDLE_MINUTES = env_int("ADMIN_IDLE_MINUTES", 30)

# Retention.
UNCONFIRMED_RETENTION_DAYS = env_int("UNCONFIRMED_RETENTION_DAYS", 30)
ANONYMISE_AFTER_DELIVERY_DAYS = env_int("ANONYMISE_AFTER_DELIVERY_DAYS", 90)
# However often an address signs again, it gets one "already signed" mail per this many hours.
ALREADY_SIGNED_NOTICE_HOURS = env_int("ALREADY_SIGNED_NOTICE_HOURS", 24)
# Who said they would come to an event (attendance/) is deleted this many days after it:
# attending a protest at an embassy is sensitive. Only the number is kept.
ATTENDANCE_KEPT_DAYS = env_int("ATTENDANCE_KEPT_DAYS", 7)
# An address sent to an event's sign-up form again gets one mail per this many hours.
ATTENDANCE_NOTICE_HOURS = env_int("ATTENDANCE_NOTICE_HOURS", 12)
# Sign-ups from one network address in an hour before the form answers 429.
ATTENDANCE_SIGN_UPS_PER_IP_PER_HOUR = env_int("ATTENDANCE_SIGN_UPS_PER_IP_PER_HOUR", 30)
# A mail that fails is tried again this many times, waiting longer each time.
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 6)
# The longest wait between two tries (they start at a minute and double up to
# this); a claim lease must be longer (mailing/checks.py).
MAIL_RETRY_MAX_SECONDS = env_int("MAIL_RETRY_MAX_SECONDS", 1800)
# Confirmations a worker claims and sends at a time.
MAIL_BATCH_SIZE = env_int("MAIL_BATCH_SIZE", 100)
# A claimed batch is a worker's for this long; if the worker dies, its rows are
# claimed again after it. Longer than a batch can take (100 × the SMTP timeout).
MAIL_CLAIM_LEASE_SECONDS = env_int("MAIL_CLAIM_LEASE_SECONDS", 3600)
# How often each `manage.py worker` sweeps: owed mail nobody is draining,
# and tasks a dead worker left RUNNING.
WORKER_SWEEP_SECONDS = env_int("WORKER_SWEEP_SECONDS", 60)
# A task RUNNING longer than this is taken to have lost its worker and runs
# again; every task here is safe to run twice (a drain claims rows, the rest
# are idempotent).
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 900)

# Mail: printed on the console unless EMAIL_URL says otherwise.
MAILERS = {"default": mailer_from_url(os.environ.get("EMAIL_URL", "console://"))}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Open letters <letters@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Bounces and complaints from the mail provider (django-anymail's tracking webhook, Mailgun):
# the signing key Mailgun shows under Sending > Webhooks. Unset, the webhook URL answers 404
# and plain SMTP works as before. ANYMAIL_WEBHOOK_SECRET ("user:password", optional) is
# also asked of every call when set; put it in the URL given to Mailgun.
ANYMAIL = {
    key: value
    for key, value in {
        "MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY", ""),
        "WEBHOOK_SECRET": env_list("ANYMAIL_WEBHOOK_SECRET"),
    }.items()
    if value
}
# A signed Mailgun event is read once, and not when its timestamp is older than this
# (mailing/webhooks.py): a captured request cannot be replayed with another recipient.
MAILGUN_EVENT_MAX_AGE_SECONDS = env_int("MAILGUN_EVENT_MAX_AGE_SECONDS", 12 * 3600)

# Tasks: "immediate" runs a task in-process after commit (development, tests);
# "database" queues it for `manage.py worker` (production).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate")
_task_backends = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if TASKS_BACKEND not in _task_backends:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(_task_backends)}, not {TASKS_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": _task_backends[TASKS_BACKEND]}}

# How long a confirmation link in an e-mail stays valid.
CONFIRMATION_MAX_AGE_DAYS = env_int("CONFIRMATION_MAX_AGE_DAYS", 7)
# One reminder goes to a web signer who has not confirmed this many hours after
# signing, with a fresh link; 0 sends none. Less than the link's lifetime.
UNCONFIRMED_REMINDER_HOURS = env_int("UNCONFIRMED_REMINDER_HOURS", 24)
# Withdrawal links must keep working until well after hand-in.
WITHDRAWAL_MAX_AGE_DAYS = env_int("WITHDRAWAL_MAX_AGE_DAYS", 730)
# Where the PDF fonts (DejaVu, Debian's fonts-dejavu-core) live; common paths are tried after it.
PDF_FONT_DIR = os.environ.get("PDF_FONT_DIR", "")
# How long the public count (JSON, embed) may be stale, in seconds.
PUBLIC_COUNT_CACHE_SECONDS = env_int("PUBLIC_COUNT_CACHE_SECONDS", 30)
# How long a process may use a letter it read earlier, on the hot paths: sign
# requests, the count and the embed (the sign INSERT re-checks that it is open).
SIGNING_LETTER_CACHE_SECONDS = env_int("SIGNING_LETTER_CACHE_SECONDS", 10)
# How long a rendered letter page (its first and last page of names) is served
# from each process's memory (letters/page_cache.py). 0 turns the cache off.
LETTER_PAGE_CACHE_SECONDS = env_int("LETTER_PAGE_CACHE_SECONDS", 10)
# How long each process keeps a letter page's shell (all but its page of names,
# which is read for every request): letters/page_cache.py. 0 turns it off.
LETTER_SHELL_CACHE_SECONDS = env_int("LETTER_SHELL_CACHE_SECONDS", 10)
# The contacts CSV of a list longer than this is written by a worker (a million
# rows take a minute or so), and kept, encrypted, for EXPORT_KEPT_MINUTES.
CONTACTS_CSV_DIRECT_ROWS = env_int("CONTACTS_CSV_DIRECT_ROWS", 200_000)
EXPORT_KEPT_MINUTES = env_int("EXPORT_KEPT_MINUTES", 60)
# Published names per page on a letter page.
SIGNATORIES_PER_PAGE = env_int("SIGNATORIES_PER_PAGE", 100)

# Security headers that only make sense behind HTTPS come from the
# environment, so `make run` over plain HTTP keeps working.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
# Set only by pages with a form, and kept as long as the form's stamp is good,
# not Django's default year: a supporter's phone keeps no year-long marker of us.
CSRF_COOKIE_AGE = SIGN_FORM_MAX_AGE_HOURS * 3600
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
# The site uses no camera, location, payment or sensor, and runs no script:
# a page (or anything injected into one) may use none of them.
# Only features Chromium knows: an unknown one is a console error on every page.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-create",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    ]
}
# The second factor's own pages (teams/views.py) alone may ask for a passkey.
PERMISSIONS_POLICY_PASSKEYS = {
    **PERMISSIONS_POLICY,
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}
# Everything from our own origin; no inline script anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

# Admin logins: five wrong passwords for one username from one address lock
# that pair out for an hour.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "signatories.abuse.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin_locked_out.html"
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"request_line": {"()": "config.logging.RequestLineFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's own "django" console handler, which would print
        # every line a second time through the root handler.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # 4xx lines name the path, and a path can hold a confirmation token.
        # 5xx lines: the token cut out of mail links; a database outage one line each.
        "django.request": {"level": "ERROR", "filters": ["request_line"]},
        "django.server": {"level": "INFO"},
        # Its lines name the username tried, which may be an address.
        "axes": {"level": "ERROR"},
    },
}
