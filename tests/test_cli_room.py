"""`servanda login` and `servanda room ...` against a live server (uvicorn in a thread, on an
SQLite file): a whole negotiation from the terminal — accounts, a room with a bot, invitations,
offers and answers, discussion, the event stream, the treaty acts signed with local keys,
the exported bundle that `servanda verify` accepts — and the errors: one line and exit 1
for a refusal, exit 2 for bad syntax."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli
from live_server import running_server

from servanda.crypto import load_private_key, public_hex
from servanda.server import Settings

SCENARIO = """\
name: Border deal
issues:
  - name: border
    type: categorical
    options: [river, ridge, valley]
  - name: tariff
    type: integer
    min: 0
    max: 10
    step: 5
parties:
  - name: North
    representatives:
      - {name: North Minister, role: foreign_minister, title: Foreign Minister}
    reservation: 0.1
    weights: {border: 0.6, tariff: 0.4}
    values:
      border: {river: 1.0, ridge: 0.2, valley: 0.5}
      tariff: {points: [[0, 0.0], [10, 1.0]]}
  - name: South
    representatives:
      - {name: South Minister, role: foreign_minister, title: Foreign Minister}
    reservation: 0.1
    weights: {border: 0.5, tariff: 0.5}
    values:
      border: {river: 0.3, ridge: 1.0, valley: 0.6}
      tariff: {points: [[0, 1.0], [10, 0.0]]}
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[str]:
    """A server of our own on an SQLite file (these tests need no PostgreSQL)."""
    folder = tmp_path_factory.mktemp("cli-room-server")
    settings = Settings(database=str(folder / "server.db"), login_limit="1000/minute",
                        registration_limit="1000/minute")
    with running_server(settings) as url:
        yield url


class Terminal:
    """Each person runs the CLI with their own config folder (XDG_CONFIG_HOME)."""

    def __init__(self, url: str, home: Path, capsys, monkeypatch):
        self.url, self.home, self.capsys, self.monkeypatch = url, home, capsys, monkeypatch
        for name in ("SERVANDA_SERVER", "SERVANDA_TOKEN", "SERVANDA_PASSWORD"):
            monkeypatch.delenv(name, raising=False)

    def config(self, person: str) -> Path:
        return self.home / person / "config"

    def run(self, person: str | None, *args) -> tuple[int, str, str]:
        self.monkeypatch.setenv("XDG_CONFIG_HOME", str(self.config(person or "nobody")))
        return run_cli(self.capsys, *args)

    def ok(self, person: str | None, *args) -> str:
        code, out, err = self.run(person, *args)
        assert code == 0, (args, out, err)
        return out

    def json(self, person: str, *args):
        return json.loads(self.ok(person, *args, "--json"))

    def login(self, person: str, register: bool = True) -> None:
        self.monkeypatch.setenv("SERVANDA_PASSWORD", f"password of {person}")
        try:
            out = self.ok(person, "login", self.url, person, *(["--register"] if register else []))
        finally:
            self.monkeypatch.delenv("SERVANDA_PASSWORD")
        assert f"signed in to {self.url} as {person}" in out

    def fails(self, person: str | None, *args, code: int = 1) -> str:
        got, out, err = self.run(person, *args)
        assert got == code, (args, got, out, err)
        assert "Traceback" not in out + err
        return err


@pytest.fixture
def term(live, tmp_path, capsys, monkeypatch) -> Terminal:
    return Terminal(live, tmp_path, capsys, monkeypatch)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_login_saves_the_token_readable_by_its_owner_only(term):
    term.login("cli-login-ann")
    saved = term.config("cli-login-ann") / "servanda" / "client.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    data = json.loads(saved.read_text())
    assert data["server"] == term.url and data["username"] == "cli-login-ann" and data["token"]
    assert term.json("cli-login-ann", "room", "create", scenario_file(term.home), "--rounds", "3")["room"]
    # logging in again (no --register) replaces the token, still private
    term.login("cli-login-ann", register=False)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["token"] != data["token"]
    # a wrong password: one line, nothing saved over the good token
    term.monkeypatch.setenv("SERVANDA_PASSWORD", "not the password")
    line = one_line(term.fails("cli-login-ann", "login", term.url, "cli-login-ann"))
    term.monkeypatch.delenv("SERVANDA_PASSWORD")
    assert line.startswith("error:") and "401" in line


def scenario_file(folder: Path) -> Path:
    path = folder / "border.yaml"
    path.write_text(SCENARIO)
    return path


