"""The private preparation page in a browser: a party fills in its importance points,
ratings, a red line and its reservation value, is told which field is wrong, saves, runs
the package check, lets the mediator read its preferences, all with the keyboard where it
matters; the red line then binds on the negotiation page. The other party sees its own
preparation only, and none of the first party's numbers in any of its pages; an observer
gets none."""

from __future__ import annotations

import re

from browser.support import ROOT, accessible, fits_the_width, screenshot
from playwright.sync_api import expect

JOB_OFFER = ROOT / "examples" / "job-offer.yaml"
POINTS = {"salary": 37, "start in weeks": 13, "vacation days": 10, "signing bonus": 15, "remote work": 15,
          "job title": 10}
#: The employer's numbers that appear nowhere else: its reservation value and one rating.
RESERVATION, RATING = "0.4375", "6.15"
RED_LINE = "never job title: lead_engineer"


def test_a_party_prepares_saves_and_checks(person, api_person):
    convener = api_person("prep-convener")
    room = convener.create_room(JOB_OFFER, rounds=10)
    employer = person("prep-erin")
    candidate = person("prep-cody", viewport={"width": 390, "height": 844})  # a phone
    observer = person("prep-olga")
    for someone, role, party, rep in ((employer, "party", "Employer", "Hiring manager"),
                                      (candidate, "party", "Candidate", "Candidate"),
                                      (observer, "observer", None, None)):
        someone.go(f"/invitations/{convener.invite(room, role, party, rep)}")
        someone.page.get_by_role("button", name="Accept the invitation").click()
        expect(someone.page.get_by_role("heading", level=1)).to_have_text("Job offer (New Recruit style)")

    page = employer.page
    page.get_by_role("link", name="Preparation").click()
    expect(page).to_have_url(f"{employer.base}/rooms/{room}/prepare")
    # filled from the stored preferences (rescaled to the page's scale, and said so)
    expect(page.get_by_label("salary (points)", exact=True)).to_have_value("36")
    expect(page.get_by_label("Never accept remote work: fully remote")).to_be_checked()
    expect(page.locator(".prep-notes")).to_contain_text("not on this page's scale")
    accessible(page, "preparation")

    for issue, points in POINTS.items():
        page.get_by_label(f"{issue} (points)", exact=True).fill(str(points))
    page.get_by_label("Rating of remote work: remote 3 days").fill(RATING)
    page.get_by_label("Never accept job title: lead engineer").check()
    page.get_by_label("Reservation value (0 to 1)").fill(RESERVATION)
    # a wrong total is named, and nothing is saved
    page.get_by_label("salary (points)", exact=True).fill("27")
    expect(page.locator("#points-total")).to_have_text("90")
    page.get_by_role("button", name="Save my preferences").click()
    expect(page.locator("#prep-saved .error")).to_have_text("importance.salary: points must sum to 100, they sum to 90")
    page.get_by_label("salary (points)", exact=True).fill("37")
    expect(page.locator("#points-total")).to_have_text("100")
    page.get_by_label("Reservation value (0 to 1)").press("Enter")  # saved from the keyboard
    expect(page.locator("#prep-saved")).to_contain_text("Saved.")

    page.reload()
    expect(page.get_by_label("salary (points)", exact=True)).to_have_value("37")
    expect(page.get_by_label("Rating of remote work: remote 3 days")).to_have_value(RATING)
    expect(page.get_by_label("Never accept job title: lead engineer")).to_be_checked()
    expect(page.get_by_label("Reservation value (0 to 1)")).to_have_value(RESERVATION)

    # the package check: rate every package, see where the refit disagrees
    packages = page.locator(".prep-package")
    count = packages.count()
    assert 4 <= count <= 12
    for k in range(count):
        page.get_by_label(f"Your rating of package {k + 1} (0 to 10)").fill(str((7 * k) % 11))
    page.get_by_role("button", name="Check my preferences against these ratings").click()
    expect(page.locator("#prep-check caption")).to_have_text("Importance of each issue, in points out of 100")
    expect(page.locator("#prep-check")).to_contain_text("disagree")
    accessible(page, "preparation, after the package check")
    screenshot(page, "preparation")

    # the mediator's access, toggled from the keyboard
    section = page.locator("#prep-mediator")
    page.get_by_role("button", name="Let the mediator read my preferences").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Stop the mediator reading my preferences")).to_be_focused()
    expect(section).to_contain_text("The room's mediator may read your preferences")
    expect(section).not_to_have_class(re.compile("htmx-"))  # settled: the new form is live
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Let the mediator read my preferences")).to_be_focused()
    expect(section).to_contain_text("No one outside your party reads your preferences")

    # the red line binds: the composer says so
    employer.go(f"/rooms/{room}/negotiate")
    page.get_by_label("job title", exact=True).select_option("lead_engineer")
    expect(page.locator("#composer-score")).to_contain_text(f"breaks your red line: {RED_LINE}")

    # the other party: its own preparation, on a phone, with nothing of the employer's
    candidate.go(f"/rooms/{room}/prepare")
    cpage = candidate.page
    expect(cpage.locator("main .notice").first).to_contain_text("private to Candidate")
    expect(cpage.get_by_label("Never accept salary: 85000")).to_be_checked()
    assert fits_the_width(cpage)
    accessible(cpage, "preparation, phone width")
    screenshot(cpage, "preparation-phone")
    seen = [cpage.content()]
    for path in ("", "/negotiate"):
        candidate.go(f"/rooms/{room}{path}")
        seen.append(cpage.content())
    for html in seen:
        for secret in (RESERVATION, RATING, RED_LINE):
            assert secret not in html, secret

    # an observer has no preparation page
    answer = observer.page.goto(f"{observer.base}/rooms/{room}/prepare")
    assert answer.status == 403
    expect(observer.page.get_by_role("link", name="Preparation")).to_have_count(0)
