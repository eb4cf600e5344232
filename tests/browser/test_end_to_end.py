"""The issue's end-to-end browser tests: two people, each in a browser context of their own,
take a negotiation from the invitation link through their private preparation, offers and
an agreement to a text both sign in the browser (WebCrypto Ed25519), and the verification
bundle downloaded from the page passes ``servanda verify`` offline.

Twice: the small classic job-offer exercise (the two parties are the two people), and the
Moscow example (the United States and Ukraine are the two people; Russia and the European
allies are played by bots during the negotiation, and their foreign ministers join to sign
through the API). As in the API's end-to-end test, the Moscow room is convened on a copy
without Russia's red line on de jure recognition, which otherwise admits no agreement.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser.support import ROOT, accessible, screenshot, sign_and_submit
from conftest import run_cli
from playwright.sync_api import expect

from servanda.analysis.report import analyze
from servanda.crypto import generate_key, public_hex
from servanda.formats import load_scenario

RUSSIAN_DE_JURE_LINE = """      - name: de jure recognition of the four oblasts
        only: {territorial_status: [de_jure]}
"""


def join(someone, convener, room: str, party: str, representative: str) -> None:
    someone.go(f"/invitations/{convener.invite(room, 'party', party, representative)}")
    someone.page.get_by_role("button", name="Accept the invitation").click()
    expect(someone.page.get_by_role("link", name="Preparation")).to_be_visible()


def prepare(someone, room: str, reservation: str) -> None:
    """The private preparation: the stored preferences, a reservation value of one's own, saved."""
    page = someone.page
    someone.go(f"/rooms/{room}/prepare")
    page.get_by_label("Reservation value (0 to 1)").fill(reservation)
    page.get_by_role("button", name="Save my preferences").click()
    expect(page.locator("#prep-saved")).to_contain_text("Saved.")


def offer(someone, package: dict[str, object]) -> None:
    """Compose ``package`` on the negotiation page, see its score, send it."""
    page = someone.page
    for issue, option in package.items():
        page.get_by_label(issue.replace("_", " "), exact=True).select_option(str(option))
    expect(page.locator("#composer-score")).to_contain_text("over your reservation value")
    page.get_by_role("button", name="Send this offer").click()


def to_act(someone, party: str) -> bool:
    return f"{party} to act" in someone.page.locator("dl.facts").inner_text()


def register_and_sign_up(someone, room: str, party: str, holder: str, role: str) -> None:
    """On the drafting and signing page: the party's root key and the person in office,
    keys made in this browser."""
    page = someone.page
    someone.go(f"/rooms/{room}/treaty")
    page.get_by_role("button", name=f"Register {party}'s root key").click()
    sign_and_submit(page, f"Register {party}'s root key")
    expect(page.get_by_label("Holder", exact=True).first).to_have_value(holder)
    page.locator("#office-role").select_option(role)
    page.get_by_role("button", name="Register in office").click()
    sign_and_submit(page, f"Register {holder} in the office of {role.replace('_', ' ')} of {party}")


def sign(someone, room: str, party: str) -> None:
    page = someone.page
    someone.go(f"/rooms/{room}/treaty")
    page.get_by_role("button", name=f"Sign version 1 for {party}").click()
    sign_and_submit(page, "Sign version 1 of the text")


def verify_download(someone, tmp_path: Path, capsys) -> tuple[int, str]:
    """The bundle as the page offers it for download, checked by ``servanda verify``."""
    with someone.page.expect_download() as download:
        someone.page.locator("#bundle-link").click()
    path = tmp_path / f"{someone.username}-bundle.json"
    download.value.save_as(path)
    code, out, _ = run_cli(capsys, "verify", path)
    return code, out


def test_job_offer_from_invitation_to_a_verified_agreement(person, api_person, tmp_path, capsys):
    convener = api_person("e2e-convener")
    room = convener.create_room(ROOT / "examples" / "job-offer.yaml", rounds=10)
    erin, cody = person("e2e-erin"), person("e2e-cody")
    join(erin, convener, room, "Employer", "Hiring manager")
    join(cody, convener, room, "Candidate", "Candidate")
    prepare(erin, room, "0.4")
    prepare(cody, room, "0.3")

    for someone in (erin, cody):
        someone.go(f"/rooms/{room}/negotiate")
    offer(erin, {"salary": 105000, "start_in_weeks": 4, "vacation_days": 20, "signing_bonus": 0,
                 "remote_work": "remote_2_days", "job_title": "senior_engineer"})
    expect(cody.page.locator(".history .event-offer")).to_have_count(1)
    offer(cody, {"salary": 112500, "start_in_weeks": 4, "vacation_days": 20, "signing_bonus": 5000,
                 "remote_work": "remote_2_days", "job_title": "senior_engineer"})
    expect(erin.page.locator(".history .event-offer")).to_have_count(2)
    erin.page.get_by_role("button", name="Accept").click()
    expect(erin.page.get_by_role("heading", name="Propose an improvement on the agreement")).to_be_visible()

    register_and_sign_up(erin, room, "Employer", "Hiring manager", "head_of_government")
    register_and_sign_up(cody, room, "Candidate", "Candidate", "head_of_state")
    page = erin.page
    page.get_by_label("Title").fill("Offer of employment")
    page.get_by_role("button", name="Draft the text").click()
    sign_and_submit(page, "Version 1 of “Offer of employment”")
    sign(erin, room, "Employer")
    sign(cody, room, "Candidate")
    expect(cody.page.locator("[data-status]")).to_have_text("in force")
    # one holder per office, however often the page's parts reloaded meanwhile
    expect(cody.page.locator("#treaty-status table").last.locator("tbody tr")).to_have_count(2)
    accessible(cody.page, "drafting and signing, in force")
    screenshot(cody.page, "signed")
    code, out = verify_download(cody, tmp_path, capsys)
    assert code == 0, out
    assert "VALID AND BINDING" in out


