"""The drafting and signing page and what it shows: who holds powers now (offices with and
without full powers, valid mandates; revoked, expired and future ones left out), the
changes between versions of a text word by word, and the page's routes through the app
in-process (members only; acts only with the session's CSRF token)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.crypto import generate_key, public_hex, sign
from servanda.ledger.timestamps import utc_timestamp
from servanda.model.parties import Role
from servanda.server import Settings, create_app
from servanda.treaty.authority import holdings
from servanda.treaty.drafts import Change
from servanda.treaty.evidence import Evidence
from servanda.treaty.statements import (
    Author,
    Clause,
    DraftVersion,
    Envelope,
    LogRecord,
    Mandate,
    OfficeRegistration,
    Opening,
    PartyRegistration,
    Power,
    Revocation,
)
from servanda.treaty.wording import compare, words

NOW = datetime(2025, 12, 2, 12, tzinfo=UTC)
DAY = timedelta(days=1)
LOGGED = NOW - 30 * DAY
US, RU = "United States", "Russia"
US_ROOT, RU_ROOT, CONVENER, STRANGER = (generate_key() for _ in range(4))
KEYS = [generate_key() for _ in range(8)]
ROOT = {US: US_ROOT, RU: RU_ROOT}


class Log:
    """A negotiation's log written by hand, every act logged at ``LOGGED``."""

    def __init__(self) -> None:
        self.negotiation = "cd" * 32
        self.records: list[LogRecord] = []
        self.add(Opening, CONVENER, title="Talks", log_key="0" * 64)
        for party, root in ROOT.items():
            self.add(PartyRegistration, root, party=party, key=public_hex(root))

    def add(self, kind, signer, **fields) -> str:
        statement = kind(negotiation=self.negotiation, **fields)
        self.records.append(LogRecord(entry=Envelope.seal(statement, signer), logged_at=utc_timestamp(LOGGED)))
        return statement.id()

    def office(self, key, role: Role, party: str = US, registrar=None, holder: str = "holder") -> str:
        return self.add(OfficeRegistration, registrar or ROOT[party], party=party, holder=holder, role=role,
                        key=public_hex(key))

    def mandate(self, key, powers=(Power.SIGN,), start=NOW - DAY, end=NOW + DAY, party: str = US, issuer=None,
                parent: str | None = None, delegable: bool = False, holder: str = "holder") -> str:
        return self.add(Mandate, issuer or ROOT[party], party=party, holder=holder, key=public_hex(key),
                        powers=tuple(powers), not_before=utc_timestamp(start), not_after=utc_timestamp(end),
                        parent=parent, delegable=delegable)

    def revoke(self, target: str, signer=None) -> str:
        return self.add(Revocation, signer or US_ROOT, target=target)

    def holdings(self):
        evidence = Evidence.from_records(enumerate(self.records))
        assert evidence.problems == []
        return holdings(evidence, NOW)


# -- who holds powers ------------------------------------------------------------------------


def test_offices_with_full_powers_hold_every_power_and_others_none():
    log = Log()
    head = log.office(KEYS[0], Role.HEAD_OF_STATE, holder="President")
    envoy = log.office(KEYS[1], Role.ENVOY, holder="Envoy")
    minister = log.office(KEYS[2], Role.FOREIGN_MINISTER, party=RU, holder="Minister")
    found = {(h.party, h.holder): h for h in log.holdings()}
    assert set(found) == {(US, "President"), (US, "Envoy"), (RU, "Minister")}
    assert found[US, "President"].powers == tuple(Power) and "full powers by office" in found[US, "President"].basis
    assert found[US, "Envoy"].powers == () and "only under a mandate" in found[US, "Envoy"].basis
    assert found[RU, "Minister"].powers == tuple(Power)
    assert [h.act for h in found.values()] == [head, envoy, minister]
    assert found[US, "President"].as_dict() == {"party": US, "holder": "President", "key": public_hex(KEYS[0]),
                                                "powers": ["negotiate", "adopt", "sign", "ratify"],
                                                "basis": "office of head of state: full powers by office", "act": head}


