"""Drafting and signing in a browser: after a job-offer negotiation, each side registers its
party's root key and its representative in the browser (WebCrypto Ed25519, keys kept in
the browser), one drafts the text, the other edits it, both sign; the bundle downloaded
from the page passes `servanda verify`. Keys move only as files the person saves: a key
made by `servanda keys new` is imported into the browser, and a key saved from one browser
context signs validly in another. No request ever carries a private key."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from browser.support import PASSWORD, ROOT, accessible, screenshot, sign_and_submit
from conftest import run_cli
from playwright.sync_api import expect

from servanda.client import Client
from servanda.crypto import load_private_key, public_hex

JOB_OFFER = ROOT / "examples" / "job-offer.yaml"
AGREED = {"salary": 110000, "start_in_weeks": 4, "vacation_days": 20, "signing_bonus": 5000,
          "remote_work": "remote_2_days", "job_title": "senior_engineer"}


def save_key(page, name: str, folder: Path) -> Path:
    with page.expect_download() as download:
        page.get_by_role("button", name=f"Save {name} to a file").click()
    path = folder / download.value.suggested_filename
    download.value.save_as(path)
    return path


def private_material(path: Path) -> list[str]:
    """Every spelling of a private key a request could carry: the PEM body, its DER in
    hex, and the 32-byte seed in hex, base64 and base64url."""
    text = path.read_text()
    body = "".join(line for line in text.splitlines() if not line.startswith("-----"))
    der = base64.b64decode(body)
    seed = der[-32:]
    return [body, body[:40], der.hex(), seed.hex(), base64.b64encode(seed).decode().rstrip("="),
            base64.urlsafe_b64encode(seed).decode().rstrip("=")]


def sign_in(browser, base: str, username: str, viewport: dict):
    """Another browser context of someone who has an account already: no keys of theirs."""
    context = browser.new_context(base_url=base, viewport=viewport)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(base + "/sign-in")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")
    return context, page


def test_register_draft_sign_and_verify_in_the_browser(person, api_person, browser, web_server, tmp_path, capsys):
    convener = api_person("convener-t")
    room = convener.create_room(JOB_OFFER, rounds=10)
    erin, cody = person("erin-t"), person("cody-t")
    for someone, party, rep in ((erin, "Employer", "Hiring manager"), (cody, "Candidate", "Candidate")):
        someone.go(f"/invitations/{convener.invite(room, 'party', party, rep)}")
        someone.page.get_by_role("button", name="Accept the invitation").click()
        expect(someone.page.get_by_role("heading", level=1)).to_have_text("Job offer (New Recruit style)")
    with Client.login(web_server.url, "erin-t", PASSWORD) as employer, \
            Client.login(web_server.url, "cody-t", PASSWORD) as candidate:
        employer.propose(room, AGREED)
        candidate.accept(room)

    bodies: list[str] = []
    def listen(page):  # noqa: E306 - every request any page of this test sends
        page.on("request", lambda request: bodies.append(request.post_data or ""))
    listen(erin.page)
    listen(cody.page)

    # the employer: a root key made in the browser, a representative in office and a mandate
    page = erin.page
    erin.go(f"/rooms/{room}/treaty")
    expect(page.locator("[data-status]")).to_have_text("informal deal")
    expect(page.locator("#key-root-state")).to_contain_text("holds no key")
    accessible(page, "treaty page, nothing registered")
    page.get_by_role("button", name="Register Employer's root key").click()
    sign_and_submit(page, "Register Employer's root key")
    expect(page.locator("#key-root-state")).to_contain_text("It is Employer's registered root key")
    erin_root = save_key(page, "Employer's root key", tmp_path)
    assert erin_root.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")

    expect(page.get_by_label("Holder", exact=True).first).to_have_value("Hiring manager")
    page.locator("#office-role").select_option("other")
    page.get_by_role("button", name="Register in office").click()
    sign_and_submit(page, "Register Hiring manager in the office of other of Employer")
    expect(page.locator("#key-signing-state")).to_contain_text("binds Employer only under a mandate")
    page.get_by_text("Give someone the power to negotiate").click()
    page.locator("#mandate-power-ratify").check()
    page.get_by_role("button", name="Grant the mandate").click()
    sign_and_submit(page, "the power to negotiate, sign, ratify for Employer")
    expect(page.locator("#treaty-status")).to_contain_text("negotiate, sign, ratify")
    erin_signing = save_key(page, "your signing key", tmp_path)

    # the candidate: a root key made by `servanda keys new`, imported; a head of state's office
    assert run_cli(capsys, "keys", "new", "cody-root", "--dir", tmp_path)[0] == 0
    cody_root = tmp_path / "cody-root.key"
    page = cody.page
    cody.go(f"/rooms/{room}/treaty")
    page.get_by_label("Import Candidate's root key from a file").set_input_files(cody_root)
    expect(page.locator("#messages")).to_contain_text("Imported Candidate's root key")
    expect(page.locator("#key-root-state")).to_contain_text("It is not registered yet")
    page.get_by_role("button", name="Register Candidate's root key").click()
    sign_and_submit(page, "Register Candidate's root key")
    page.locator("#office-role").select_option("head_of_state")
    page.get_by_role("button", name="Register in office").click()
    sign_and_submit(page, "Register Candidate in the office of head of state of Candidate")
    expect(page.locator("#key-signing-state")).to_contain_text("full powers by office")
    cody_signing = save_key(page, "your signing key", tmp_path)

    # the overview: who holds powers now
    cody.go(f"/rooms/{room}")
    powers = page.locator("table").last
    expect(powers).to_contain_text("office of head of state: full powers by office")
    expect(powers).to_contain_text("negotiate, sign, ratify")
    expect(powers).to_contain_text("binds Employer only under a mandate")

    # the employer drafts (ratification required); the candidate writes version 2
    page = erin.page
    page.get_by_label("Title").fill("Offer of employment")
    page.get_by_label("Each party must ratify it").check()
    page.get_by_role("button", name="Draft the text").click()
    sign_and_submit(page, "Version 1 of “Offer of employment”: 6 clauses")
    expect(page.locator("#treaty-text")).to_contain_text("Salary: 110000.")
    page = cody.page
    cody.go(f"/rooms/{room}/treaty")
    page.get_by_label("Clause salary").fill("The annual base salary is 110000 US dollars.")
    page.get_by_role("button", name="Sign and add version 2").click()
    sign_and_submit(page, "Version 2 of “Offer of employment”")
    expect(page.locator("#treaty-text")).to_contain_text("Changes from version 1 to version 2")
    expect(page.locator("#treaty-text del").first).to_contain_text("Salary:")
    expect(page.locator("#treaty-text ins").first).to_contain_text("The annual base salary is")
    expect(page.locator("#treaty-text ins").last).to_contain_text("US dollars")
    expect(erin.page.locator("#treaty-text")).to_contain_text("The annual base salary is", timeout=15_000)  # live

    # the candidate signs in another browser context, at phone width, with the key from its file
    context, phone = sign_in(browser, web_server.url, "cody-t", {"width": 390, "height": 844})
    listen(phone)
    phone.goto(f"{web_server.url}/rooms/{room}/treaty")
    expect(phone.locator("#key-signing-state")).to_contain_text("holds no key")
    phone.get_by_label("Import your signing key from a file").set_input_files(cody_signing)
    expect(phone.locator("#key-signing-state")).to_contain_text("full powers by office")
    phone.get_by_role("button", name="Sign version 2 for Candidate").click()
    sign_and_submit(phone, "Sign version 2 of the text")
    wide = phone.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 391)
        .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 15)""")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, wide
    accessible(phone, "treaty page at phone width")
    screenshot(phone, "signing-phone")

    page = erin.page
    page.get_by_role("button", name="Sign version 2 for Employer").click()
    sign_and_submit(page, "Sign version 2 of the text")
    expect(page.locator("[data-status]")).to_have_text("signed")
    expect(phone.locator("[data-status]")).to_have_text("signed", timeout=15_000)
    expect(page.locator("#treaty-status")).to_contain_text("under mandate")
    expect(page.locator("#treaty-status")).to_contain_text("with full powers by office")
    accessible(page, "treaty page, signed")
    screenshot(page, "signing")

    def bundle(page, name: str) -> Path:
        with page.expect_download() as download:
            page.get_by_role("link", name=re.compile("Download the verification bundle")).click()
        path = tmp_path / name
        download.value.save_as(path)
        return path

    signed = bundle(page, "signed.json")
    assert json.loads(signed.read_text())["format"] == "servanda-treaty-bundle"
    code, out, _ = run_cli(capsys, "verify", signed)
    assert code == 4, out  # valid and signed, awaiting ratification

    # ratified: the employer with its root key, the candidate with its head of state's key
    page.get_by_role("button", name="Ratify version 2 for Employer").click()
    sign_and_submit(page, "Ratify version 2")
    phone.reload()
    phone.get_by_role("button", name="Ratify version 2 for Candidate").click()
    sign_and_submit(phone, "Ratify version 2")
    expect(page.locator("[data-status]")).to_have_text("in force", timeout=15_000)
    code, out, _ = run_cli(capsys, "verify", bundle(page, "in-force.json"))
    assert code == 0, out
    assert "VALID AND BINDING" in out

    # the files are the CLI's format; no request carried a private key
    registered = json.loads(page.locator("#registered").get_attribute("data-registered"))
    assert public_hex(load_private_key(erin_root)) == registered["root"]
    assert public_hex(load_private_key(erin_signing)) in registered["keys"]
    assert run_cli(capsys, "keys", "show", cody_signing)[0] == 0
    secrets = [secret for path in (erin_root, erin_signing, cody_root, cody_signing) for secret in private_material(path)]
    assert len(bodies) > 10 and any('"signature"' in body for body in bodies)
    leaked = [secret for secret in secrets for body in bodies if secret in body]
    assert not leaked
    context.close()
