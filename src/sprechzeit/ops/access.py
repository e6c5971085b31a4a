"""Who may read /metrics: a direct peer in METRICS_ALLOWED_IPS, or a request carrying
`Authorization: Bearer <METRICS_TOKEN>`.

The peer is REMOTE_ADDR, the address of the connection itself: a proxy's
X-Forwarded-For is never read here, so a public request relayed by the proxy counts as
the proxy's address. The shipped nginx configuration refuses /metrics for that reason;
Prometheus scrapes each node directly.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest


def peer_address(request: HttpRequest) -> IPv4Address | IPv6Address | None:
    """REMOTE_ADDR as an address (IPv4-mapped IPv6 as IPv4), None when there is none."""
    try:
        address = ip_address(str(request.META.get("REMOTE_ADDR") or "").strip())
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_in(address: IPv4Address | IPv6Address | None, networks: Iterable[object]) -> bool:
    """Whether `address` lies in one of `networks` (networks or their string forms)."""
    if address is None:
        return False
    for network in networks:
        try:
            candidate = (
                network
                if isinstance(network, IPv4Network | IPv6Network)
                else ip_network(str(network), strict=False)
            )
        except ValueError:
            continue
        if candidate.version == address.version and address in candidate:
            return True
    return False


def metrics_access_allowed(request: HttpRequest) -> bool:
    """The token, compared in constant time, or the direct peer's address."""
    token: str | None = settings.METRICS_TOKEN
    header = str(request.META.get("HTTP_AUTHORIZATION") or "")
    if token and header.startswith("Bearer "):
        presented = header.removeprefix("Bearer ").strip()
        if hmac.compare_digest(presented.encode(), token.encode()):
            return True
    return address_in(peer_address(request), settings.METRICS_ALLOWED_IPS)
