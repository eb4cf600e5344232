"""Browser tests: a real ``servanda serve`` subprocess on a free port and Debian's Chromium
(found on the PATH; Playwright never downloads a browser), one browser context per person.
What the tests share besides these fixtures is in :mod:`browser.support`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server_process import ServerProcess

from browser.support import CHROMIUM_ARGS, PASSWORD, Person, chromium


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
