"""Browser tests: a real ``servanda serve`` subprocess on a free port and Debian's Chromium
(found on the PATH; Playwright never downloads a browser), one browser context per person.

Every page a test visits can be checked with axe-core (:func:`accessible`) and
photographed (:func:`screenshot`, into ``artifacts/screenshots/``, which CI keeps).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server_process import ServerProcess  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
#: Chromium flags for a machine with no network beyond loopback, running as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "browser-test-password"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Chromium is not on the PATH: `bash scripts/ensure-chromium.sh` installs Debian's package")
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium, never a browser of its own."""
    return {**browser_type_launch_args, "executable_path": chromium(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def web_server(tmp_path_factory) -> Iterator[ServerProcess]:
    """``servanda serve`` on a new SQLite database, in a subprocess on a free port."""
    database = tmp_path_factory.mktemp("web") / "servanda.db"
    with ServerProcess(str(database)) as server:
        yield server


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


@pytest.fixture
def person(browser, web_server, request):
    """``person(name)``: a new account created through the sign-in page, in a browser context
    of its own (its cookies and its keys apart from everyone else's)."""
    contexts = []

    def make(username: str, viewport: dict | None = None) -> Person:
        context = browser.new_context(base_url=web_server.url, viewport=viewport or {"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(web_server.url + "/sign-in")
        page.get_by_label("Choose a username").fill(username)
        page.get_by_label("Choose a password").fill(PASSWORD)
        page.get_by_role("button", name="Create my account").click()
        page.wait_for_url(web_server.url + "/")
        return Person(username, page, web_server.url)

    yield make
    for context in contexts:
        context.close()


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


@pytest.fixture
def api_person(web_server):
    """``api_person(name)``: a new account signed in through the API (``servanda.client``),
    e.g. the convener who sets a room up."""
    from servanda.client import Client

    clients = []

    def make(username: str) -> Client:
        with Client(web_server.url) as anonymous:
            anonymous.register(username, PASSWORD)
        client = Client.login(web_server.url, username, PASSWORD)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


PHONE = {"width": 390, "height": 844}


def on_phone(someone: Person):
    """A page at phone width, signed in as ``someone`` (their cookies, a new context)."""
    context = someone.page.context.browser.new_context(
        base_url=someone.base, viewport=PHONE, storage_state=someone.page.context.storage_state())
    return context.new_page()


def fits_the_width(page) -> bool:
    """Nothing wider than the screen: no sideways scrolling of the whole page."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
