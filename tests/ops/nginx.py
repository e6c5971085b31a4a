"""Run the shipped nginx configuration in a test: find Debian's nginx (fail under CI when it
is missing, skip elsewhere), make a self-signed certificate, render deploy/'s template
into a temporary prefix and run `nginx -t` or a real nginx on loopback ports."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RENDER = ROOT / "deploy" / "render_nginx.py"
MIME_TYPES = Path("/etc/nginx/mime.types")


def nginx_binary() -> str:
    """Debian's nginx; under CI=true its absence fails the test (scripts/test.sh installs
    it), elsewhere it skips."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        message = "nginx is not installed (scripts/test.sh installs Debian's package as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, valid for two days."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certificate, key


@dataclass
class Site:
    prefix: Path
    config: Path
    certificate: Path
    access_log: Path
    error_log: Path
    static_root: Path
    media_root: Path
    http_port: int
    https_port: int


def site(prefix: Path, *, nodes: list[str]) -> Site:
    """The shipped template rendered by deploy/render_nginx.py into `prefix`, inside a main
    configuration that keeps every file nginx writes under `prefix`."""
    certificate, key = self_signed(prefix)
    static_root, media_root = prefix / "static", prefix / "media"
    static_root.mkdir()
    media_root.mkdir()
    http_port, https_port = free_port(), free_port()
    access_log = prefix / "access.log"
    rendered = prefix / "sprechzeit.conf"
    subprocess.run(
        [
            sys.executable,
            str(RENDER),
            "--server-name",
            "localhost",
            *[arg for node in nodes for arg in ("--node", node)],
            "--tls-certificate",
            str(certificate),
            "--tls-certificate-key",
            str(key),
            "--static-root",
            str(static_root),
            "--media-root",
            str(media_root),
            "--access-log",
            str(access_log),
            "--http-port",
            str(http_port),
            "--https-port",
            str(https_port),
            "--output",
            str(rendered),
        ],
        check=True,
        timeout=60,
    )
    error_log = prefix / "error.log"
    temp = prefix / "temp"
    temp.mkdir()
    # As root, nginx's workers would drop to `nobody`, who cannot read a private temp dir.
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = prefix / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {error_log} info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    include {MIME_TYPES};\n"
        f"    client_body_temp_path {temp / 'body'};\n"
        f"    proxy_temp_path {temp / 'proxy'};\n"
        f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
        f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
        f"    scgi_temp_path {temp / 'scgi'};\n"
        f"    include {rendered};\n"
        "}\n",
        encoding="utf-8",
    )
    return Site(
        prefix=prefix,
        config=main,
        certificate=certificate,
        access_log=access_log,
        error_log=error_log,
        static_root=static_root,
        media_root=media_root,
        http_port=http_port,
        https_port=https_port,
    )


def nginx_check(nginx: str, site: Site) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [nginx, "-t", "-c", str(site.config), "-p", str(site.prefix), "-e", str(site.error_log)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def wait_for_port(port: int, *, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def running(nginx: str, site: Site) -> Iterator[subprocess.Popen[bytes]]:
    """nginx in the foreground on the site's ports; stopped (and reaped) on exit."""
    process = subprocess.Popen(
        [nginx, "-c", str(site.config), "-p", str(site.prefix), "-e", str(site.error_log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(site.https_port)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)


def access_entries(site: Site, *, at_least: int = 0, timeout: float = 10.0) -> list[str]:
    """The access log's lines. nginx writes a request's line after it has sent the
    response, so a client can be a step ahead of the log: wait for `at_least` lines."""
    deadline = time.monotonic() + timeout
    while True:
        lines = (
            site.access_log.read_text(encoding="utf-8").splitlines()
            if site.access_log.exists()
            else []
        )
        if len(lines) >= at_least or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def upstreams_of(entry: str) -> list[str]:
    """The nodes nginx tried for one request, in order (`upstream=a, b`)."""
    raw = entry.split(" upstream=", 1)[1].split(" upstream_status=", 1)[0]
    return [part.strip() for part in raw.split(",") if part.strip() and part.strip() != "-"]