def test_a_whole_negotiation_from_the_terminal(term, tmp_path):
    convener, north, south = "cli-convener", "cli-north", "cli-south"
    for person in (convener, north, south):
        term.login(person)
    scenario = scenario_file(tmp_path)
    room = term.json(convener, "room", "create", scenario, "--rounds", "10", "--title", "Border talks")["room"]

    # invitations, joining
    tokens = {}
    for party, person in (("North", north), ("South", south)):
        tokens[party] = term.json(convener, "room", "invite", room, "--party", party,
                                  "--as", f"{party} Minister")["token"]
        assert term.json(person, "room", "join", tokens[party]) == {"room": room}
    err = term.fails(south, "room", "join", tokens["South"])  # one-time links
    assert "404" in one_line(err)

    # the room, as each sees it
    view = term.json(north, "room", "show", room)
    assert view["me"] == {"username": north, "role": "party", "party": "North",
                          "representative": "North Minister", "convener": False}
    assert view["to_act"] == "North" and view["phase"] == "open" and view["title"] == "Border talks"
    human = term.ok(north, "room", "show", room)
    assert "Border talks" in human and "to act" in human and "North" in human and "{" not in human

    # off turn: the server's refusal, one line, exit 1
    line = one_line(term.fails(south, "room", "propose", room, "border=ridge", "tariff=0"))
    assert "it is North's turn, not South's" in line
    # bad ISSUE=OPTION syntax: a usage error, exit 2
    term.fails(north, "room", "propose", room, "border", code=2)
    term.fails(north, "room", "propose", room, "=river", code=2)

    first = term.json(north, "room", "propose", room, "border=river", "tariff=10")["events"]
    assert len(first) == 1
    view = term.json(south, "room", "show", room)
    assert view["on_table"]["outcome"] == {"border": "river", "tariff": 10}
    assert set(view["on_table"]["scores"]) == {"South"}  # scored from South's side only
    rejected = term.json(south, "room", "reject", room)["events"]
    assert rejected == [first[0] + 1]
    countered = term.json(south, "room", "propose", room, "border=valley", "tariff=5")["events"]
    out = term.ok(north, "room", "comment", room, "Valley, but no tariff?", "--kind", "suggestion",
                  "--set", "border=valley", "--set", "tariff=0")
    assert out.startswith("recorded as event")
    term.fails(north, "room", "comment", room, "bad", "--kind", "suggestion", "--set", "tariff", code=2)
    term.fails(north, "room", "accept", room, "--server", term.url, "--token", "not-a-token")
    accepted = term.json(north, "room", "accept", room)["events"]
    assert len(accepted) == 2  # the acceptance and the agreement
    view = term.json(north, "room", "show", room)
    assert view["phase"] == "agreement"
    assert view["agreement"]["outcome"] == {"border": "valley", "tariff": 5}

    # the record as a stream: one JSON event per line, ids increasing
    lines = term.ok(north, "room", "watch", room, "--timeout", "1", "--json").splitlines()
    events = [json.loads(line) for line in lines]
    ids = [e["id"] for e in events]
    assert ids == list(range(len(ids))) and ids[-1] == accepted[-1]
    types = [e["type"] for e in events]
    for kind in ("created", "invited", "joined", "offer", "reject", "comment", "accept", "agreement"):
        assert kind in types
    comment = next(e for e in events if e["type"] == "comment")
    assert comment["kind"] == "suggestion" and comment["outcome"] == {"border": "valley", "tariff": 0}
    assert {e["category"] for e in events if e["type"] == "comment"} != {
        e["category"] for e in events if e["type"] == "offer"}  # discussion apart from binding acts
    assert [e["id"] for e in events if e["type"] == "offer"] == [first[0], countered[-1]]
    later = [json.loads(x) for x in term.ok(north, "room", "watch", room, "--after", ids[-3], "--timeout", "1",
                                            "--json").splitlines()]
    assert [e["id"] for e in later] == ids[-2:]
    human = term.ok(south, "room", "watch", room, "--timeout", "1")
    assert len(human.strip().splitlines()) == len(ids) and "agreement" in human

    # keys, kept here; the server gets public keys and signatures only
    keys = tmp_path / "keys"
    keys.mkdir()
    for name in ("north-root", "north-minister", "south-root", "south-minister"):
        assert "fingerprint" in term.ok(None, "keys", "new", name, "--dir", keys)
        assert stat.S_IMODE((keys / f"{name}.key").stat().st_mode) == 0o600
    key = {name: keys / f"{name}.key" for name in ("north-root", "north-minister", "south-root", "south-minister")}
    hexes = {name: public_hex(load_private_key(path)) for name, path in key.items()}
    for person, side in ((north, "north"), (south, "south")):
        party = side.capitalize()
        term.json(person, "room", "sign", room, "--key", key[f"{side}-root"], "--act", "party")
        term.json(person, "room", "sign", room, "--key", key[f"{side}-root"], "--act", "office",
                  "--field", f"holder={party} Minister", "--field", "role=foreign_minister",
                  "--field", f"key={hexes[f'{side}-minister']}")
    # someone else's key does not register South's office
    line = one_line(term.fails(south, "room", "sign", room, "--key", key["north-root"], "--act", "office",
                               "--field", "holder=South Minister", "--field", "role=foreign_minister",
                               "--field", f"key={hexes['north-root']}"))
    assert line.startswith("error:")
    term.fails(north, "room", "sign", room, "--key", key["north-minister"], "--field", "version", code=2)

    term.json(north, "room", "sign", room, "--key", key["north-minister"], "--act", "draft",
              "--field", "title=Border treaty")
    assert term.json(north, "room", "show", room)["status"]["status"] == "informal deal"
    term.json(north, "room", "sign", room, "--key", key["north-minister"])
    term.json(south, "room", "sign", room, "--key", key["south-minister"])
    view = term.json(south, "room", "show", room)
    assert view["status"]["status"] == "in force" and view["drafted"]
    assert "IN FORCE" in term.ok(south, "room", "show", room)

    bundle = tmp_path / "bundle.json"
    out = term.json(south, "room", "export", room, "-o", bundle)
    assert out == {"bundle": str(bundle)}
    assert json.loads(bundle.read_text())
    code, out, err = term.run(None, "verify", bundle)
    assert code == 0, (out, err)
    # the bundle, tampered with: invalid
    tampered = tmp_path / "tampered.json"
    tampered.write_text(bundle.read_text().replace("Border treaty", "Border treatY"))
    assert term.run(None, "verify", tampered)[0] == 5


