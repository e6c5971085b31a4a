#!/usr/bin/env python3
"""Render deploy/nginx/sprechzeit.conf.in: fill every @@NAME@@ placeholder and refuse to write
a configuration with one left. Standard library only, so it runs on the proxy host.

    python3 deploy/render_nginx.py --server-name example.com --node 10.0.0.11:8000 \\
        --node 10.0.0.12:8000 --tls-certificate /etc/ssl/…/fullchain.pem \\
        --tls-certificate-key /etc/ssl/…/privkey.pem --static-root /srv/sprechzeit/var/static \\
        --media-root /srv/sprechzeit/var/media > /etc/nginx/sites-available/sprechzeit
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx" / "sprechzeit.conf.in"
_NODE = re.compile(r"^[A-Za-z0-9.\-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$|^unix:/\S+$")
_NAME = re.compile(r"^[A-Za-z0-9*._\-]+$")


def render(
    *,
    server_names: list[str],
    nodes: list[str],
    tls_certificate: str,
    tls_certificate_key: str,
    static_root: str,
    media_root: str,
    access_log: str = "/var/log/nginx/sprechzeit.access.log",
    http_port: int = 80,
    https_port: int = 443,
    max_fails: int = 3,
    fail_timeout: str = "10s",
) -> str:
    """The configuration text; ValueError for a value that would not be one token."""
    if not nodes:
        raise ValueError("give at least one --node host:port")
    for node in nodes:
        if not _NODE.match(node):
            raise ValueError(f"node {node!r} is not host:port, [v6]:port or unix:/path")
    for name in server_names:
        if not _NAME.match(name):
            raise ValueError(f"server name {name!r} is not a host name")
    for path in (tls_certificate, tls_certificate_key, static_root, media_root, access_log):
        if not path.startswith("/") or any(c in path for c in " ;{}\"'\n"):
            raise ValueError(f"{path!r} must be an absolute path without spaces or ; {{ }}")
    values = {
        "UPSTREAM_SERVERS": "\n".join(
            f"    server {node} max_fails={max_fails} fail_timeout={fail_timeout};"
            for node in nodes
        ),
        "SERVER_NAMES": " ".join(server_names) or "_",
        "TLS_CERTIFICATE": tls_certificate,
        "TLS_CERTIFICATE_KEY": tls_certificate_key,
        "STATIC_ROOT": static_root.rstrip("/"),
        "MEDIA_ROOT": media_root.rstrip("/"),
        "ACCESS_LOG": access_log,
        "HTTP_PORT": str(http_port),
        "HTTPS_PORT": str(https_port),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    left = sorted(set(re.findall(r"@@[A-Z_]+@@", text)))
    if left:
        raise ValueError(f"placeholders left unfilled: {', '.join(left)}")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-name", action="append", default=[], dest="server_names")
    parser.add_argument("--node", action="append", default=[], dest="nodes", help="host:port")
    parser.add_argument("--tls-certificate", required=True)
    parser.add_argument("--tls-certificate-key", required=True)
    parser.add_argument("--static-root", required=True)
    parser.add_argument("--media-root", required=True)
    parser.add_argument("--access-log", default="/var/log/nginx/sprechzeit.access.log")
    parser.add_argument("--http-port", type=int, default=80)
    parser.add_argument("--https-port", type=int, default=443)
    parser.add_argument("--output", "-o", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        text = render(
            server_names=args.server_names,
            nodes=args.nodes,
            tls_certificate=args.tls_certificate,
            tls_certificate_key=args.tls_certificate_key,
            static_root=args.static_root,
            media_root=args.media_root,
            access_log=args.access_log,
            http_port=args.http_port,
            https_port=args.https_port,
        )
    except ValueError as exc:
        sys.stderr.write(f"render_nginx: {exc}\n")
        return 2
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