@pytest.mark.parametrize("case, listed", [
    ("valid", True),
    ("expired", False),
    ("not yet valid", False),
    ("revoked", False),
    ("revoked by a stranger", True),
    ("issued by a stranger", False),
    ("delegated", True),
    ("delegated under a revoked parent", False),
    ("office revoked", False),
    ("office registered by a stranger", False),
    ("office revoked, registered again", True),
])
def test_what_is_listed(case, listed):
    log = Log()
    if case == "valid":
        log.mandate(KEYS[0])
    elif case == "expired":
        log.mandate(KEYS[0], start=NOW - 3 * DAY, end=NOW - DAY)
    elif case == "not yet valid":
        log.mandate(KEYS[0], start=NOW + DAY, end=NOW + 3 * DAY)
    elif case == "revoked":
        log.revoke(log.mandate(KEYS[0]))
    elif case == "revoked by a stranger":
        log.revoke(log.mandate(KEYS[0]), signer=STRANGER)
    elif case == "issued by a stranger":
        log.mandate(KEYS[0], issuer=STRANGER)
    elif case.startswith("delegated"):
        # valid when the delegation is logged (a month ago) and now
        parent = log.mandate(KEYS[1], powers=(Power.NEGOTIATE, Power.SIGN), delegable=True, holder="principal",
                             start=LOGGED - DAY)
        log.mandate(KEYS[0], issuer=KEYS[1], parent=parent)
        if case.endswith("revoked parent"):
            log.revoke(parent)
    elif case == "office revoked":
        log.revoke(log.office(KEYS[0], Role.HEAD_OF_STATE))
    elif case == "office registered by a stranger":
        log.office(KEYS[0], Role.HEAD_OF_STATE, registrar=STRANGER)
    elif case == "office revoked, registered again":
        log.revoke(log.office(KEYS[0], Role.HEAD_OF_STATE))
        log.add(OfficeRegistration, US_ROOT, party=US, holder="holder", role=Role.HEAD_OF_STATE,
                key=public_hex(KEYS[0]), serial="1" * 32)
    keys = [h.key for h in log.holdings()]
    assert (public_hex(KEYS[0]) in keys) is listed
    if case == "delegated":
        [held] = [h for h in log.holdings() if h.key == public_hex(KEYS[0])]
        assert held.powers == (Power.SIGN,) and "delegated under mandate" in held.basis


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-10, 10), st.integers(1, 20), st.booleans(),
                          st.sets(st.sampled_from(list(Power)), min_size=1)), min_size=1, max_size=6))
def test_mandates_listed_exactly_while_valid_and_not_revoked(mandates):
    """Oracle from the rules: a root-issued mandate is held now iff it began, has not
    ended, and was not revoked."""
    log = Log()
    expected = []
    for k, (start, length, revoked, powers) in enumerate(mandates):
        begin, end = NOW + start * DAY, NOW + (start + length) * DAY
        ordered = tuple(p for p in Power if p in powers)
        act = log.mandate(KEYS[k], powers=ordered, start=begin, end=end)
        if revoked:
            log.revoke(act)
        elif begin <= NOW <= end:
            expected.append((public_hex(KEYS[k]), ordered))
    assert [(h.key, h.powers) for h in log.holdings()] == expected


# -- the changes between versions ------------------------------------------------------------

TEXTS = st.text(alphabet=st.sampled_from("ab ,.\n1"), max_size=40)


@settings(max_examples=200, deadline=None)
@given(TEXTS, TEXTS)
def test_word_changes_spell_both_versions(old, new):
    segments = words(old, new)
    assert "".join(text for kind, text in segments if kind != "added") == old
    assert "".join(text for kind, text in segments if kind != "removed") == new
    assert all(a[0] != b[0] for a, b in zip(segments, segments[1:]))  # neighbours of one kind are merged
    if old == new:
        assert all(kind == "same" for kind, _ in segments)


def _version(number: int, clauses: dict[str, str], title: str = "Deal", ratification: bool = False,
             editor: str = "Ann") -> DraftVersion:
    author = Author(party="A", representative=editor)
    return DraftVersion(
        negotiation="ef" * 32, version=number, title=title, parties=("A", "B"), requires_ratification=ratification,
        clauses=tuple(Clause(id=cid, text=text, author=author) for cid, text in clauses.items()), editor=author,
        previous=None if number == 1 else "01" * 32,
    )


def test_compare_names_each_change_and_its_words():
    old = _version(1, {"salary": "Salary: 110000.", "remote": "Two remote days.", "title": "Senior engineer."})
    new = _version(2, {"salary": "Salary: 112500.", "remote": "Two remote days.", "bonus": "A bonus of 5000."},
                   title="The deal", ratification=True, editor="Bob")
    changes = {c.clause: c for c in compare(old, new)}
    assert set(changes) == {"(title)", "(requires_ratification)", "salary", "bonus", "title"}
    assert changes["salary"].change is Change.CHANGED
    assert changes["salary"].words == (("same", "Salary: "), ("removed", "110000"), ("added", "112500"), ("same", "."))
    assert changes["bonus"].change is Change.ADDED and changes["bonus"].words == (("added", "A bonus of 5000."),)
    assert changes["title"].change is Change.REMOVED and changes["title"].by.representative == "Bob"
    assert changes["(title)"].words == (("removed", "Deal"), ("added", "The deal"))
    assert changes["(requires_ratification)"].words == (("removed", "no "), ("same", "ratification required"))
    assert compare(old, old) == []


