"""What the browser tests share: Debian's Chromium, a person in a browser context of their
own, axe-core checks, screenshots (into ``artifacts/screenshots/``, which CI keeps), and
phone-width checks. The fixtures are in this folder's ``conftest.py``."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
#: Chromium flags for a machine with no network beyond loopback, running as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "browser-test-password"
PHONE = {"width": 390, "height": 844}


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Chromium is not on the PATH: `bash scripts/ensure-chromium.sh` installs Debian's package")
    return found


@dataclass
class Person:
    """Someone using the pages in a browser context of their own."""

    username: str
    page: object  # playwright.sync_api.Page
    base: str

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    @property
    def csrf(self) -> str:
        return self.page.locator('input[name="csrf"]').first.get_attribute("value")


def accessible(page, context: str = "") -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [violation for violation in results.response["violations"]
           if violation.get("impact") in ("serious", "critical")]
    assert not bad, f"{context or page.url}: " + json.dumps(
        [{"id": v["id"], "impact": v["impact"], "help": v["help"],
          "nodes": [n["target"] for n in v["nodes"]][:5]} for v in bad], indent=1)


def screenshot(page, name: str) -> Path:
    """The whole page, as ``artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def on_phone(someone: Person):
    """A page at phone width, signed in as ``someone`` (their cookies, a new context)."""
    context = someone.page.context.browser.new_context(
        base_url=someone.base, viewport=PHONE, storage_state=someone.page.context.storage_state())
    return context.new_page()


def fits_the_width(page) -> bool:
    """Nothing wider than the screen: no sideways scrolling of the whole page."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def sign_and_submit(page, what: str) -> None:
    """Review the statement in the dialog, sign it, and wait until it is recorded."""
    dialog = page.get_by_role("dialog", name="Review and sign")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(what)
    page.locator("#messages").evaluate("element => element.replaceChildren()")
    dialog.get_by_role("button", name="Sign and submit").click()
    expect(page.locator("#messages")).to_contain_text("Signed and recorded", timeout=15_000)
