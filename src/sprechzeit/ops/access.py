"""Who may read /metrics: a direct peer in METRICS_ALLOWED_IPS, or a request carrying
`Authorization: Bearer <METRICS_TOKEN>`.

The peer is REMOTE_ADDR, the address of the connection itself: a proxy's
X-Forwarded-For is never read here, so a public request relayed by the proxy counts as
the proxy's address. The shipped nginx configuration refuses /metrics for that reason;
Prometheus scrapes each node directly.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest

from sprechzeit.core.net import address_in, peer_address


def metrics_access_allowed(request: HttpRequest) -> bool:
    """The token, compared in constant time, or the direct peer's address."""
    token: str | None = settings.METRICS_TOKEN
    header = str(request.META.get("HTTP_AUTHORIZATION") or "")
    if token and header.startswith("Bearer "):
        presented = header.removeprefix("Bearer ").strip()
        if hmac.compare_digest(presented.encode(), token.encode()):
            return True
    return address_in(peer_address(request), settings.METRICS_ALLOWED_IPS)
