"""Settings for the account relationship tracker.

One file, driven by the environment (see the table in README.md). With no environment at all
the app runs locally on an embedded SQLite database; `DATABASE_URL` switches to PostgreSQL.
"""

import base64
import datetime
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.caches import caches_from

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

# The fallback key only exists so that a fresh clone runs (`make run`, the tests, manage.py),
# and it is public: a server with DEBUG off refuses to start on it (config/wsgi.py and
# config/asgi.py call `config.startup.refuse_public_secret_key`). An empty value is unset.
DEVELOPMENT_SECRET_KEY = "django-insecure-local-development-key-never-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    # The API's docs page renders from ninja's own template and static Swagger UI (no CDN).
    "ninja",
    "accounts",
    "webhooks",
    "relationships",
    "scoring",
    "reminders",
    "pages",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Refuses an oversized body (413) before anything reads it; security headers still apply.
    "config.middleware.RequestSizeLimitMiddleware",
    # A lost database answers a 503 "try again" page instead of a 500. Its process_exception
    # runs last of all (they run from the bottom of this list up), as the fallback; its page
    # still goes out through every middleware's response handling (headers, CSP, gzip).
    "config.middleware.DatabaseUnavailableMiddleware",
    # Pages carry their chart data (the portfolio map is hundreds of kB of JSON); compressed,
    # it travels at a fraction. Django pads compressed responses against BREACH, and CSRF
    # tokens are masked differently in every response.
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.PrivatePagesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # With a read replica: which requests may read from it, and read-your-writes after a
    # write (config/db_router.py). Nothing at all without DATABASE_REPLICA_URL.
    "config.middleware.ReplicaReadsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Request bodies. The largest the app takes is the import page's: four CSV files of at most
# 10 MB each (relationships/csv_bundle/forms.py) and a few fields. Anything larger is refused
# before it is read; set the reverse proxy's own limit to the same (README). The import takes
# four files at most (its page refuses more); capture's mail upload takes up to 100 messages
# (relationships/capture/forms.py); other fields stay within Django's 2.5 MB default.
MAX_REQUEST_BYTES = 42 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 100

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
        },
    },
]

# SQLite is the embedded default so that `make run` needs no server. PostgreSQL is the system
# of record in production: DATABASE_URL=postgres://user:pass@host:5432/name
# An empty DATABASE_URL (as .env templates leave it) means "not set".
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Every request is one transaction: a view that fails half-way writes nothing.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer (the background worker, another request) instead of
    # failing with "database is locked": take the write lock when a transaction begins, so
    # the wait applies, rather than upgrading a read lock mid-transaction, which SQLite
    # refuses at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )

# An optional read replica of the primary (README, "Read replica"): the dashboard, the exports,
# the backtest and the API's GET requests read there; writes and everything else go to the
# primary, and a user who has just written reads the primary for the next few seconds
# (DATABASE_REPLICA_PRIMARY_SECONDS). Tests read `default` through the alias (MIRROR).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
READ_REPLICA = "replica" in DATABASES  # the router reads from it only when this is on

# Connection pooling (README, "Connection pooling"): DATABASE_POOLER=pgbouncer says that
# DATABASE_URL (and DATABASE_REPLICA_URL) reach PostgreSQL through PgBouncer in transaction
# mode, where each transaction may run on a different server connection. Nothing may then
# live on a server connection beyond a transaction:
# - server-side cursors: QuerySet.iterator() outside a transaction declares one WITH HOLD,
#   and its next fetch may reach another server connection, which has no such cursor. Off,
#   .iterator() reads its result in one fetch and hands it out in chunks.
#   https://docs.djangoproject.com/en/5.2/ref/databases/#transaction-pooling-server-side-cursors
# - prepared statements: psycopg prepares a query on the server once it has run a few
#   times, and PgBouncer before 1.21 does not carry them across server connections. Django
#   already leaves them off; said here so that no OPTIONS in the URL turns them back on.
#   https://www.psycopg.org/psycopg3/docs/advanced/prepare.html#using-prepared-statements-with-pgbouncer
# The app keeps no other state in a session: no SET outside a transaction (the time zone
# Django sets is one of the parameters PgBouncer tracks and restores for each client), no
# session advisory locks, LISTEN or temporary tables. The work itself runs through a real
# PgBouncer in tests/scaling/test_pgbouncer.py.
DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "").strip().lower()
if DATABASE_POOLER not in {"", "pgbouncer"}:
    raise ImproperlyConfigured(
        f"DATABASE_POOLER={DATABASE_POOLER!r}: leave it unset, or set it to pgbouncer "
        "(PgBouncer in transaction mode)."
    )
