"""axe-core for the browser suite, from the npm registry (its ordinary client, `npm
pack`), kept under var/axe/ after the first run. Injected as an init script, so the
page's Content-Security-Policy does not apply to it."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path
from typing import Any, Final

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
VERSION: Final = "4.10.3"
FOLDER = ROOT / "var" / "axe"
SCRIPT = FOLDER / f"axe-{VERSION}.min.js"
# What the crawler fails on: axe's two highest impacts, WCAG 2.x A and AA rules.
FAILING_IMPACTS: Final = ("serious", "critical")
RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  targets: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
}"""


def axe_source() -> str:
    """The axe-core script; fetched with `npm pack axe-core@VERSION` when not yet here."""
    if not SCRIPT.exists():
        FOLDER.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(
            ["npm", "pack", f"axe-core@{VERSION}", "--silent", "--pack-destination", str(FOLDER)],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout.strip()
        with tarfile.open(FOLDER / packed.splitlines()[-1]) as archive:
            member = archive.extractfile("package/axe.min.js")
            assert member is not None
            SCRIPT.write_bytes(member.read())
    return SCRIPT.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The page's serious and critical WCAG A/AA violations (axe must be injected)."""
    found: list[dict[str, Any]] = page.evaluate(RUN)
    return found


def axe_start(page: Page) -> None:
    """Start axe on the page without waiting for it, so several pages (their renderer
    processes) check at once; `axe_result` waits for the violations."""
    page.evaluate(f"() => {{ window.__axeRun = ({RUN})(); }}")


def axe_result(page: Page) -> list[dict[str, Any]]:
    """The violations of the run `axe_start` started on the page."""
    found: list[dict[str, Any]] = page.evaluate("() => window.__axeRun")
    return found
