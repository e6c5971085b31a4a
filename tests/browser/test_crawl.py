"""Every page reachable from the navigation, as each role sees it (anonymous, client,
partner on both demo platforms; each staff role in the console on the network host), at a
desktop and a phone size, in German and English: found by following the links of the
pages themselves (breadth-first from the home page, one page per view), so a new page
linked anywhere is visited without editing this test.

Each visit asserts: an allowed status (< 400), no console error, nothing wider than the
screen, no serious or critical axe-core violation (WCAG 2.1 A/AA), and on English pages
no line of text that is exactly a German source string (an untranslated msgid; texts
the partners and staff wrote are not checked, they are content).

Bounded for CI: the pages are found once per role and platform (desktop, German); each
page is then checked in two of the four size × language combinations, alternating, so
every combination is covered on half the pages (CRAWL_ALL_COMBINATIONS=1: all four).
"""

from __future__ import annotations

import os
import re
from collections import deque
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po
from django.urls import Resolver404, resolve
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, ViewportSize

from sprechzeit.demo.seed import CLIENT_EMAIL, DEMO_PASSWORD, PARTNERS, STAFF
from tests.browser.axe import axe_source, axe_violations
from tests.browser.conftest import LiveServer
from tests.browser.staff import staff_login
from tests.browser.test_journey import _totp_code

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DESKTOP: Final[ViewportSize] = {"width": 1366, "height": 900}
PHONE: Final[ViewportSize] = {"width": 390, "height": 844}
COMBINATIONS: Final = (("desktop", "de"), ("phone", "en"), ("phone", "de"), ("desktop", "en"))
MAX_PAGES: Final = 40
# Not pages: log-out, downloads, webhooks, sockets, the back office and the admin.
SKIP: Final = re.compile(
    r"^/(abmelden|hooks|ws|admin|backoffice|media|static|api)/|\.(csv|pdf|json)$|/daten/$"
)
# Files, not pages (checked by their own tests).
DOWNLOADS: Final = frozenset(
    {
        "statements:download",
        "payments:receipt",
        "consultations:records_csv",
        "consultations:partner_records_csv",
        "site:account_export",
    }
)
PARTNER_OF: Final = {"coaching": PARTNERS[0].email, "karten": PARTNERS[3].email}
STAFF_EMAIL: Final = {role: email for email, role in STAFF}


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


def _log_in(page: Page, server: LiveServer, platform: str, role: str) -> None:
    if role == "anonymous":
        return
    page.goto(server.url(platform, "/anmelden/"))
    page.get_by_label("E-Mail").fill(CLIENT_EMAIL if role == "client" else PARTNER_OF[platform])
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    if role == "partner":
        page.get_by_label("Sechsstelliger Code").fill(_totp_code(PARTNER_OF[platform]))
        page.get_by_role("button", name="Bestätigen").click()
    page.get_by_role("button", name="Abmelden").wait_for()


def _view_of(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _discover(
    page: Page, server: LiveServer, platform: str | None, start: str = "/", within: str = ""
) -> list[str]:
    """Breadth-first over the same host's links from `start`, one path per view; with
    `within`, only paths under it (the console)."""
    host = urlsplit(server.url(platform)).netloc
    queue: deque[str] = deque([start])
    seen_views: set[str] = set()
    found: list[str] = []
    while queue and len(found) < MAX_PAGES:
        path = queue.popleft()
        view = _view_of(path)
        if view is None or view in seen_views or view in DOWNLOADS:
            continue
        seen_views.add(view)
        page.goto(server.url(platform, path))
        found.append(path)
        hrefs: list[str] = page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(a => a.href)"
        )
        for href in hrefs:
            parts = urlsplit(href)
            if parts.netloc != host or not parts.path:
                continue
            if (within and parts.path.startswith(within) and not parts.path.endswith(".csv")) or (
                not within and not SKIP.search(parts.path)
            ):
                queue.append(parts.path)
    return found


@pytest.fixture(scope="module")
def axe_script() -> str:
    return axe_source()


