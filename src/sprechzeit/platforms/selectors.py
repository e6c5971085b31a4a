"""Reads of platforms. The host → platform resolution is the one door of tenancy."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from sprechzeit.platforms.errors import PlatformInactive, UnknownHost
from sprechzeit.platforms.models import Platform, PlatformDomain

DEV_SUFFIX = ".localhost"


def normalise_host(raw_host: str) -> str:
    """`Coaching.LOCALHOST:8000` → `coaching.localhost`; IPv6 literals keep their brackets."""
    host = raw_host.strip().lower().rstrip(".")
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def host_port(raw_host: str) -> str:
    """The port of a Host header ("8000" of "127.0.0.1:8000"), or "" when it has none."""
    tail = raw_host.rsplit("]", 1)[-1]
    return tail.rsplit(":", 1)[1] if ":" in tail else ""


def platform_for_host(*, host: str) -> Platform:
    """The active platform served at `host`.

    A registered host name wins; otherwise `<slug>.localhost` selects a platform by its
    slug (development: browsers resolve every *.localhost to loopback).
    Raises UnknownHost or PlatformInactive.
    """
    domain = (
        PlatformDomain.objects.select_related("platform__legal_entity").filter(host=host).first()
    )
    platform: Platform | None = domain.platform if domain else None
    if platform is None and host.endswith(DEV_SUFFIX):
        slug = host.removesuffix(DEV_SUFFIX)
        platform = Platform.objects.select_related("legal_entity").filter(slug=slug).first()
    if platform is None:
        raise UnknownHost(host=host)
    if not platform.is_active:
        raise PlatformInactive(host=host, platform=platform.slug)
    return platform


def platforms_active() -> QuerySet[Platform]:
    return Platform.objects.filter(is_active=True).prefetch_related("domains").order_by("name")


def platform_url(*, platform: Platform, request_scheme: str = "http", port: str = "") -> str:
    """The address of a platform's home page: its primary host, else `<slug>.localhost`."""
    domains: Iterable[PlatformDomain] = platform.domains.all()
    primary = next((d for d in domains if d.is_primary), None)
    host = primary.host if primary else f"{platform.slug}{DEV_SUFFIX}"
    suffix = f":{port}" if port and port not in {"80", "443"} else ""
    return f"{request_scheme}://{host}{suffix}/"
