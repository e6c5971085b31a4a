"""Django settings, built from the one typed `Env` object. No os.environ below this line."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from sprechzeit.config.database import postgres_connection_settings
from sprechzeit.config.env import Env, Mode
from sprechzeit.core.logs import logging_config
from sprechzeit.core.sentry import sentry_init

# Lets admin and form classes be subscripted at run time (admin.ModelAdmin[Model]).
django_stubs_ext.monkeypatch()

ENV = Env.load()
PACKAGE_DIR = Path(__file__).resolve().parent.parent
ENV.var_dir.mkdir(parents=True, exist_ok=True)

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = list(ENV.allowed_hosts)
CSRF_TRUSTED_ORIGINS = list(ENV.csrf_trusted_origins)

INSTALLED_APPS = [
    "daphne",
    "sprechzeit.site.apps.SprechzeitAdminConfig",  # Django's admin behind our log-in and 2FA
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes (accounts.enrolment)
    "sprechzeit.core",
    "sprechzeit.platforms",
    "sprechzeit.accounts",
    "sprechzeit.legal",
    "sprechzeit.notifications",
    "sprechzeit.audit",
    "sprechzeit.ledger",
    "sprechzeit.wallets",
    "sprechzeit.payments",
    "sprechzeit.collections",
    "sprechzeit.consultations",
    "sprechzeit.statements",
    "sprechzeit.payouts",
    "sprechzeit.partners",
    "sprechzeit.accounting",
    "sprechzeit.support",
    "sprechzeit.site.apps.SiteConfig",
    "sprechzeit.partner",
    "sprechzeit.backoffice",
    "sprechzeit.api",
    "sprechzeit.demo",
]

MIDDLEWARE = [
    # Health, readiness and metrics answer first: on any host, without session or CSRF.
    "sprechzeit.ops.middleware.OpsEndpointsMiddleware",
    # Request id, log context, one log line and the latency metric per request.
    "sprechzeit.ops.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "sprechzeit.site.middleware.ContentSecurityPolicyMiddleware",
    "sprechzeit.platforms.middleware.PlatformMiddleware",
    "sprechzeit.site.middleware.NetworkOnlyMiddleware",
    # A NUL character in a query string or form field: 400 before anything reads it.
    "sprechzeit.site.middleware.NulInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sprechzeit.platforms.middleware.PlatformLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sprechzeit.accounts.middleware.PlatformSessionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # The one table of who may open which URL on which host (accounts.access).
    "sprechzeit.accounts.middleware.AccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Innermost, so it sees a view's DomainError first (the JSON API answers its own).
    "sprechzeit.site.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "sprechzeit.config.urls"
ASGI_APPLICATION = "sprechzeit.config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sprechzeit.platforms.context_processors.platform",
                "sprechzeit.backoffice.context.console",
            ],
        },
    },
]

DATABASES: dict[str, Any] = {
    "default": dj_database_url.parse(ENV.database_url, conn_max_age=0),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the demo server, the tests and Celery share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    DATABASES["default"].setdefault("TEST", {})["NAME"] = DATABASES["default"]["NAME"] + "_test"
    # A pool per process by default: see config/database.py for why not CONN_MAX_AGE.
    _connections = postgres_connection_settings(ENV)
    DATABASES["default"].setdefault("OPTIONS", {}).update(_connections.pop("OPTIONS", {}))
    DATABASES["default"].update(_connections)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["sprechzeit.accounts.backends.PlatformEmailBackend"]
LOGIN_URL = "site:login"
LOGIN_REDIRECT_URL = "site:home"
LOGOUT_REDIRECT_URL = "site:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if ENV.mode is Mode.TEST:
    # Hashing speed is not under test; Argon2 stays the production hasher (see test_security).
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "sprechzeit_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = ENV.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = ENV.var_dir / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = ENV.var_dir / "media"

SESSION_COOKIE_SECURE = ENV.secure_cookies
CSRF_COOKIE_SECURE = ENV.secure_cookies
LANGUAGE_COOKIE_SECURE = ENV.secure_cookies
if ENV.secure_cookies:
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only
    # and for "/": no subdomain and no plain-HTTP page can set or overwrite it.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Cookies stay on the host that set them: a login on one platform never travels to another.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
CSRF_FAILURE_VIEW = "sprechzeit.site.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if ENV.is_production:
    # Behind the TLS proxy, which must set (never pass on) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Paths (regular expressions, without the leading slash) that stay reachable over
    # plain HTTP, for a load balancer's health check; none yet.
    SECURE_REDIRECT_EXEMPT: list[str] = []
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# Content-Security-Policy on every response (sprechzeit.site.middleware adds the
# WebSocket origin of the request's own host to connect-src). No inline script or style
# runs unless it carries the response's nonce ({% csp_nonce_attr %}); no eval.
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    # No form-action: top-up forms post here and are redirected to the payment
    # provider's checkout, which form-action would block (it governs redirects too).
}

_MAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
}
_mail_backend = _MAIL_BACKENDS.get(ENV.email_backend, ENV.email_backend)
MAILERS: dict[str, Any] = {"default": {"BACKEND": _mail_backend}}
if _mail_backend.endswith("filebased.EmailBackend"):
    # One file per message under var/mail: the browser tests read verification links there.
    MAILERS["default"]["OPTIONS"] = {"file_path": str(ENV.var_dir / "mail")}
elif _mail_backend.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": ENV.email_host,
        "port": ENV.email_port,
        "username": ENV.email_host_user,
        "password": ENV.email_host_password,
        "use_tls": ENV.email_use_tls,
    }
DEFAULT_FROM_EMAIL = ENV.default_from_email
# Links in mails (no request to build them from): scheme and port of the platforms' hosts.
SPRECHZEIT_MAIL_LINK_SCHEME = ENV.mail_link_scheme
SPRECHZEIT_MAIL_LINK_PORT = ENV.mail_link_port

if ENV.redis_url:
    CHANNEL_LAYERS: dict[str, Any] = {
        "default": {
            "BACKEND": "sprechzeit.core.channel_layer.BoundedRedisChannelLayer",
            "CONFIG": {
                # redis-py's 5 s default socket timeout equals channels_redis' 5 s blocking
                # receive, which crashed idle consumers. At most 64 connections per server
                # process; a command that finds them busy waits for one (up to 60 s)
                # instead of opening more (core/channel_layer.py).
                "hosts": [
                    {
                        "address": ENV.redis_url,
                        "socket_timeout": 30,
                        "max_connections": 64,
                        "timeout": 60,
                    }
                ],
                "capacity": 1500,
                "expiry": 60,
            },
        }
    }
    CACHES: dict[str, Any] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ENV.redis_url,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    if ENV.mode is Mode.TEST:
        # Each test process keeps its own cache (isolated, cleared by the tests).
        CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    else:
        # The demo and other installs without Redis: files under var/cache are shared by
        # every process on the machine, so the heartbeats the server records are seen by
        # a reaper in another process (beat, `sprechzeit consultations_reap`), without a
        # database round trip per heartbeat. Culling drops random entries, so the limit
        # stays far above what live consultations (two keys each) need.
        CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(ENV.var_dir / "cache"),
                "OPTIONS": {"MAX_ENTRIES": 50_000},
            }
        }

# Threads per server process for the consultation sockets' database work (PostgreSQL).
# Few on purpose: ORM work holds the interpreter lock and would starve the event loop.
CONSULTATION_DB_THREADS = 2
# Threads per server process for the sockets' blocking work without the database (the
# heartbeat store, queueing a task): mostly waiting on Redis, so they hold the
# interpreter lock only briefly; separate so that it never queues behind database work.
CONSULTATION_IO_THREADS = 4

# Video consultations: the ICE servers handed to the two participants of a video
# consultation (consultations/media.py); TURN credentials are signed with the secret.
WEBRTC_STUN_URLS = list(ENV.webrtc_stun_urls)
WEBRTC_TURN_URLS = list(ENV.webrtc_turn_urls)
WEBRTC_TURN_SECRET = ENV.webrtc_turn_secret
WEBRTC_TURN_TTL_SECONDS = ENV.webrtc_turn_ttl_seconds

# Celery: with a broker, real workers and beat; without one, tasks run eagerly in-process.
CELERY_BROKER_URL = ENV.celery_broker_url or "memory://"
CELERY_TASK_ALWAYS_EAGER = ENV.celery_broker_url is None
CELERY_TASK_EAGER_PROPAGATES = True
# Tasks are acknowledged after they ran; a task whose pool process was killed (SIGKILL,
# the OOM killer) goes back to the queue at once, one whose whole worker died after the
# broker's visibility timeout. Every task is idempotent, so a redelivery books nothing twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": ENV.celery_visibility_timeout,
    # Look for such tasks every few seconds (kombu's default looks every ~100 s).
    "unacked_restore_interval": max(1, min(10, ENV.celery_visibility_timeout // 4)),
    "unacked_restore_throttle": 1,
}
# Two queues: `celery` for money (settlements, cut-offs, the ledger, statements, payouts) and
# `mail` for composing and delivering mails. A worker started without `-Q` consumes both;
# production runs them apart (deploy/systemd: sprechzeit-worker `-Q celery`,
# sprechzeit-mail `-Q mail` at a lower CPU priority), so a wave of summary mails after a
# burst of cut-offs never queues the next settlements behind it.
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Each queue on its own exchange and routing key: a task routed to one is never also
# delivered to the other (a bare Queue("mail") would be bound with the key "celery").
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name), routing_key=name) for name in ("celery", "mail")
)
CELERY_TASK_ROUTES = {
    "sprechzeit.*.mails.*": {"queue": "mail"},
    "sprechzeit.notifications.tasks.*": {"queue": "mail"},
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_RESULT_BACKEND = None

# --- Operations: logs, error reports, metrics (docs/operations.md) ----------------
LOGGING: dict[str, Any] = logging_config(
    fmt=ENV.log_format, level="INFO" if ENV.mode is not Mode.TEST else "WARNING"
)
# Celery workers log through LOGGING above (JSON in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
METRICS_ALLOWED_IPS = ENV.metrics_allowed_ips
METRICS_TOKEN = ENV.metrics_token
PROMETHEUS_MULTIPROC_DIR = ENV.prometheus_multiproc_dir
if PROMETHEUS_MULTIPROC_DIR is not None:
    PROMETHEUS_MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)
sentry_init(
    dsn=ENV.sentry_dsn,
    environment=ENV.sentry_environment,
    release=f"sprechzeit@{version('sprechzeit')}",
)

SPRECHZEIT_MODE = ENV.mode
# Who confirms a business client's EU VAT ID (accounts/vat_place.py). There is no VIES
# client yet: production confirms nothing (such clients pay German VAT); the demo and
# the tests accept every well-formed ID.
SPRECHZEIT_VAT_ID_CHECKER = (
    "" if ENV.mode is Mode.PRODUCTION else "sprechzeit.accounts.vat_place.format_only"
)

# Our reverse proxies: X-Forwarded-For is believed only from them (core/net.py).
TRUSTED_PROXIES = ENV.trusted_proxies
# Throttles (core/throttle.py): scope -> (attempts, window in seconds). The `_account`
# scopes count per e-mail address or user, the `_address` scopes per client address.
SPRECHZEIT_THROTTLES: dict[str, tuple[int, int]] = {
    "login_account": (10, 15 * 60),
    "login_address": (30, 15 * 60),
    "totp_account": (10, 15 * 60),
    "totp_address": (30, 15 * 60),
    "password_reset_account": (3, 60 * 60),
    "password_reset_address": (10, 60 * 60),
    "signup_address": (20, 60 * 60),
    "contact_address": (3, 15 * 60),
}
# Phone PIN lock (accounts/phone_pin.py): this many wrong PINs within the window (seconds),
# over all calls, lock the client's phone access until a new PIN or support unlocks it.
SPRECHZEIT_PHONE_PIN_LOCK: tuple[int, int] = (5, 24 * 60 * 60)
# Goodwill credits (support.services.goodwill): the most each staff role may book alone,
# in minor units; above it a second, different staff member whose limit covers the
# amount approves. A role not listed may book none.
SPRECHZEIT_GOODWILL_LIMITS: dict[str, int] = {"support": 2000, "risk": 10000, "admin": 50000}
# Large free-mail providers: the welcome credit's per-domain velocity limit skips them
# (their users are many different people); the per-address limit still applies.
SPRECHZEIT_FREEMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "outlook.de",
    "hotmail.com",
    "hotmail.de",
    "live.com",
    "live.de",
    "yahoo.com",
    "yahoo.de",
    "icloud.com",
    "me.com",
    "gmx.de",
    "gmx.net",
    "gmx.at",
    "gmx.ch",
    "web.de",
    "t-online.de",
    "freenet.de",
    "posteo.de",
    "mailbox.org",
    "proton.me",
    "protonmail.com",
    "aol.com",
)
SPRECHZEIT_NETWORK_HOSTS = ENV.network_hosts

SILENCED_SYSTEM_CHECKS = [
    # E-mail is unique per platform, not globally; PlatformEmailBackend resolves the login
    # within the request's platform (see accounts/backends.py and its tests).
    "auth.W004",
]
