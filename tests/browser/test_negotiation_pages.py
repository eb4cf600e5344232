"""The negotiation page in a browser: an offer composed and scored before sending, the
other side's page updated live, accept, and the binding acts kept apart from discussion."""

from __future__ import annotations

from browser.support import ROOT, accessible, fits_the_width, on_phone, screenshot
from playwright.sync_api import expect

JOB_OFFER = ROOT / "examples" / "job-offer.yaml"


def test_two_people_negotiate_live(person, api_person):
    convener = api_person("convener1")
    room = convener.create_room(JOB_OFFER, rounds=10)
    employer, candidate = person("erin"), person("cody")
    requested: list[str] = []
    employer.page.on("request", lambda request: requested.append(request.url))
    for someone, party, rep in ((employer, "Employer", "Hiring manager"), (candidate, "Candidate", "Candidate")):
        someone.go(f"/invitations/{convener.invite(room, 'party', party, rep)}")
        accessible(someone.page, "invitation")
        someone.page.get_by_role("button", name="Accept the invitation").click()
        expect(someone.page.get_by_role("heading", level=1)).to_have_text("Job offer (New Recruit style)")
    accessible(employer.page, "overview")
    screenshot(employer.page, "overview")

    employer.go(f"/rooms/{room}/negotiate")
    candidate.go(f"/rooms/{room}/negotiate")
    # out of turn: the room refuses, and the page says why
    candidate.page.get_by_role("button", name="Send this offer").click()
    expect(candidate.page.locator("#messages")).to_contain_text("409")
    page = employer.page
    page.get_by_label("salary").select_option("110000")
    page.get_by_label("remote work").select_option("remote_2_days")
    expect(page.locator("#composer-score")).to_contain_text("over your reservation value")
    accessible(page, "negotiation, composing")
    page.get_by_role("button", name="Send this offer").click()

    # the candidate's page shows the offer without a reload, scored from the candidate's side
    expect(candidate.page.locator("#table-title + p")).to_contain_text("Offer #", timeout=15_000)
    expect(candidate.page.locator(".history .event-offer")).to_have_count(1)
    candidate.page.get_by_label("Message").fill("Can we talk about remote days?")
    candidate.page.get_by_role("button", name="Post").click()
    expect(page.locator(".discussion .event-comment")).to_contain_text("remote days")
    expect(page.locator(".history .event-comment")).to_have_count(1)  # not among the binding acts
    candidate.page.get_by_role("button", name="Accept").click()
    expect(page.locator(".status")).to_contain_text("informal deal")
    expect(candidate.page.locator(".status")).to_contain_text("informal deal")
    # the new phase reloads the page: the composer now proposes improvements on the agreement
    expect(candidate.page.get_by_role("heading", name="Propose an improvement on the agreement")).to_be_visible()
    accessible(candidate.page, "negotiation, agreed")
    screenshot(candidate.page, "negotiation")

    # every script, style and request stays on the server: no CDN, no other host
    assert requested and all(url.startswith(employer.base + "/") for url in requested), requested
    assert any(url.endswith("/static/vendor/plotly-basic.min.js") for url in requested)

    # at phone width: everything readable without sideways scrolling
    phone = on_phone(candidate)
    for path in ("/", f"/rooms/{room}", f"/rooms/{room}/negotiate"):
        phone.goto(path)
        assert fits_the_width(phone), path
    screenshot(phone, "negotiation-phone")
    phone.context.close()


def test_convene_and_invite_from_the_browser(person, browser, web_server):
    anonymous = browser.new_context(base_url=web_server.url).new_page()
    anonymous.goto(web_server.url + "/")
    expect(anonymous).to_have_url(web_server.url + "/sign-in?next=/")
    accessible(anonymous, "sign-in")
    screenshot(anonymous, "sign-in")
    anonymous.context.close()

    teacher, student = person("teacher"), person("student")
    page = teacher.page
    accessible(page, "my negotiations, none yet")
    page.get_by_role("link", name="Convene a new negotiation").click()
    accessible(page, "convene")
    page.get_by_label("Upload a scenario file").set_input_files(JOB_OFFER)
    page.get_by_label("Rounds").fill("6")
    page.get_by_label("Seats played by bots").fill("Nobody: conceder")
    page.get_by_role("button", name="Convene the room").click()
    expect(page.locator(".error")).to_contain_text("no party 'Nobody' in the scenario")  # named, nothing made
    page.go_back()
    page.get_by_label("Upload a scenario file").set_input_files(JOB_OFFER)
    page.get_by_label("Rounds").fill("6")
    page.get_by_label("Seats played by bots").fill("Employer: boulware")
    page.get_by_role("button", name="Convene the room").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Job offer (New Recruit style)")
    expect(page.locator("table").first).to_contain_text("bot (boulware)")

    page.get_by_label("As").select_option("party")
    page.get_by_label("Seat").select_option(label="Candidate: Candidate, Senior software engineer")
    page.get_by_role("button", name="Make an invitation link").click()
    link = page.get_by_label("Invitation link").input_value()
    assert "/invitations/" in link
    accessible(page, "overview with an invitation link")

    student.page.goto(link)
    student.page.get_by_role("button", name="Accept the invitation").click()
    expect(student.page.get_by_text("You are party for Candidate")).to_be_visible()
    student.go("/")
    expect(student.page.get_by_role("link", name="Job offer (New Recruit style)")).to_be_visible()
    accessible(student.page, "my negotiations")
    screenshot(student.page, "home")