def test_a_bot_takes_a_seat_and_answers_on_its_turn(term, tmp_path):
    convener, north = "cli-bot-convener", "cli-bot-north"
    term.login(convener)
    term.login(north)
    scenario = scenario_file(tmp_path)
    term.fails(convener, "room", "create", scenario, "--rounds", "5", "--bot", "South", code=2)
    line = one_line(term.fails(convener, "room", "create", scenario, "--rounds", "5", "--bot", "South=nonsense"))
    assert "nonsense" in line
    room = term.json(convener, "room", "create", scenario, "--rounds", "5", "--bot", "South=hardliner")["room"]
    token = term.json(convener, "room", "invite", room, "--party", "North", "--as", "North Minister")["token"]
    term.json(north, "room", "join", token)
    view = term.json(north, "room", "show", room)
    assert view["seats"] == {"North": None, "South": "hardliner"}
    term.json(north, "room", "propose", room, "border=river", "tariff=10")
    view = term.json(north, "room", "show", room)  # the hardliner countered with its best package
    assert view["on_table"]["by"] == "South" and view["on_table"]["outcome"] == {"border": "ridge", "tariff": 0}
    assert view["to_act"] == "North"


def test_the_server_and_token_from_the_environment(term, tmp_path):
    term.login("cli-env-person")
    saved = json.loads((term.config("cli-env-person") / "servanda" / "client.json").read_text())
    term.monkeypatch.setenv("SERVANDA_SERVER", term.url)
    term.monkeypatch.setenv("SERVANDA_TOKEN", saved["token"])
    room = term.json(None, "room", "create", scenario_file(tmp_path), "--rounds", "2")["room"]  # no config file
    assert term.json(None, "room", "show", room)["me"]["username"] == "cli-env-person"
    term.monkeypatch.setenv("SERVANDA_TOKEN", "forged")
    assert "401" in one_line(term.fails(None, "room", "show", room))


def test_not_signed_in_is_one_line(term):
    line = one_line(term.fails(None, "room", "show", "some-room"))
    assert "not signed in" in line and "servanda login" in line
    term.fails(None, "room", "propose", "some-room", "border=river")
    line = one_line(term.fails(None, "room", "create", "no-such-file.yaml", "--rounds", "2"))
    assert line.startswith("error:")
