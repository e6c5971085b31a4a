"""The browser suite: a real ASGI server (uvicorn) on a free port, driven by Debian's
Chromium through Playwright, the way a person uses Sprechzeit.

The server runs in demo mode on its own SQLite file, seeded by `sprechzeit demo --no-serve`,
so it shares nothing with the Django test database. Screenshots land in var/screenshots/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@dataclass(frozen=True)
class LiveServer:
    port: int
    env: dict[str, str]

    def url(self, platform: str | None = None, path: str = "/") -> str:
        host = f"{platform}.localhost" if platform else "127.0.0.1"
        return f"http://{host}:{self.port}{path}"

    def mails(self) -> list[str]:
        """Every e-mail the server sent so far, oldest first (file backend under VAR_DIR)."""
        folder = Path(self.env["VAR_DIR"]) / "mail"
        if not folder.exists():
            return []
        return [
            f.read_text(encoding="utf-8")
            for f in sorted(folder.iterdir(), key=lambda f: f.stat().st_mtime)
        ]

    def sprechzeit(self, *args: str) -> str:
        """Run a `sprechzeit` command against the server's database and return its output."""
        result = subprocess.run(
            [sys.executable, "-m", "sprechzeit.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,  # a bound, not a speed test: seeding the demo takes ~40 s of CPU on a busy machine
        )
        return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("browser-server")
    env = {
        **os.environ,
        "SPRECHZEIT_MODE": "demo",
        "DATABASE_URL": f"sqlite:///{workdir / 'browser.sqlite3'}",
        "VAR_DIR": str(workdir),
        "EMAIL_BACKEND": "file",
        "DJANGO_SETTINGS_MODULE": "sprechzeit.config.settings",
    }
    env.pop("REDIS_URL", None)
    env.pop("PYTEST_VERSION", None)  # the server is a demo, not a test process
    server = LiveServer(port=_free_port(), env=env)
    server.sprechzeit("demo", "--no-serve")
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "sprechzeit.config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(server.port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(server.url(), timeout=2) as response:  # noqa: S310 - our own loopback server
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server did not start; see {workdir / 'server.log'}"
                    ) from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: `make test` installs it (apt-get install chromium)."
        )
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


# Every page reports what its Content-Security-Policy blocked on the console, where the
# fixture below collects it: a test whose pages violate the policy fails.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture(autouse=True)
def no_csp_violations(browser: Browser, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Wraps the browser's new_context/new_page so that every page of the test listens for
    CSP violations; fails the test if any page logged one (or Chromium's own report)."""
    violations: list[str] = []
    new_context = browser.new_context

    def listen(message: ConsoleMessage) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            violations.append(f"{message.page.url if message.page else '?'}: {text}")

    def watched_context(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", listen)
        return context

    def watched_page(**kwargs: Any) -> Page:
        return watched_context(**kwargs).new_page()

    monkeypatch.setattr(browser, "new_context", watched_context)
    monkeypatch.setattr(browser, "new_page", watched_page)
    yield
    assert violations == [], violations


def screenshot_path(name: str) -> str:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return str(SCREENSHOTS / f"{name}.png")