if DATABASE_POOLER:
    for database in DATABASES.values():
        if database["ENGINE"] != "django.db.backends.postgresql":
            raise ImproperlyConfigured("DATABASE_POOLER=pgbouncer needs a postgres:// URL.")
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        database.setdefault("OPTIONS", {})["prepare_threshold"] = None
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
REPLICA_PRIMARY_AFTER_WRITE_SECONDS = int(os.environ.get("DATABASE_REPLICA_PRIMARY_SECONDS", "10"))

# How long the dashboard's rendered body is kept for every sales lead asking the same thing
# (pages/kept.py); 0 renders every request. Whoever wrote in the window above never gets a
# kept body, and a kept one must be gone before that window ends: so it is at least two
# seconds shorter (one for the render, one for the window's whole seconds).
_KEPT_MOST = REPLICA_PRIMARY_AFTER_WRITE_SECONDS - 2
_kept = os.environ.get("DASHBOARD_CACHE_SECONDS", "").strip()
if not _kept:
    DASHBOARD_CACHE_SECONDS = max(0, min(5, _KEPT_MOST))
elif not (_kept.isascii() and _kept.isdigit()) or int(_kept) > max(_KEPT_MOST, 0):
    allowed = f"from 0 to {_KEPT_MOST}" if _KEPT_MOST > 0 else "only 0 here"
    raise ImproperlyConfigured(
        "DASHBOARD_CACHE_SECONDS must be 0 (render every request) or a whole number of "
        f"seconds up to DATABASE_REPLICA_PRIMARY_SECONDS minus 2 ({allowed}), not "
        f"{_kept!r}: a user who just wrote must never see a page kept from before their write."
    )
else:
    DASHBOARD_CACHE_SECONDS = int(_kept)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Two dashboard indexes carry extra columns (INCLUDE) so PostgreSQL answers from the index
# alone; SQLite builds them as plain indexes, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Background tasks live in the database and run in `manage.py db_worker` (docker-compose runs
# one as the `worker` service), so a request never waits for a recompute.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Processes each worker forks to score a chunk of accounts (scoring/portfolio.py). Empty: one
# per core, right for one worker per machine. With several workers on one machine, set 1 and
# run a worker per core: each chunk of a recompute is a task any of them claims.
SCORING_PROCESSES = int(os.environ.get("SCORING_PROCESSES") or 0) or None

# Email (the reminder digest), with Django's own setting names from the environment. With no
# DJANGO_EMAIL_BACKEND set, a development run (DJANGO_DEBUG=1, `make run`) prints messages to
# the console; production sends through SMTP at EMAIL_HOST.
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "reminders@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address people reach the app at, for links in emails and calendar feeds.
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # At least 12 characters (OWASP ASVS 2.1.1); passphrases welcome, no composition rules.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Capture (README, Capture). CalDAV app passwords are encrypted with this Fernet key (several,
# comma-separated, rotate: the first encrypts). A development run without one derives a key
# from the secret key, so `make run` can connect a calendar; with DEBUG off and no key, the
# app refuses to store a password and says why.
CAPTURE_CREDENTIALS_KEY = os.environ.get("CAPTURE_CREDENTIALS_KEY", "")
if not CAPTURE_CREDENTIALS_KEY and DEBUG:
    CAPTURE_CREDENTIALS_KEY = base64.urlsafe_b64encode(
        hashlib.sha256(f"capture-credentials:{SECRET_KEY}".encode()).digest()
    ).decode()
