"""The strict Content-Security-Policy as a test sees it: the header's directives and no
inline code on the page outside the response's nonce."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts and styles without the
    nonce, style attributes, event-handler attributes and javascript: URLs."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.blocked: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        data_block = attributes.get("type") == "application/json"
        nonced = self.nonce is not None and attributes.get("nonce") == self.nonce
        if tag == "script" and "src" not in attributes and not data_block and not nonced:
            self.blocked.append(f"inline <script> {attributes}")
        if tag == "style" and not nonced:
            self.blocked.append(f"<style> without the nonce {attributes}")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.blocked.append(f"<{tag} {name}={value!r}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.blocked.append(f"<{tag} {name}={value!r}>")


def assert_strict_csp(response: Any, host: str) -> None:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"no CSP on {response.request['PATH_INFO']}"
    directives = dict(
        ([*part.strip().split(" ", 1), ""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["connect-src"].split() == ["'self'", f"ws://{host}"]
    match = re.search(r"'nonce-([^']+)'", directives["script-src"])
    nonce = match.group(1) if match else None
    if response.get("Content-Type", "").startswith("text/html"):
        parser = InlineCode(nonce)
        parser.feed(response.content.decode())
        assert parser.blocked == [], (response.request["PATH_INFO"], parser.blocked)