# -- the page, in-process ----------------------------------------------------------------------

JOB_OFFER = Path(__file__).resolve().parent.parent / "examples" / "job-offer.yaml"
AGREED = {"salary": 110000, "start_in_weeks": 4, "vacation_days": 20, "signing_bonus": 5000,
          "remote_work": "remote_2_days", "job_title": "senior_engineer"}


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    from argon2 import PasswordHasher

    from servanda.rooms import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


class Browser:
    """Someone signed in with a session cookie (as a browser is), with its CSRF token."""

    def __init__(self, app, name: str):
        self.http = TestClient(app)
        assert self.http.post("/api/accounts", json={"username": name, "password": f"password-{name}"}).status_code == 201
        self.csrf = self.http.post("/api/session", json={"username": name, "password": f"password-{name}"}).json()["csrf"]

    def post(self, path: str, body: dict | None = None, csrf: bool = True):
        return self.http.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf} if csrf else {})

    def act(self, room: str, signer, act: str, /, **fields) -> int:
        """Prepare, sign with the private key ``signer`` (here, as the browser does in WebCrypto) and submit."""
        prepared = self.post(f"/api/rooms/{room}/acts/prepare", {"act": act, "fields": fields})
        assert prepared.status_code == 200, prepared.text
        statement = prepared.json()["statement"]
        signed = self.post(f"/api/rooms/{room}/acts", {"statement": statement, "signer": public_hex(signer),
                                                       "signature": sign(signer, statement)})
        assert signed.status_code == 201, signed.text
        return signed.json()["id"]


@pytest.fixture
def room(tmp_path):
    """A job-offer room with the employer and the candidate agreed; (app, room, people)."""
    text = JOB_OFFER.read_text()
    app = create_app(Settings(database=str(tmp_path / "web.db"), login_limit="1000/minute",
                              registration_limit="1000/minute"))
    with TestClient(app):  # runs the app's lifespan for everyone's clients
        people = {name: Browser(app, name) for name in ("convener", "erin", "cody", "olga", "outsider")}
        convener = people["convener"]
        created = convener.post("/api/rooms", {"scenario": {"text": text}, "rounds": 10})
        room_id = created.json()["id"]
        for name, role, party, rep in (("erin", "party", "Employer", "Hiring manager"),
                                       ("cody", "party", "Candidate", "Candidate"), ("olga", "observer", None, None)):
            token = convener.post(f"/api/rooms/{room_id}/invitations",
                                  {"role": role, "party": party, "representative": rep}).json()["token"]
            assert people[name].post(f"/api/invitations/{token}").status_code == 200
        assert people["erin"].post(f"/api/rooms/{room_id}/offers", {"outcome": AGREED}).status_code == 200
        assert people["cody"].post(f"/api/rooms/{room_id}/accept").status_code == 200
        yield app, room_id, people


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_members_only_and_bad_queries(room):
    _, room_id, people = room
    page = people["erin"].http.get(f"/rooms/{room_id}/treaty")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "informal deal" in page.text and 'id="signing"' in page.text and "signing.js" in page.text
    assert people["olga"].http.get(f"/rooms/{room_id}/treaty").status_code == 200
    assert 'id="signing"' not in people["olga"].http.get(f"/rooms/{room_id}/treaty").text  # observers sign nothing
    assert people["outsider"].http.get(f"/rooms/{room_id}/treaty").status_code == 404
    assert people["outsider"].http.get(f"/rooms/{room_id}/treaty?part=status", headers={"HX-Request": "true"}).status_code == 404
    assert people["outsider"].http.get(f"/rooms/{room_id}").status_code == 404
    assert people["erin"].http.get("/rooms/nosuchroom/treaty").status_code == 404
    for query in ("part=nonsense", "version=1", "version=x", "old=3", "version=²"):
        assert people["erin"].http.get(f"/rooms/{room_id}/treaty?{query}").status_code == 404, query
    anonymous = TestClient(room[0], follow_redirects=False).get(f"/rooms/{room_id}/treaty")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/sign-in")


