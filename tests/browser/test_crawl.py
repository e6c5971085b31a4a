"""Every page each role may open, at a desktop and a phone size, in German and English.

The page list is generated, not followed from links (tests/browser/crawl_pages.py): every
URL pattern of the URLconf that is a page (not in its commented exclusion set: downloads,
form actions, webhooks, fragments, the API, Django's admin), visited by each role the
access table (`accounts.access`) allows on its host: anonymous, client and partner on
both demo platforms; anonymous, partner and each staff role (support, risk, accounting,
admin) on the network's host 127.0.0.1 (the console under /backoffice/). Path parameters
are the demo's objects the role may see (the crawl client's consultation and payments,
the crawl partner's listing and credit note, the console's queue items), looked up in
the demo server's database by tests/browser/crawl_demo.py. A new page is visited without
editing this test; a page whose parameters nothing fills fails tests/test_crawl_pages.py.

Every page is checked in all four combinations (1366×900 and 390×844, German and
English). Each visit asserts: an allowed status (< 400) and not sent to the log-in, no
console error, nothing wider than the screen, no serious or critical axe-core violation
(WCAG 2.1 A/AA), and on English pages no line of text that is exactly a German source
string (an untranslated msgid; texts the partners and staff wrote are not checked, they
are content).

Bounded for CI: one test per role (they could be spread over workers); one log-in per
role and host, its storage state shared by the four combinations' contexts, which load
each page and run axe side by side (one renderer process each); no sleeps; axe runs once
per page load. The log-in's second step is a page only after a password:
test_the_second_factor_step_of_the_log_in checks it the same way.
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
from tests.browser.axe import axe_result, axe_source, axe_start
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
    if role.name in STAFF_EMAIL:
        staff_login(page, server, STAFF_EMAIL[role.name])
        return
    host = role.platform or "network"
    email = CRAWL_CLIENT if role.name == "client" else PARTNER_OF[host]
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
            where = message.location.get("url", "")
            seen.append(f"{message.text} ({where})" if where else message.text)

    page.on("console", listen)
    return seen


type Combination = tuple[str, str]


def _check_loaded(
    page: Page, combination: Combination, where: str, msgids: frozenset[str], console: list[str]
) -> list[str]:
    """The checks of a loaded page whose axe run `axe_start` started."""
    errors: list[str] = []
    if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
        errors.append(f"{where}: wider than the screen")
    errors.extend(
        f"{where}: axe {v['impact']} {v['id']} ({v['help']}) at {v['targets']}"
        for v in axe_result(page)
    )
    if combination[1] == "en":
        lines = {line.strip() for line in page.inner_text("body").splitlines()}
        errors.extend(f"{where}: untranslated {line!r}" for line in sorted(lines & msgids))
    errors.extend(f"{where}: console error {text}" for text in console)
    return errors


def _check_everywhere(
    pages: dict[Combination, Page],
    console: dict[Combination, list[str]],
    url: str,
    what: str,
    msgids: frozenset[str],
) -> list[str]:
    """Open `url` in every combination's page at once and check each: the navigations
    and axe runs overlap (each context has its own renderer process)."""
    errors: list[str] = []
    loaded: list[Combination] = []

    def where(combination: Combination) -> str:
        return f"{what} [{', '.join(combination)}]"

    for combination, page in pages.items():
        console[combination].clear()
        response = page.goto(url, wait_until="commit")
        if response is None or response.status >= 400:
            status = response.status if response else "?"
            errors.append(f"{where(combination)}: HTTP {status}")
        elif LOGIN in page.url and LOGIN not in url:
            errors.append(f"{where(combination)}: sent to the log-in ({page.url})")
        else:
            loaded.append(combination)
    for combination in loaded:
        pages[combination].wait_for_load_state("load")
        axe_start(pages[combination])
    for combination in loaded:
        errors.extend(
            _check_loaded(
                pages[combination], combination, where(combination), msgids, console[combination]
            )
        )
    return errors


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.label)
def test_every_page_of_the_role(
    browser: Browser,
    demo_server: LiveServer,
    axe_script: str,
    msgids: frozenset[str],
    demo_objects: dict[str, dict[str, Any]],
    session_of: Callable[[Role], Any],
    role: Role,
) -> None:
    paths = role_paths(role, demo_objects[role.platform or "network"])
    assert paths, f"no page for {role.label}"
    state = session_of(role)
    contexts = {c: _context(browser, axe_script, *c, state=state) for c in COMBINATIONS}
    pages = {c: context.new_page() for c, context in contexts.items()}
    console = {c: _console_errors(page) for c, page in pages.items()}
    errors: list[str] = []
    for path in paths:
        errors.extend(
            _check_everywhere(
                pages,
                console,
                demo_server.url(role.platform, path),
                f"{role.label} {path}",
                msgids,
            )
        )
    for context in contexts.values():
        context.close()
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize(
    ("platform", "email"),
    [("coaching", PARTNER_OF["coaching"]), (None, STAFF_EMAIL["support"])],
    ids=["coaching-partner", "network-staff"],
)
def test_the_second_factor_step_of_the_log_in(
    browser: Browser,
    demo_server: LiveServer,
    axe_script: str,
    msgids: frozenset[str],
    platform: str | None,
    email: str,
) -> None:
    """The log-in's second step (site:login_2fa) is a page only after the password step,
    so the generated list leaves it out: each combination gets there by the password."""
    contexts = {c: _context(browser, axe_script, *c) for c in COMBINATIONS}
    pages = {c: context.new_page() for c, context in contexts.items()}
    console = {c: _console_errors(page) for c, page in pages.items()}
    for page in pages.values():
        page.goto(demo_server.url(platform, LOGIN))
        page.locator("input[name=email]").fill(email)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("form.form button[type=submit]").click()
        page.wait_for_url(demo_server.url(platform, "/anmelden/code/"))
    errors = _check_everywhere(
        pages, console, demo_server.url(platform, "/anmelden/code/"), "login_2fa", msgids
    )
    for context in contexts.values():
        context.close()
    assert errors == [], "\n".join(errors)
