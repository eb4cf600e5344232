"""The mediator's page and the debrief in a browser: the utility space of the two parties that
granted the mediator (frontier, Nash, Kalai-Smorodinsky and the offers, redrawn live and for
another choice of axes), the Moscow example's deadlock diagnosed over the granting parties'
red lines only, a single text put from the page and agreed, and the debrief of a party and
of the mediator afterwards."""

from __future__ import annotations

import json

from browser.support import PASSWORD, ROOT, accessible, fits_the_width, on_phone, screenshot
from playwright.sync_api import expect

from servanda.client import Client

JOB_OFFER = ROOT / "examples" / "job-offer.yaml"
MOSCOW = ROOT / "examples" / "moscow-2025.yaml"

BASE = {"salary": 100000, "start_in_weeks": 4, "vacation_days": 20, "signing_bonus": 0,
        "remote_work": "remote_2_days", "job_title": "engineer"}


def join_as_mediator(person, convener, room: str, username: str):
    mediator = person(username)
    mediator.go(f"/invitations/{convener.invite(room, 'mediator')}")
    mediator.page.get_by_role("button", name="Accept the invitation").click()
    expect(mediator.page.get_by_role("heading", level=1)).to_be_visible()
    return mediator


def seat(api_person, convener, room: str, username: str, party: str, representative: str, grant: bool = True):
    client = api_person(username)
    client.join(convener.invite(room, "party", party, representative))
    if grant:
        client.grant_mediator(room)
    return client


def legend(page, plot: str) -> list[str]:
    return page.locator(f"#{plot} .legendtext").all_text_contents()


def plot_data(page, plot: str) -> dict:
    return json.loads(page.locator(f"#{plot}-data").text_content())


def test_mediator_sees_the_utility_space_with_frontier_solutions_and_offers(person, api_person):
    convener = api_person("med-convener")
    room = convener.create_room(JOB_OFFER, rounds=10)
    employer = seat(api_person, convener, room, "med-employer", "Employer", "Hiring manager")
    candidate = seat(api_person, convener, room, "med-candidate", "Candidate", "Candidate")
    mediator = join_as_mediator(person, convener, room, "med-mia")
    employer.propose(room, BASE)
    candidate.propose(room, {**BASE, "salary": 120000, "remote_work": "remote_3_days", "job_title": "senior_engineer"})
    employer.propose(room, {**BASE, "salary": 105000, "job_title": "senior_engineer"})

    page = mediator.page
    mediator.go(f"/rooms/{room}/mediate")
    expect(page.get_by_role("heading", name="Utility space of Employer and Candidate")).to_be_visible()
    expect(page.locator("#utility-space .main-svg").first).to_be_visible()
    shown = legend(page, "utility-space")
    for name in ("Pareto frontier", "Nash", "Kalai-Smorodinsky", "offers by Employer", "offers by Candidate"):
        assert name in shown, shown
    assert len(plot_data(page, "utility-space")["traces"]["Employer"]["x"]) == 2
    expect(page.get_by_role("table", name="Bargaining solutions for Employer and Candidate")).to_contain_text("Nash")
    expect(page.locator("#zone-title + p")).to_contain_text("Agreement is possible")

    # a new offer redraws the plot live
    candidate.propose(room, {**BASE, "salary": 115000, "remote_work": "remote_3_days", "job_title": "senior_engineer"})
    page.wait_for_function("() => JSON.parse(document.getElementById('utility-space-data').textContent)"
                           ".traces.Candidate.x.length === 2", timeout=15_000)
    accessible(page, "mediator")
    screenshot(page, "mediator")

    # the other way round: the fragment comes back with the axes swapped
    page.get_by_label("Across (horizontal axis)").select_option("Candidate")
    page.get_by_label("Up (vertical axis)").select_option("Employer")
    page.get_by_role("button", name="Show these two").click()
    expect(page.get_by_role("heading", name="Utility space of Candidate and Employer")).to_be_visible()
    expect(page.locator("#utility-space .g-xtitle")).to_have_text("utility of Candidate")
    assert page.url.endswith("x=Candidate&y=Employer")