@pytest.fixture(scope="module")
def msgids() -> frozenset[str]:
    return _german_msgids()


def _context(
    browser: Browser, axe_script: str, viewport: str, language: str, state: Any = None
) -> BrowserContext:
    options: dict[str, Any] = {"viewport": DESKTOP if viewport == "desktop" else PHONE}
    if state is not None:
        options["storage_state"] = state
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
    server: LiveServer,
    platform: str | None,
    path: str,
    combination: tuple[str, str],
    msgids: frozenset[str],
    console: list[str],
) -> list[str]:
    viewport, language = combination
    errors: list[str] = []
    where = f"{platform or 'network'}{path} [{viewport}, {language}]"
    console.clear()
    response = page.goto(server.url(platform, path))
    if response is None or response.status >= 400:
        errors.append(f"{where}: HTTP {response.status if response else '?'}")
        return errors
    page.wait_for_load_state("load")
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


@pytest.mark.parametrize("platform", ["coaching", "karten"])
@pytest.mark.parametrize("role", ["anonymous", "client", "partner"])
def test_every_page_of_the_role(
    browser: Browser,
    demo_server: LiveServer,
    axe_script: str,
    msgids: frozenset[str],
    role: str,
    platform: str,
) -> None:
    everything = os.environ.get("CRAWL_ALL_COMBINATIONS") == "1"
    # One log-in (a TOTP code counts once), its session shared by the four contexts.
    first = _context(browser, axe_script, *COMBINATIONS[0])
    _log_in(first.new_page(), demo_server, platform, role)
    state = first.storage_state()
    contexts = {COMBINATIONS[0]: first} | {
        c: _context(browser, axe_script, *c, state=state) for c in COMBINATIONS[1:]
    }
    pages: dict[tuple[str, str], Page] = {}
    console: dict[tuple[str, str], list[str]] = {}
    for combination, context in contexts.items():
        page = context.new_page()
        console[combination] = _console_errors(page)
        pages[combination] = page
    paths = _discover(pages[COMBINATIONS[0]], demo_server, platform)
    assert len(paths) >= 3, paths
    errors: list[str] = []
    for index, path in enumerate(paths):
        chosen = COMBINATIONS if everything else COMBINATIONS[(index % 2) * 2 : (index % 2) * 2 + 2]
        for combination in chosen:
            errors.extend(
                _check(
                    pages[combination],
                    demo_server,
                    platform,
                    path,
                    combination,
                    msgids,
                    console[combination],
                )
            )
    for context in contexts.values():
        context.close()
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("role", ["support", "risk", "accounting", "admin"])
def test_every_console_page_of_each_staff_role(
    browser: Browser,
    demo_server: LiveServer,
    axe_script: str,
    msgids: frozenset[str],
    role: str,
) -> None:
    """The staff console as each role: every page its menu and its pages link to."""
    everything = os.environ.get("CRAWL_ALL_COMBINATIONS") == "1"
    first = _context(browser, axe_script, *COMBINATIONS[0])
    staff_login(first.new_page(), demo_server, STAFF_EMAIL[role])
    state = first.storage_state()
    contexts = {COMBINATIONS[0]: first} | {
        c: _context(browser, axe_script, *c, state=state) for c in COMBINATIONS[1:]
    }
    pages = {combination: context.new_page() for combination, context in contexts.items()}
    console = {combination: _console_errors(page) for combination, page in pages.items()}
    paths = _discover(
        pages[COMBINATIONS[0]], demo_server, None, start="/backoffice/", within="/backoffice/"
    )
    assert len(paths) >= 2, paths
    errors: list[str] = []
    for index, path in enumerate(paths):
        chosen = COMBINATIONS if everything else COMBINATIONS[(index % 2) * 2 : (index % 2) * 2 + 2]
        for combination in chosen:
            errors.extend(
                _check(
                    pages[combination],
                    demo_server,
                    None,
                    path,
                    combination,
                    msgids,
                    console[combination],
                )
            )
    for context in contexts.values():
        context.close()
    assert errors == [], "\n".join(errors)