@pytest.fixture
def moscow_with_a_zone(tmp_path: Path) -> Path:
    text = (ROOT / "examples" / "moscow-2025.yaml").read_text()
    assert text.count(RUSSIAN_DE_JURE_LINE) == 1
    path = tmp_path / "moscow-with-a-zone.yaml"
    path.write_text(text.replace(RUSSIAN_DE_JURE_LINE, ""))
    return path


def test_moscow_from_invitation_to_a_verified_treaty(person, api_person, moscow_with_a_zone, tmp_path, capsys):
    convener = api_person("moscow-convener")
    room = convener.create_room(moscow_with_a_zone, rounds=12,
                                bots={"Russia": "conceder", "European allies": "conceder"})
    rubio, zelensky = person("moscow-rubio"), person("moscow-zelensky")
    join(rubio, convener, room, "United States", "Marco Rubio")
    join(zelensky, convener, room, "Ukraine", "Volodymyr Zelensky")
    for someone in (rubio, zelensky):  # the stored preferences, confirmed as they are
        someone.go(f"/rooms/{room}/prepare")
        someone.page.get_by_role("button", name="Save my preferences").click()
        expect(someone.page.locator("#prep-saved")).to_contain_text("Saved.")

    # the two people: each offers the Nash package on its turn, and accepts a package on
    # the table that breaks none of its red lines; the bots concede over the rounds
    nash = analyze(load_scenario(moscow_with_a_zone)).solutions["nash"].labels
    people = {"United States": rubio, "Ukraine": zelensky}
    for someone in people.values():
        someone.go(f"/rooms/{room}/negotiate")
    for _ in range(200):
        if "agreement" in rubio.page.locator("dl.facts").inner_text():
            break
        for party, someone in people.items():
            if not to_act(someone, party):
                continue
            answer = someone.page.get_by_role("button", name="Accept")
            table = someone.page.locator("#table-title + p")
            if answer.count() and not table.locator(".breaks").count():
                answer.click()
            else:
                offer(someone, nash)
            expect(someone.page.locator("dl.facts")).not_to_contain_text(f"{party} to act")
        rubio.page.wait_for_timeout(100)
    expect(rubio.page.locator("dl.facts")).to_contain_text("agreement")
    screenshot(zelensky.page, "moscow-negotiation")

    register_and_sign_up(rubio, room, "United States", "Marco Rubio", "foreign_minister")
    register_and_sign_up(zelensky, room, "Ukraine", "Volodymyr Zelensky", "head_of_state")
    # Russia's and the European allies' foreign ministers join to sign, through the API
    ministers = {}
    for party, holder, username in (("Russia", "Sergey Lavrov", "moscow-lavrov"),
                                    ("European allies", "Kaja Kallas", "moscow-kallas")):
        client = api_person(username)
        client.join(convener.invite(room, "party", party, holder, "foreign_minister"))
        root, minister = generate_key(), generate_key()
        client.sign(room, root, "party")
        client.sign(room, root, "office", holder=holder, role="foreign_minister", key=public_hex(minister))
        ministers[party] = (client, minister)

    page = rubio.page
    rubio.go(f"/rooms/{room}/treaty")
    page.get_by_label("Title").fill("Moscow settlement")
    page.get_by_role("button", name="Draft the text").click()
    sign_and_submit(page, "Version 1 of “Moscow settlement”")
    sign(rubio, room, "United States")
    sign(zelensky, room, "Ukraine")
    for client, minister in ministers.values():
        client.sign(room, minister, "signature")
    expect(zelensky.page.locator("[data-status]")).to_have_text("in force", timeout=15_000)
    code, out = verify_download(zelensky, tmp_path, capsys)
    assert code == 0, out