def test_moscow_mediator_sees_the_deadlock_and_the_minimal_relaxation(person, api_person):
    convener = api_person("moscow-convener")
    room = convener.create_room(MOSCOW, rounds=10)
    seat(api_person, convener, room, "moscow-russia", "Russia", "Sergey Lavrov")
    seat(api_person, convener, room, "moscow-ukraine", "Ukraine", "Volodymyr Zelensky")
    seat(api_person, convener, room, "moscow-us", "United States", "Marco Rubio", grant=False)
    mediator = join_as_mediator(person, convener, room, "moscow-mediator")
    page = mediator.page
    mediator.go(f"/rooms/{room}/mediate")
    expect(page.locator("#zone-partial")).to_contain_text("covers only Russia, Ukraine")
    expect(page.locator("#zone-partial")).to_contain_text("United States, European allies did not")
    expect(page.locator("#zone-title ~ p").nth(1)).to_contain_text("No agreement is possible")
    deadlock = page.locator("#deadlock")
    expect(deadlock).to_contain_text("exclude each other on territorial_status")
    expect(page.get_by_role("heading", name="Minimal relaxation")).to_be_visible()
    expect(deadlock).to_contain_text("drop Russia's red line 'de jure recognition of the four oblasts'")
    expect(deadlock).not_to_contain_text("no US collective-defence commitment")  # not granted
    expect(page.locator("#utility-space .main-svg").first).to_be_visible()
    assert "Pareto frontier (red lines dropped)" in legend(page, "utility-space")
    accessible(page, "mediator, deadlock")
    screenshot(page, "mediator-deadlock")


def test_single_text_agreed_then_debriefed(person, api_person, web_server):
    convener = api_person("text-convener")
    room = convener.create_room(JOB_OFFER, protocol="single-text", rounds=5)
    employer = seat(api_person, convener, room, "text-employer", "Employer", "Hiring manager")
    mediator = join_as_mediator(person, convener, room, "text-mediator")
    candidate = person("text-candidate")  # uses the pages; grants and answers through the API
    candidate.go(f"/invitations/{convener.invite(room, 'party', 'Candidate', 'Candidate')}")
    candidate.page.get_by_role("button", name="Accept the invitation").click()
    expect(candidate.page.get_by_role("heading", level=1)).to_be_visible()
    with Client.login(web_server.url, "text-candidate", PASSWORD) as candidate_api:
        candidate_api.grant_mediator(room)

        page = mediator.page
        mediator.go(f"/rooms/{room}/mediate")
        page.get_by_role("button", name="Put the Nash text on the table").click()
        expect(page.locator("#text-title ~ p").first).to_contain_text("Texts put so far: 1 of 5", timeout=15_000)
        expect(page.locator("#text-title ~ p").nth(1)).to_contain_text("Awaiting: Employer, Candidate")
        accessible(page, "mediator, single text")
        screenshot(page, "mediator-single-text")
        employer.accept(room)
        candidate_api.accept(room)

    candidate.go(f"/rooms/{room}/debrief")
    cpage = candidate.page
    expect(cpage.locator("#result-title")).to_have_text("The agreement")
    expect(cpage.locator("#results tbody tr")).to_have_count(1)
    expect(cpage.locator("#results tbody tr th")).to_have_text("Candidate")
    expect(cpage.get_by_text("The result is efficient")).to_be_visible()
    expect(cpage.locator("#results-chart .main-svg").first).to_be_visible()
    expect(cpage.locator("#utility-space")).to_have_count(0)  # one party read: no utility space
    expect(cpage.locator("main")).not_to_contain_text("Share of the joint gain")
    accessible(cpage, "debrief, party")
    screenshot(cpage, "debrief")

    mediator.go(f"/rooms/{room}/debrief")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    expect(page.locator("#results thead")).to_contain_text("Share of the joint gain")
    expect(page.locator("main")).to_contain_text("Distance to the Pareto frontier")
    assert "the agreement" in legend(page, "utility-space")
    accessible(page, "debrief, mediator")
    screenshot(page, "debrief-mediator")

    # at phone width: readable without sideways scrolling
    for someone, paths in ((mediator, ("/mediate", "/debrief")), (candidate, ("/debrief",))):
        phone = on_phone(someone)
        for path in paths:
            phone.goto(f"/rooms/{room}{path}")
            expect(phone.locator(".plot .main-svg").first).to_be_visible()
            assert fits_the_width(phone), (someone.username, path)
        phone.context.close()
    phone = on_phone(mediator)
    phone.goto(f"/rooms/{room}/mediate")
    screenshot(phone, "mediator-phone")
    phone.context.close()
