"""Every page each role may open, at a desktop and a phone size, in German and English.

The page list is generated, not followed from links (tests/browser/crawl_pages.py): every
URL pattern of the URLconf that is a page (not in its commented exclusion set: downloads,
form actions, webhooks, fragments, the API, Django's admin), visited by each role the
access table (`accounts.access`) allows on its host: anonymous, client and partner on
both demo platforms; anonymous and each staff role (support, risk, accounting, admin) on
the network's host 127.0.0.1. Path parameters are the demo's objects the role may see
(the crawl client's consultation and payments, the crawl partner's listing and credit
note, the console's queue items), looked up in the demo server's database by
tests/browser/crawl_demo.py. A new page is visited without editing this test; a page
whose parameters nothing fills fails tests/test_crawl_pages.py.

Each role's pages are checked in all four combinations (1366×900 and 390×844, German
and English), one test per role and combination. Each visit asserts: an allowed status
(< 400) and not sent to the log-in, no console error, nothing wider than the screen, no
serious or critical axe-core violation (WCAG 2.1 A/AA), and on English pages no line of
text that is exactly a German source string (an untranslated msgid; texts the partners
and staff wrote are not checked, they are content).

Bounded for CI: one log-in per role and host, its storage state shared by the four
combinations' contexts; no sleeps; axe runs once per page load.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, ViewportSize

from sprechzeit.demo.seed import DEMO_PASSWORD, STAFF
from tests.browser.axe import axe_source, axe_violations
from tests.browser.conftest import LiveServer
from tests.browser.crawl_demo import CRAWL_CLIENT, PARTNER_OF
from tests.browser.crawl_pages import ROLES, Role, role_paths
from tests.browser.staff import staff_login, totp_code

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DESKTOP: Final[ViewportSize] = {"width": 1366, "height": 900}
PHONE: Final[ViewportSize] = {"width": 390, "height": 844}
COMBINATIONS: Final = (("desktop", "de"), ("desktop", "en"), ("phone", "de"), ("phone", "en"))
STAFF_EMAIL: Final = {role: email for email, role in STAFF}
LOGIN: Final = "/anmelden/"


def _german_msgids() -> frozenset[str]:
    """The German source strings whose English differs, without placeholders: a line of
    an English page equal to one of them is an untranslated string."""
    with (ROOT / "src/sprechzeit/locale/en/LC_MESSAGES/django.po").open("rb") as po:
        catalog = read_po(po)
    return frozenset(
        message.id.strip()
        for message in catalog
        if isinstance(message.id, str)
        and isinstance(message.string, str)
        and message.string
        and message.string != message.id
        and "%" not in message.id
        and "{" not in message.id
        and len(message.id.split()) >= 2
    )


def _log_in(page: Page, server: LiveServer, role: Role) -> None:
    if role.name == "anonymous":
        return
    if role.platform is None:
        staff_login(page, server, STAFF_EMAIL[role.name])
        return
    email = CRAWL_CLIENT if role.name == "client" else PARTNER_OF[role.platform]
    page.goto(server.url(role.platform, LOGIN))
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    if role.name == "partner":
        page.get_by_label("Sechsstelliger Code").fill(totp_code(email))
        page.get_by_role("button", name="Bestätigen").click()
    page.get_by_role("button", name="Abmelden").wait_for()


@pytest.fixture(scope="module")
def axe_script() -> str:
    return axe_source()


@pytest.fixture(scope="module")
def msgids() -> frozenset[str]:
    return _german_msgids()


@pytest.fixture(scope="module")
def demo_objects(demo_server: LiveServer) -> dict[str, dict[str, Any]]:
    """The demo's objects the paths are filled with, per platform slug and "network"."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.browser.crawl_demo"],
        env=demo_server.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,  # a bound, not a speed test: it creates the crawl's people once
    ).stdout
    found: dict[str, dict[str, Any]] = json.loads(out.strip().splitlines()[-1])
    return found


@pytest.fixture(scope="module")
def session_of(browser: Browser, demo_server: LiveServer) -> Callable[[Role], Any]:
    """The storage state of `role`'s log-in: one log-in per role and host for the module
    (a partner's or staff member's TOTP code counts once)."""
    states: dict[Role, Any] = {}

    def state(role: Role) -> Any:
        if role not in states:
            context = browser.new_context()
            _log_in(context.new_page(), demo_server, role)
            states[role] = context.storage_state()
            context.close()
        return states[role]

    return state


def _context(
    browser: Browser, axe_script: str, viewport: str, language: str, state: Any
) -> BrowserContext:
    options: dict[str, Any] = {
        "viewport": DESKTOP if viewport == "desktop" else PHONE,
        "storage_state": state,
    }
    if viewport == "phone":
        options.update(is_mobile=True, has_touch=True)
    context = browser.new_context(**options)
    context.add_init_script(axe_script)
    context.add_cookies(
        [
            {"name": "sprechzeit_language", "value": language, "domain": domain, "path": "/"}
            for domain in ("coaching.localhost", "karten.localhost", "127.0.0.1")
        ]
    )
    return context


def _console_errors(page: Page) -> list[str]:
    """The page's console errors, collected as they come (the caller clears the list)."""
    seen: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.append(message.text)

    page.on("console", listen)
    return seen


def _check(
    page: Page,
    url: str,
    where: str,
    language: str,
    msgids: frozenset[str],
    console: list[str],
) -> list[str]:
    errors: list[str] = []
    console.clear()
    response = page.goto(url)
    if response is None or response.status >= 400:
        errors.append(f"{where}: HTTP {response.status if response else '?'}")
        return errors
    if LOGIN in page.url and LOGIN not in url:
        errors.append(f"{where}: sent to the log-in ({page.url})")
        return errors
    if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
        errors.append(f"{where}: wider than the screen")
    errors.extend(
        f"{where}: axe {v['impact']} {v['id']} ({v['help']}) at {v['targets']}"
        for v in axe_violations(page)
    )
    if language == "en":
        lines = {line.strip() for line in page.inner_text("body").splitlines()}
        errors.extend(f"{where}: untranslated {line!r}" for line in sorted(lines & msgids))
    errors.extend(f"{where}: console error {text}" for text in console)
    return errors


@pytest.mark.parametrize("combination", COMBINATIONS, ids="-".join)
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.label)
def test_every_page_of_the_role(
    browser: Browser,
    demo_server: LiveServer,
    axe_script: str,
    msgids: frozenset[str],
    demo_objects: dict[str, dict[str, Any]],
    session_of: Callable[[Role], Any],
    role: Role,
    combination: tuple[str, str],
) -> None:
    paths = role_paths(role, demo_objects[role.platform or "network"])
    assert paths, f"no page for {role.label}"
    viewport, language = combination
    context = _context(browser, axe_script, viewport, language, session_of(role))
    page = context.new_page()
    console = _console_errors(page)
    errors: list[str] = []
    for path in paths:
        where = f"{role.label} {path} [{viewport}, {language}]"
        url = demo_server.url(role.platform, path)
        errors.extend(_check(page, url, where, language, msgids, console))
    context.close()
    assert errors == [], "\n".join(errors)
