"""The client's network address, the one way every limit and record reads it, and the
one test of an address against a list of networks (trusted proxies, the metrics
allow-list).

`X-Forwarded-For` is believed only as far as the chain of proxies is ours: when the
direct peer (`REMOTE_ADDR`) is in `TRUSTED_PROXIES`, the header is read from the right
and the first hop that is not a trusted proxy is the client. Anything left of it was
written by the client and is ignored, so a visitor cannot pick the address a limit
counts. Without configured proxies the header is ignored altogether.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


def parse_networks(raw: Sequence[str]) -> tuple[Network, ...]:
    """Addresses or CIDR ranges ("10.0.0.0/8", "::1"); raises ValueError on junk."""
    return tuple(ip_network(item.strip(), strict=False) for item in raw if item.strip())


def _address(raw: str) -> Address | None:
    """An address from a header hop or REMOTE_ADDR, tolerating a port ("1.2.3.4:80",
    "[::1]:80"); IPv4-mapped IPv6 addresses become IPv4. None for anything else."""
    text = raw.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_in(address: Address | None, networks: Iterable[Network | str]) -> bool:
    """Whether `address` lies in one of `networks` (networks or their string forms; a
    string that is no network is skipped). False for no address."""
    if address is None:
        return False
    for network in networks:
        try:
            candidate = (
                network
                if isinstance(network, IPv4Network | IPv6Network)
                else ip_network(str(network).strip(), strict=False)
            )
        except ValueError:
            continue
        if candidate.version == address.version and address in candidate:
            return True
    return False


def peer_address(request: HttpRequest) -> Address | None:
    """The direct peer (REMOTE_ADDR, the connection itself, never a header) as an
    address; IPv4-mapped IPv6 as IPv4. None when there is none."""
    return _address(str(request.META.get("REMOTE_ADDR") or ""))


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent `request` (see the module docstring); "" when
    the server was given none."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies: Sequence[Network] = getattr(settings, "TRUSTED_PROXIES", ())
    peer = peer_address(request)
    if peer is None or not proxies or not address_in(peer, proxies):
        return str(peer) if peer is not None else remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    nearest = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Our proxies write addresses only: junk here came from the client; the hop
            # before it is the last one we can vouch for.
            return str(nearest)
        if not address_in(address, proxies):
            return str(address)
        nearest = address
    return str(nearest)


def address_hash(address: str) -> str:
    """A keyed hash of an address: enough to count and compare, not a profile."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"address:{address}".encode(), hashlib.sha256).hexdigest()
