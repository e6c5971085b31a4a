"""The client address: X-Forwarded-For only through configured proxies; the direct peer
and the one test of an address against a network list (proxies, the metrics allow-list)."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

from django.test import RequestFactory

from sprechzeit.core.net import address_hash, address_in, client_address, peer_address


def _address(remote: str, forwarded: str | None = None) -> str:
    request = RequestFactory().get("/")
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(request)


def test_without_trusted_proxies_the_header_is_ignored(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ()
    assert _address("127.0.0.1", "203.0.113.9") == "127.0.0.1"
    assert _address("198.51.100.4") == "198.51.100.4"


def test_the_rightmost_untrusted_hop_behind_trusted_proxies(settings: Any) -> None:
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.0/8"), ip_network("127.0.0.1/32"))
    # A visitor who writes their own header only adds hops left of the real one.
    assert _address("127.0.0.1", "1.2.3.4, 203.0.113.9") == "203.0.113.9"
    # Two of our proxies in a row: both skipped.
    assert _address("127.0.0.1", "1.2.3.4, 203.0.113.9, 10.1.2.3") == "203.0.113.9"
    # Ports and IPv6 forms are understood; IPv4-mapped IPv6 becomes IPv4.
    assert _address("127.0.0.1", "[2001:db8::7]:4711") == "2001:db8::7"
    assert _address("127.0.0.1", "203.0.113.9:4711") == "203.0.113.9"
    assert _address("::ffff:127.0.0.1", "203.0.113.9") == "203.0.113.9"
    # Junk next to our proxy: the last hop we can vouch for counts.
    assert _address("127.0.0.1", "203.0.113.9, nonsense") == "127.0.0.1"
    # Only proxies in the chain, or no header: the nearest of them.
    assert _address("127.0.0.1", "10.0.0.2") == "10.0.0.2"
    assert _address("127.0.0.1") == "127.0.0.1"


def test_a_peer_that_is_no_trusted_proxy_is_the_client(settings: Any) -> None:
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.0/8"),)
    assert _address("203.0.113.9", "10.0.0.1") == "203.0.113.9"


def test_address_hash_is_keyed_and_stable() -> None:
    assert address_hash("203.0.113.9") == address_hash("203.0.113.9")
    assert address_hash("203.0.113.9") != address_hash("203.0.113.10")
    assert "203.0.113.9" not in address_hash("203.0.113.9")


def test_the_peer_is_remote_addr_alone_and_mapped_ipv6_is_ipv4() -> None:
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="203.0.113.9")
    request.META["REMOTE_ADDR"] = "::ffff:10.0.0.5"
    assert str(peer_address(request)) == "10.0.0.5"
    request.META["REMOTE_ADDR"] = "not an address"
    assert peer_address(request) is None


def test_an_address_in_networks_given_as_networks_or_strings() -> None:
    request = RequestFactory().get("/")
    request.META["REMOTE_ADDR"] = "10.1.2.3"
    peer = peer_address(request)
    assert address_in(peer, [ip_network("10.0.0.0/8")])
    assert address_in(peer, ["junk", " 10.1.2.3 "])
    assert not address_in(peer, ["192.168.0.0/16", "::/0"])  # another family never matches
    assert not address_in(None, ["0.0.0.0/0"])
