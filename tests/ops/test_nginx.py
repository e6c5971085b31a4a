"""The shipped nginx configuration (deploy/): `nginx -t` accepts it, and a real nginx
running it in front of two stand-in nodes terminates TLS, forwards only what it wrote
itself, upgrades WebSockets, serves static and media files safely, limits request sizes,
keeps /metrics private and routes around a dead node."""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.ops import nginx as ngx


@dataclass
class StandIn:
    """A node's stand-in: answers every request with its name and the headers it got,
    and echoes bytes on an accepted WebSocket upgrade."""

    name: str
    server: ThreadingHTTPServer
    seen: list[dict[str, Any]] = field(default_factory=list)
    # Paths under /crash/ are read, then the connection is dropped without an answer: a
    # node that died in the middle of a request.
    crashes: bool = False

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def stand_in(name: str) -> StandIn:
    node: StandIn

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            node.seen.append({"method": self.command, "path": self.path, "headers": headers})
            if node.crashes and self.path.startswith("/crash/"):
                self.close_connection = True
                return
            if headers.get("upgrade", "").lower() == "websocket":
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.end_headers()
                self.wfile.flush()
                chunk = self.connection.recv(1024)
                self.connection.sendall(b"echo:" + chunk)
                self.close_connection = True
                return
            body = json.dumps({"node": name, "headers": headers}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_HEAD = _answer  # noqa: N815 - http.server's names

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    node = StandIn(name=name, server=server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return node


@dataclass
class Proxy:
    site: ngx.Site
    nodes: list[StandIn]
    tls: ssl.SSLContext

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPSConnection(
            "localhost", self.site.https_port, context=self.tls, timeout=30
        )
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            return (
                response.status,
                {key.lower(): value for key, value in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()

    def get_json(self, path: str, **headers: str) -> dict[str, Any]:
        status, _headers, body = self.request("GET", path, headers=headers)
        assert status == 200, body
        answer: dict[str, Any] = json.loads(body)
        return answer


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    binary = ngx.nginx_binary()
    nodes = [stand_in("a"), stand_in("b")]
    site = ngx.site(tmp_path, nodes=[node.address for node in nodes])
    tls = ssl.create_default_context(cafile=str(site.certificate))
    try:
        with ngx.running(binary, site):
            yield Proxy(site=site, nodes=nodes, tls=tls)
    finally:
        for node in nodes:
            node.stop()


def test_nginx_accepts_the_shipped_configuration(tmp_path: Path) -> None:
    binary = ngx.nginx_binary()
    site = ngx.site(tmp_path, nodes=["10.0.0.11:8000", "10.0.0.12:8000", "10.0.0.13:8000"])
    checked = ngx.nginx_check(binary, site)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr
    assert "test is successful" in checked.stderr


def test_the_renderer_refuses_what_would_break_the_configuration(tmp_path: Path) -> None:
    def render(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable, str(ngx.RENDER), "--tls-certificate", "/etc/ssl/c.pem",
                "--tls-certificate-key", "/etc/ssl/k.pem", "--static-root", "/srv/static",
                "--media-root", "/srv/media", *extra,
            ],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    assert "at least one --node" in render().stderr
    assert "is not host:port" in render("--node", "10.0.0.1:80; evil").stderr
    assert "is not a host name" in render("--node", "10.0.0.1:80", "--server-name", "a b").stderr
    good = render("--node", "10.0.0.1:8000", "--server-name", "example.com")
    assert good.returncode == 0
    assert "server 10.0.0.1:8000 max_fails=3 fail_timeout=10s;" in good.stdout
    assert "@@" not in good.stdout


def test_the_proxy_forwards_only_what_it_wrote_itself(proxy: Proxy) -> None:
    mark = len(ngx.access_entries(proxy.site))
    seen = proxy.get_json(
        "/konto/?next=1",
        **{
            "X-Forwarded-For": "6.6.6.6",
            "X-Forwarded-Proto": "http",
            "X-Forwarded-Host": "evil.example",
            "Forwarded": "for=6.6.6.6",
            "X-Real-IP": "6.6.6.6",
            "X-Request-ID": "chosen-by-the-client",
        },
    )["headers"]
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "https"
    assert seen["host"] == f"localhost:{proxy.site.https_port}"
    assert "x-forwarded-host" not in seen
    assert "forwarded" not in seen
    assert "x-real-ip" not in seen
    assert re.fullmatch(r"[0-9a-f]{32}", seen["x-request-id"])
    # The same id is in the proxy's access log, to match the application's log line.
    logged = ngx.access_entries(proxy.site, at_least=mark + 1)[mark]
    assert f"request_id={seen['x-request-id']}" in logged
    assert "next=1" not in logged


def test_requests_go_to_the_nodes_in_turn(proxy: Proxy) -> None:
    served = [proxy.get_json("/healthz")["node"] for _ in range(6)]
    assert sorted(set(served)) == ["a", "b"]
    assert all(first != second for first, second in pairwise(served))


def test_a_dead_node_is_routed_around(proxy: Proxy) -> None:
    proxy.nodes[0].stop()
    mark = len(ngx.access_entries(proxy.site))
    served = [proxy.get_json("/berater/")["node"] for _ in range(6)]
    assert served == ["b"] * 6
    dead = proxy.nodes[0].address
    logged = ngx.access_entries(proxy.site, at_least=mark + 6)[mark : mark + 6]
    assert len(logged) == 6
    tried = [ngx.upstreams_of(entry) for entry in logged]
    assert all(attempts[-1] == proxy.nodes[1].address for attempts in tried)
    assert any(attempts == [dead, proxy.nodes[1].address] for attempts in tried)


def test_a_request_cut_off_by_a_dying_node_is_retried_only_when_it_is_safe(proxy: Proxy) -> None:
    """A POST that a node dropped is never sent to another (a payment must not be
    submitted twice because a node died while answering); a GET goes to the next node."""
    dying, healthy = proxy.nodes
    dying.crashes = True

    def reached(node: StandIn, path: str) -> bool:
        return any(req["path"] == path for req in node.seen)

    # Round robin: within a few requests each kind reaches the dying node once.
    for n in range(6):
        path = f"/crash/pay-{n}/"
        status = proxy.request("POST", path, body=b"amount=1000")[0]
        if reached(dying, path):
            assert status == 502
            assert not reached(healthy, path)
            break
        assert status == 200
    else:
        pytest.fail("no POST reached the dying node")
    for n in range(6):
        path = f"/crash/page-{n}/"
        assert proxy.request("GET", path)[0] == 200
        if reached(dying, path):
            assert reached(healthy, path)
            break
    else:
        pytest.fail("no GET reached the dying node")


def test_websocket_upgrades_reach_a_node_and_carry_bytes_both_ways(proxy: Proxy) -> None:
    raw = socket.create_connection(("127.0.0.1", proxy.site.https_port), timeout=30)
    with proxy.tls.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(
            b"GET /ws/consultations/abc/ HTTP/1.1\r\nHost: localhost\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += tls.recv(1024)
        assert head.startswith(b"HTTP/1.1 101 ")
        tls.sendall(b"frame")
        echoed = b""
        while len(echoed) < len(b"echo:frame"):
            chunk = tls.recv(1024)
            if not chunk:
                break
            echoed += chunk
    assert echoed == b"echo:frame"
    upgrade = next(
        req for node in proxy.nodes for req in node.seen if req["path"] == "/ws/consultations/abc/"
    )
    assert upgrade["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert upgrade["headers"]["x-forwarded-proto"] == "https"


def test_static_files_come_from_disk_and_are_never_sniffed(proxy: Proxy) -> None:
    (proxy.site.static_root / "site.css").write_text("body { color: black }")
    status, headers, body = proxy.request("GET", "/static/site.css")
    assert status == 200
    assert body == b"body { color: black }"
    assert headers["content-type"] == "text/css"
    assert headers["x-content-type-options"] == "nosniff"
    missing, _headers, _body = proxy.request("GET", "/static/missing.js")
    assert missing == 404
    assert not [
        req for node in proxy.nodes for req in node.seen if req["path"].startswith("/static/")
    ]


def test_uploaded_media_is_served_as_an_image_or_a_download(proxy: Proxy) -> None:
    photos = proxy.site.media_root / "listings" / "photos"
    photos.mkdir(parents=True)
    (photos / "anna.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (photos / "evil.html").write_text("<script>alert(1)</script>")
    status, headers, _body = proxy.request("GET", "/media/listings/photos/anna.png")
    assert (status, headers["content-type"]) == (200, "image/png")
    assert headers["x-content-type-options"] == "nosniff"
    (photos / "evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    (photos / "old.gif").write_bytes(b"GIF89a<script>alert(1)</script>")
    for name in ("evil.html", "evil.svg", "old.gif"):
        status, headers, _body = proxy.request("GET", f"/media/listings/photos/{name}")
        assert status == 200
        assert headers["content-type"] == "application/octet-stream"
        assert headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in headers["content-security-policy"]


def test_metrics_are_not_reachable_through_the_proxy(proxy: Proxy) -> None:
    status, _headers, _body = proxy.request("GET", "/metrics")
    assert status == 404
    assert not [req for node in proxy.nodes for req in node.seen if req["path"] == "/metrics"]


def test_oversized_bodies_are_refused_at_the_proxy(proxy: Proxy) -> None:
    status, _headers, _body = proxy.request("POST", "/upload/", body=b"x" * (11 * 1024 * 1024))
    assert status == 413
    assert not [req for node in proxy.nodes for req in node.seen if req["path"] == "/upload/"]


def test_plain_http_is_redirected_to_https(proxy: Proxy) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", proxy.site.http_port, timeout=30)
    try:
        connection.request("GET", "/berater/?q=1", headers={"Host": "localhost"})
        response = connection.getresponse()
        assert response.status == 301
        assert response.getheader("Location") == "https://localhost/berater/?q=1"
    finally:
        connection.close()