def test_acts_need_the_sessions_csrf_token(room):
    _, room_id, people = room
    erin = people["erin"]
    root = generate_key()
    body = {"act": "party", "fields": {"key": public_hex(root)}}
    assert erin.post(f"/api/rooms/{room_id}/acts/prepare", body, csrf=False).status_code == 403
    statement = erin.post(f"/api/rooms/{room_id}/acts/prepare", body).json()["statement"]
    signed = {"statement": statement, "signer": public_hex(root), "signature": sign(root, statement)}
    assert erin.post(f"/api/rooms/{room_id}/acts", signed, csrf=False).status_code == 403
    other = erin.http.post(f"/api/rooms/{room_id}/acts", json=signed, headers={"X-CSRF-Token": people["cody"].csrf})
    assert other.status_code == 403
    assert 'id="act-party"' in erin.http.get(f"/rooms/{room_id}/treaty").text  # nothing recorded: still to register
    assert people["outsider"].post(f"/api/rooms/{room_id}/acts/prepare", body).status_code == 404
    assert people["olga"].post(f"/api/rooms/{room_id}/acts/prepare", body).status_code == 403


def test_the_page_follows_the_treaty_to_force(room):
    _, room_id, people = room
    erin, cody = people["erin"], people["cody"]
    roots = {"erin": generate_key(), "cody": generate_key()}
    signing = {"erin": generate_key(), "cody": generate_key()}
    erin.act(room_id, roots["erin"], "party", key=public_hex(roots["erin"]))
    erin.act(room_id, roots["erin"], "office", holder="Hiring manager", role="other", key=public_hex(signing["erin"]))
    now = datetime.now(UTC)
    erin.act(room_id, roots["erin"], "mandate", holder="Hiring manager", key=public_hex(signing["erin"]),
             powers=["negotiate", "sign"], not_before=utc_timestamp(now - DAY), not_after=utc_timestamp(now + DAY))
    cody.act(room_id, roots["cody"], "party", key=public_hex(roots["cody"]))
    cody.act(room_id, roots["cody"], "office", holder="Candidate", role="head_of_state", key=public_hex(signing["cody"]))

    overview = _text(erin.http.get(f"/rooms/{room_id}").text)
    assert "Hiring manager negotiate, sign mandate" in overview
    assert "Candidate negotiate, adopt, sign, ratify office of head of state: full powers by office" in overview
    assert ("Hiring manager bind only under a mandate office of other: binds Employer only under a mandate"
            in overview)
    assert "No one has registered an office" not in overview

    erin.act(room_id, signing["erin"], "draft", title="Offer of employment", requires_ratification=True)
    page = erin.http.get(f"/rooms/{room_id}/treaty").text
    assert "Offer of employment" in page and "Salary: 110000." in page
    assert 'id="act-signature"' in page and "Changes from version" not in page
    clauses = [{"id": c, "text": t, "issue": c, "option": o} for c, t, o in (
        ("salary", "The annual salary is 110000 US dollars.", "110000"),
        ("start_in_weeks", "Start in weeks: 4.", "4"), ("vacation_days", "Vacation days: 20.", "20"),
        ("signing_bonus", "Signing bonus: 5000.", "5000"), ("remote_work", "Remote work: remote_2_days.", "remote_2_days"),
        ("job_title", "Job title: senior_engineer.", "senior_engineer"))]
    cody.act(room_id, signing["cody"], "draft", title="Offer of employment", requires_ratification=True, clauses=clauses)

    text = erin.http.get(f"/rooms/{room_id}/treaty?part=text", headers={"HX-Request": "true"}).text
    assert "<html" not in text and "Changes from version 1 to version 2" in text
    assert "<ins><span class=\"sr-only\">[added: </span>The annual salary is" in text
    assert "<del><span class=\"sr-only\">[removed: </span>Salary:" in text
    assert "changed by Candidate (Candidate)" in _text(text)
    first = erin.http.get(f"/rooms/{room_id}/treaty?part=text&version=1&old=0", headers={"HX-Request": "true"}).text
    assert "Salary: 110000." in first and "Changes from" not in first

    for who in ("erin", "cody"):
        people[who].act(room_id, signing[who], "signature")
    status = erin.http.get(f"/rooms/{room_id}/treaty?part=status", headers={"HX-Request": "true"}).text
    assert 'data-status="signed"' in status and f"/api/rooms/{room_id}/bundle?version=2" in status
    assert "under mandate" in status and "with full powers by office" in status
    actions = erin.http.get(f"/rooms/{room_id}/treaty?part=actions", headers={"HX-Request": "true"}).text
    assert 'id="act-ratification"' in actions and "has validly signed version 2" in actions

    erin.act(room_id, roots["erin"], "ratification", instrument="Board resolution")
    cody.act(room_id, signing["cody"], "ratification")
    assert 'data-status="in force"' in erin.http.get(f"/rooms/{room_id}/treaty").text
    bundle = erin.http.get(f"/api/rooms/{room_id}/bundle?version=2")
    assert bundle.status_code == 200 and bundle.json()["format"] == "servanda-treaty-bundle"
