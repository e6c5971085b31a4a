"""The one typed settings object: every environment variable is declared here once.

Each field names its variable, its type, its default and why it exists. Secrets have
no default outside the demo and the tests: `Env.load()` raises `ImproperlyConfigured`
with a message that says which variable is missing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(os.environ.get("SPRECHZEIT_HOME", Path.cwd())).resolve()


class Mode(StrEnum):
    PRODUCTION = "production"
    DEMO = "demo"
    TEST = "test"


_TRUE = {"1", "true", "yes", "on"}

# Only ever used in demo and test mode; a production start without SECRET_KEY fails.
_INSECURE_DEV_KEY = "sprechzeit-demo-and-test-only-not-a-secret"


def _bool(raw: str | None, *, default: bool) -> bool:
    return default if raw is None or raw == "" else raw.strip().lower() in _TRUE


def _list(raw: str | None, *, default: tuple[str, ...]) -> tuple[str, ...]:
    if raw is None or raw.strip() == "":
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _seconds(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number of seconds above 0.")
    return int(raw)


def _mode(environ: Mapping[str, str]) -> Mode:
    # pytest (>= 8.2) announces itself in PYTEST_VERSION: the suite runs in test mode
    # without anyone having to remember an environment variable.
    default_mode = Mode.TEST if "PYTEST_VERSION" in environ else Mode.PRODUCTION
    raw_mode = environ.get("SPRECHZEIT_MODE", default_mode.value).strip().lower()
    try:
        return Mode(raw_mode)
    except ValueError:
        raise ImproperlyConfigured(
            f"SPRECHZEIT_MODE={raw_mode!r} is not one of: production, demo, test."
        ) from None


def _secret_key(environ: Mapping[str, str], *, production: bool) -> str:
    secret_key = environ.get("SECRET_KEY", "")
    if secret_key:
        return secret_key
    if production:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Sprechzeit refuses to start in production "
            "without it. Set SECRET_KEY to a long random value (for example "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or run the demo with `sprechzeit demo`."
        )
    return _INSECURE_DEV_KEY


def _networks(
    environ: Mapping[str, str], name: str, *, default: tuple[str, ...]
) -> tuple[IPv4Network | IPv6Network, ...]:
    """Comma-separated addresses or CIDR ranges; a clear start-up error on junk."""
    try:
        return tuple(
            ip_network(item, strict=False) for item in _list(environ.get(name), default=default)
        )
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name}={environ.get(name)!r}: {exc}. Give addresses or CIDR ranges, separated "
            "by commas (for example 10.0.0.0/24,192.0.2.7)."
        ) from None


def _log_format(environ: Mapping[str, str], *, production: bool) -> Literal["json", "text"]:
    raw_format = environ.get("LOG_FORMAT", "json" if production else "text").strip().lower()
    if raw_format not in ("json", "text"):
        raise ImproperlyConfigured(f"LOG_FORMAT={raw_format!r} is not one of: json, text.")
    return "json" if raw_format == "json" else "text"


def _metrics_token(environ: Mapping[str, str]) -> str | None:
    metrics_token = environ.get("METRICS_TOKEN") or None
    if metrics_token is not None and len(metrics_token) < 16:
        raise ImproperlyConfigured(
            "METRICS_TOKEN is shorter than 16 characters; use a long random value."
        )
    return metrics_token


def _pool(environ: Mapping[str, str], *, raw_age: str) -> tuple[int | None, float]:
    """DB_POOL_MAX_SIZE and DB_POOL_TIMEOUT, checked against DB_CONN_MAX_AGE."""
    raw_pool = environ.get("DB_POOL_MAX_SIZE", "").strip()
    if raw_pool and not raw_pool.isdigit():
        raise ImproperlyConfigured(
            f"DB_POOL_MAX_SIZE={raw_pool!r} is not a whole number of connections."
        )
    if raw_pool not in ("", "0") and raw_age not in ("", "0"):
        raise ImproperlyConfigured(
            "DB_POOL_MAX_SIZE and DB_CONN_MAX_AGE exclude each other: pooled connections "
            "are returned after every request, kept ones stay with their thread. Set one."
        )
    raw_timeout = environ.get("DB_POOL_TIMEOUT", "").strip() or "20"
    try:
        pool_timeout = float(raw_timeout)
    except ValueError:
        pool_timeout = -1.0
    if not 0 < pool_timeout < 3600:
        raise ImproperlyConfigured(
            f"DB_POOL_TIMEOUT={raw_timeout!r} is not a number of seconds between 0 and 3600."
        )
    return (int(raw_pool) if raw_pool else None), pool_timeout


@dataclass(frozen=True, slots=True)
class Env:
    # SPRECHZEIT_MODE: production (default), demo (`sprechzeit demo`) or test (pytest).
    mode: Mode
    # SECRET_KEY: Django's signing key. Required in production.
    secret_key: str
    # DEBUG: detailed error pages; never on in production.
    debug: bool
    # DATABASE_URL: postgres://… in production; default an SQLite file under var/.
    database_url: str
    # REDIS_URL: channel layer and Celery broker. Absent: in-memory layer, eager tasks.
    redis_url: str | None
    # CELERY_BROKER_URL: overrides the broker (for example RabbitMQ); default REDIS_URL.
    celery_broker_url: str | None
    # CELERY_VISIBILITY_TIMEOUT: seconds after which Redis hands a task that a worker took
    # but never acknowledged (the whole worker was killed) to another worker; default 3600.
    celery_visibility_timeout: int
    # ALLOWED_HOSTS: comma-separated. Platform host names are checked by the tenancy
    # middleware, so the default admits all in demo and test and nothing in production.
    allowed_hosts: tuple[str, ...]
    # CSRF_TRUSTED_ORIGINS: comma-separated origins (https://…) behind a proxy.
    csrf_trusted_origins: tuple[str, ...]
    # EMAIL_BACKEND: "console" (demo), "smtp", "file" (one file per mail under var/mail)
    # or "locmem" (tests); a dotted backend path also works.
    email_backend: str
    # EMAIL_HOST / EMAIL_PORT / EMAIL_HOST_USER / EMAIL_HOST_PASSWORD / EMAIL_USE_TLS for smtp.
    email_host: str
    email_port: int
    email_host_user: str
    email_host_password: str
    email_use_tls: bool
    # DEFAULT_FROM_EMAIL: sender of mail without a platform (staff invitations, partner
    # mail); platform mail comes from the platform's name and contact address.
    default_from_email: str
    # TIME_ZONE: the operator's zone; documents and periods are cut in it.
    time_zone: str
    # SECURE_COOKIES: secure session and CSRF cookies (default on in production).
    secure_cookies: bool
    # NETWORK_HOSTS: hosts that show the network overview instead of a platform.
    network_hosts: tuple[str, ...]
    # VAR_DIR: where the embedded database, uploads and screenshots live.
    var_dir: Path
    # DB_CONN_MAX_AGE: seconds a PostgreSQL connection is kept for reuse by the thread that
    # opened it. Off by default: under ASGI every HTTP request runs in a thread of its own,
    # so kept connections leak one backend per request. Only for processes whose database
    # work stays in a few long-lived threads (the consultations benchmark's socket-only
    # server sets 60); excludes DB_POOL_MAX_SIZE.
    db_conn_max_age: int | None = None
    # TRUSTED_PROXIES: comma-separated addresses or CIDR ranges of our own reverse proxies
    # (e.g. "10.0.0.5,10.1.0.0/16"). Only a request whose direct peer is one of them has
    # its X-Forwarded-For read (right-most hop that is not a trusted proxy); default
    # empty: the header is ignored and the peer is the client (core/net.py).
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    # --- Operations (docs/operations.md) ---
    # LOG_FORMAT: "json" (one JSON line per event; default in production) or "text"
    # (readable; default in the demo and the tests).
    log_format: Literal["json", "text"] = "text"
    # SENTRY_DSN: report errors to Sentry (no personal data); unset: no reports.
    sentry_dsn: str | None = None
    # SENTRY_ENVIRONMENT: the environment named in reports; default the mode.
    sentry_environment: str = ""
    # METRICS_ALLOWED_IPS: comma-separated addresses or CIDR ranges whose direct
    # connections may read /metrics. Default: none in production, loopback otherwise.
    metrics_allowed_ips: tuple[IPv4Network | IPv6Network, ...] = ()
    # METRICS_TOKEN: a bearer token (≥ 16 characters) that opens /metrics from anywhere.
    metrics_token: str | None = None
    # PROMETHEUS_MULTIPROC_DIR: a folder shared by every process of a node (uvicorn
    # workers, Celery); metrics of all of them are summed at each scrape. prometheus_client
    # reads the variable itself when it is imported; unset: per-process metrics.
    prometheus_multiproc_dir: Path | None = None
    # DB_POOL_MAX_SIZE: connections of each process's PostgreSQL pool (psycopg_pool through
    # Django's OPTIONS["pool"]): a request or a socket's database call borrows one and
    # returns it, so a process never holds more than this many backends. Default 10
    # outside the tests (0 in them, and when DB_CONN_MAX_AGE is set); 0 switches it off.
    db_pool_max_size: int | None = None
    # DB_POOL_TIMEOUT: seconds a request waits for a free pooled connection before it
    # fails (the pool is exhausted: more concurrent database work than DB_POOL_MAX_SIZE).
    db_pool_timeout: float = 20.0
    # MAIL_LINK_SCHEME: scheme of links in mails sent without a request ("https"; "http"
    # outside production).
    mail_link_scheme: str = "https"
    # MAIL_LINK_PORT: port of those links ("": the scheme's default; the demo: 8000).
    mail_link_port: str = ""
    # --- Video consultations (WebRTC; docs/operations.md, "TURN") ---
    # WEBRTC_STUN_URLS: comma-separated STUN servers ("stun:turn.example.com:3478");
    # empty: none (browsers on one network still connect by their host candidates).
    webrtc_stun_urls: tuple[str, ...] = ()
    # WEBRTC_TURN_URLS: comma-separated TURN servers ("turn:turn.example.com:3478?
    # transport=udp,turns:turn.example.com:5349"); needs WEBRTC_TURN_SECRET.
    webrtc_turn_urls: tuple[str, ...] = ()
    # WEBRTC_TURN_SECRET: coturn's `static-auth-secret` (use-auth-secret, the shared-secret
    # REST scheme): the server signs time-limited credentials for the two participants.
    webrtc_turn_secret: str | None = None
    # WEBRTC_TURN_TTL_SECONDS: how long such a credential is valid (default 3 hours).
    webrtc_turn_ttl_seconds: int = 3 * 3600
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.mode is Mode.PRODUCTION

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Env:
        environ = os.environ if environ is None else environ
        mode = _mode(environ)
        production = mode is Mode.PRODUCTION
        secret_key = _secret_key(environ, production=production)

        var_dir = Path(environ.get("VAR_DIR", str(BASE_DIR / "var"))).resolve()
        default_db = (
            f"sqlite:///{var_dir / ('test.sqlite3' if mode is Mode.TEST else 'sprechzeit.sqlite3')}"
        )

        redis_url = environ.get("REDIS_URL") or None
        raw_age = environ.get("DB_CONN_MAX_AGE", "").strip()
        if raw_age and not raw_age.isdigit():
            raise ImproperlyConfigured(
                f"DB_CONN_MAX_AGE={raw_age!r} is not a whole number of seconds."
            )
        trusted_proxies = _networks(environ, "TRUSTED_PROXIES", default=())
        metrics_allowed_ips = _networks(
            environ,
            "METRICS_ALLOWED_IPS",
            default=() if production else ("127.0.0.1/32", "::1/128"),
        )
        multiproc_dir = environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        pool_max_size, pool_timeout = _pool(environ, raw_age=raw_age)
        turn_urls = _list(environ.get("WEBRTC_TURN_URLS"), default=())
        turn_secret = environ.get("WEBRTC_TURN_SECRET") or None
        if turn_urls and (turn_secret is None or len(turn_secret) < 16):
            raise ImproperlyConfigured(
                "WEBRTC_TURN_URLS needs WEBRTC_TURN_SECRET (coturn's static-auth-secret, at "
                "least 16 characters)."
            )
        return cls(
            mode=mode,
            secret_key=secret_key,
            debug=_bool(environ.get("DEBUG"), default=False),
            database_url=environ.get("DATABASE_URL") or default_db,
            redis_url=redis_url,
            celery_broker_url=environ.get("CELERY_BROKER_URL") or redis_url,
            celery_visibility_timeout=_seconds(environ, "CELERY_VISIBILITY_TIMEOUT", 3600),
            allowed_hosts=_list(environ.get("ALLOWED_HOSTS"), default=() if production else ("*",)),
            csrf_trusted_origins=_list(environ.get("CSRF_TRUSTED_ORIGINS"), default=()),
            email_backend=environ.get(
                "EMAIL_BACKEND",
                {"production": "smtp", "demo": "console", "test": "locmem"}[mode.value],
            ),
            email_host=environ.get("EMAIL_HOST", "localhost"),
            email_port=int(environ.get("EMAIL_PORT", "25")),
            email_host_user=environ.get("EMAIL_HOST_USER", ""),
            email_host_password=environ.get("EMAIL_HOST_PASSWORD", ""),
            email_use_tls=_bool(environ.get("EMAIL_USE_TLS"), default=False),
            default_from_email=environ.get("DEFAULT_FROM_EMAIL", "Sprechzeit <noreply@localhost>"),
            time_zone=environ.get("TIME_ZONE", "Europe/Berlin"),
            secure_cookies=_bool(environ.get("SECURE_COOKIES"), default=production),
            network_hosts=_list(
                environ.get("NETWORK_HOSTS"),
                default=("127.0.0.1", "localhost", "[::1]", "testserver"),
            ),
            var_dir=var_dir,
            db_conn_max_age=int(raw_age) if raw_age else None,
            trusted_proxies=trusted_proxies,
            log_format=_log_format(environ, production=production),
            sentry_dsn=environ.get("SENTRY_DSN") or None,
            sentry_environment=environ.get("SENTRY_ENVIRONMENT") or mode.value,
            metrics_allowed_ips=metrics_allowed_ips,
            metrics_token=_metrics_token(environ),
            prometheus_multiproc_dir=Path(multiproc_dir).resolve() if multiproc_dir else None,
            db_pool_max_size=pool_max_size,
            db_pool_timeout=pool_timeout,
            mail_link_scheme=environ.get("MAIL_LINK_SCHEME", "https" if production else "http"),
            mail_link_port=environ.get("MAIL_LINK_PORT", "8000" if mode.value == "demo" else ""),
            webrtc_stun_urls=_list(environ.get("WEBRTC_STUN_URLS"), default=()),
            webrtc_turn_urls=turn_urls,
            webrtc_turn_secret=turn_secret,
            webrtc_turn_ttl_seconds=_seconds(environ, "WEBRTC_TURN_TTL_SECONDS", 3 * 3600),
        )