# Our own email domains: addresses there are us, never a client. Empty: each uploader's own
# address's domain.
OWN_EMAIL_DOMAINS = [domain.lower() for domain in env_list("OWN_EMAIL_DOMAINS")]
# How often the worker syncs each CalDAV calendar, in minutes.
CAPTURE_SYNC_MINUTES = int(os.environ.get("CAPTURE_SYNC_MINUTES", "5"))

# Webhooks (README, Webhooks): receivers on private networks (10/8, 172.16/12, 192.168/16,
# 100.64/10, fc00::/7) only when this is on. Loopback, link-local (cloud metadata services)
# and unspecified addresses are refused whatever it says.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS")
# This server's own loopback addresses: never in production (no environment variable turns it
# on); the tests' receivers listen there and turn it on for themselves.
WEBHOOK_ALLOW_LOOPBACK = False

# The site's single reporting currency (ISO 4217 code); revenue figures are stored in it.
CURRENCY = os.environ.get("CURRENCY", "EUR")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # The plotly.js partial bundle (scatter, bar, pie), installed from npm by `make install`.
    ("vendor/plotly", BASE_DIR / "node_modules" / "plotly.js-basic-dist-min"),
]
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

# Security (docs/security.md lists what each setting answers). With DEBUG off the app expects
# HTTPS: cookies only travel over it, plain HTTP is redirected and browsers are told to stay
# on HTTPS (HSTS). DJANGO_SECURE_COOKIES=0 turns all three off, for a trial on plain
# http://localhost.
HTTPS = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31_536_000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
# Behind a proxy that terminates TLS, it tells the app a request came over HTTPS.
if env_bool("DJANGO_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [
    r"^healthz$",
    r"^healthz/worker$",
]  # the container health check speaks plain HTTP
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# A session lasts a working day (DJANGO_SESSION_HOURS), then the user signs in again.
SESSION_COOKIE_AGE = int(float(os.environ.get("DJANGO_SESSION_HOURS", "10")) * 3600)

# Content Security Policy: scripts and styles only from the app itself, no inline script and
# no eval (chart data travels in json_script blocks, which browsers never run). Plotly and
# htmx set style attributes on elements they draw, so inline style stays allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sign-in throttling (django-axes): five failed attempts for one username from one address
# pause that pair for 15 minutes, and a successful sign-in clears its count; 30 failures from
# one address, whatever the usernames (password spraying), pause the address
# (config/signin.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "config.signin.SignInThrottle"
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# The client's address, for the throttle (django-ipware, which django-axes asks). Directly
# on the network it is the connection's own. Behind DJANGO_PROXY_COUNT proxies it comes from
# X-Forwarded-For, to which each proxy appends the address it received the request from: the
# client's is the entry the outermost proxy appended, DJANGO_PROXY_COUNT - 1 entries from the
# right (the nearest proxy is the connection itself and appends nothing we see). Entries
# further left were written by the client and are never trusted; a request short of entries
# (one that did not pass the proxies) has no address, and its failures count together.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html#configuring-reverse-proxies
PROXY_COUNT = int(os.environ.get("DJANGO_PROXY_COUNT", "0"))
if PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT - 1
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
    AXES_IPWARE_PROXY_COUNT = 0
# At least that many entries rather than exactly: a client that adds its own entries to the
# header is still found by counting from the right, instead of escaping the count.
IPWARE_STRICT = False

# The API: requests per token (django-ninja's rate syntax: "600/min", "10000/day"), counted in
# the Django cache. With several web processes, give them a shared cache (REDIS_URL) so the
# limit is per token, not per process; unset, each process counts in its own memory.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/min")
CACHES = caches_from(os.environ.get("REDIS_URL", ""))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes reports every sign-in at INFO; failures and lockouts come at WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}
