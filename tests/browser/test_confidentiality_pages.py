"""Confidentiality in the browser: party A's pages, their htmx fragments and the room's
event stream as A's browser receives it never contain party B's (or C's) private numbers
or red lines.

The room is the API confidentiality test's three-party harbour scenario (distinctive
four-decimal numbers and red-line names, and a precondition that none of Alpha's own numbers
collides with them: tests/test_server_confidentiality.py); its scan is reused as is. Alpha
uses the pages; Beta and Gamma play through the API, Beta updates its preferences midway,
and the room reaches an agreement, an improvement on it and a signed text, so that every
page has something to show.
"""

from __future__ import annotations

import re

from browser.support import accessible
from playwright.sync_api import expect
from test_server_confidentiality import BETA_UPDATE, P1, P2, P3, P4, SCENARIO, _secrets

NAV_PAGES = ("", "/prepare", "/negotiate", "/mediate", "/treaty", "/debrief")


def test_party_a_pages_fragments_and_stream_hold_nothing_of_b_or_c(person, api_person, tmp_path):
    convener, beta, gamma = api_person("harbour-convener"), api_person("harbour-beta"), api_person("harbour-gamma")
    path = tmp_path / "harbour.yaml"
    path.write_text(SCENARIO)
    room = convener.create_room(path, rounds=20, title="Harbour accord")
    alpha = person("harbour-alpha")
    alpha.go(f"/invitations/{convener.invite(room, 'party', 'Alpha', 'Alpha envoy')}")
    alpha.page.get_by_role("button", name="Accept the invitation").click()
    for client, party in ((beta, "Beta"), (gamma, "Gamma")):
        client.join(convener.invite(room, "party", party, f"{party} envoy"))

    bodies: list[tuple[str, str]] = []

    def keep(response) -> None:
        if response.request.resource_type in ("document", "xhr", "fetch") and "/stream" not in response.url:
            try:
                bodies.append((response.url, response.text()))
            except Exception:  # noqa: BLE001 - a redirect or a body already gone has nothing to scan
                pass

    page = alpha.page
    page.on("response", keep)
    # the stream as Alpha's browser receives it, from its first event on (in a tab of its own:
    # the negotiation page reloads when the phase changes)
    watcher = page.context.new_page()
    watcher.goto(f"{alpha.base}/")
    page.goto(f"{alpha.base}/rooms/{room}/negotiate")
    watcher.evaluate("""(url) => { window.received = []; const s = new EventSource(url);
        s.onmessage = (e) => window.received.push(e.data);
        ['offer','accept','reject','agreement','improvement','comment','preferences','grant','joined','invited',
         'draft','signature','party','office'].forEach((t) => s.addEventListener(t, (e) => window.received.push(e.data))); }""",
                  f"/api/rooms/{room}/stream?after=-1")

    def offer(package: dict) -> None:
        for issue, option in package.items():
            page.get_by_label(issue.replace("_", " "), exact=True).select_option(option)
        expect(page.locator("#composer-score")).to_contain_text("For you")
        page.get_by_role("button", name="Send this offer").click()

    offer(P1)
    beta.comment(room, "Can the tariff move?", kind="question")
    expect(page.locator(".discussion .event-comment")).to_have_count(1)
    beta.propose(room, P2)
    gamma.reject(room)
    gamma.propose(room, P3)
    beta.set_preferences(room, BETA_UPDATE)
    expect(page.locator(".history .event-offer")).to_have_count(3)
    page.get_by_role("button", name="Improve this offer").click()
    expect(page.locator("#suggestions")).not_to_be_empty()
    offer(P4)
    beta.accept(room)
    gamma.accept(room)
    expect(page.get_by_role("heading", name="Propose an improvement on the agreement")).to_be_visible()
    page.get_by_role("button", name="Look for improvements on the agreement").click()
    expect(page.locator("#suggestions")).to_contain_text("for you")
    accessible(page, "negotiation, three parties")
    watcher.wait_for_function("window.received.some((data) => data.includes('agreement'))")
    stream = watcher.evaluate("window.received")
    assert len(stream) >= 10  # every event so far: joins, offers, comments, preferences, agreement

    for suffix in NAV_PAGES:
        page.goto(f"{alpha.base}/rooms/{room}{suffix}")
    page.goto(f"{alpha.base}/")

    secrets = _secrets("Beta", "Gamma")
    assert len(bodies) > 10 and any("/suggestions" in url for url, _ in bodies)
    leaks = {url: found for url, text in bodies if (found := secrets.find(text))}
    assert not leaks, leaks
    assert not secrets.find("\n".join(stream))
    # and Alpha's own numbers are there: the scan looks where they would be
    own = _secrets("Alpha")
    assert any(own.find(text) for _, text in bodies)
    # Beta's party name appears in events, never as a key of Alpha's scores
    assert not re.search(r'"(Beta|Gamma)":\s*\{"utility"', "\n".join(text for _, text in bodies))
