"""The issue's end-to-end test: the Moscow example, live, on SQLite and on PostgreSQL.

Four parties: the United States and Ukraine played through the API by test clients
(``Client.play`` with an engine strategy, each in its own thread), Russia and the European
allies by bots on the server. They reach an agreement; then every party registers its
root key and its minister (or head of state) in office, the US Secretary of State drafts
the treaty (ratification required), all four sign, all four ratify, and the exported
bundle passes ``servanda verify`` offline.

As written, examples/moscow-2025.yaml admits no agreement: Russia's red line "de jure
recognition of the four oblasts" excludes Ukraine's and the European allies' "no de jure
recognition" (``servanda diagnose`` finds it; dropping Russia's red line is the smallest
change and opens a zone of 552 outcomes). The room is convened on a copy with that one
red line dropped.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import EXAMPLES, run_cli

from servanda.analysis.utilities import red_line_breaches, utilities
from servanda.client import Client
from servanda.crypto import generate_key, public_hex
from servanda.formats import load_scenario
from servanda.ledger import SignedTreeHead
from servanda.negotiation.strategies import make_strategy

RUSSIAN_DE_JURE_LINE = """      - name: de jure recognition of the four oblasts
        only: {territorial_status: [de_jure]}
"""
BOTS = {"Russia": "conceder", "European allies": "conceder"}
ROUNDS = 10


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Argon2id at its lowest cost: a hash at the server's real cost takes 0.6 s on a 2-core
    machine, and this test signs in seven people (two hashes each). The server runs in this
    process, so this is the only change to its code."""
    from argon2 import PasswordHasher

    from servanda.rooms import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def moscow_with_a_zone(tmp_path: Path) -> Path:
    """examples/moscow-2025.yaml without Russia's red line on de jure recognition."""
    text = (EXAMPLES / "moscow-2025.yaml").read_text()
    assert text.count(RUSSIAN_DE_JURE_LINE) == 1
    path = tmp_path / "moscow-with-a-zone.yaml"
    path.write_text(text.replace(RUSSIAN_DE_JURE_LINE, ""))
    return path


def verify(capsys, tmp_path: Path, client: Client, room: str, name: str) -> int:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(client.bundle(room)))
    code, _, _ = run_cli(capsys, "verify", path)
    return code


def test_moscow_live_two_clients_two_bots_to_a_treaty_in_force(server, moscow_with_a_zone, tmp_path, capsys):
    convener = server.person("convener")
    room = convener.create_room(moscow_with_a_zone, rounds=ROUNDS, bots=BOTS)
    people = {
        "rubio": ("United States", "Marco Rubio", None),
        "witkoff": ("United States", "Steve Witkoff", None),
        "zelensky": ("Ukraine", "Volodymyr Zelensky", None),
        "lavrov": ("Russia", "Sergey Lavrov", None),
        "kallas": ("European allies", "Kaja Kallas", "foreign_minister"),
    }
    clients: dict[str, Client] = {}
    for username, (party, representative, role) in people.items():
        clients[username] = server.person(username)
        clients[username].join(convener.invite(room, "party", party, representative, role))
    rubio, witkoff, zelensky, lavrov, kallas = (clients[name] for name in people)
    view = rubio.room(room)
    assert view["seats"] == {"United States": None, "Russia": "conceder", "Ukraine": None,
                             "European allies": "conceder"}
    assert view["parties"] == ["United States", "Russia", "Ukraine", "European allies"]

    # the negotiation: two remote programs and two bots, stacked alternating offers
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(client.play, room, make_strategy("conceder"), timeout=30) for client in (rubio, zelensky)]
        ends = [run.result() for run in runs]
    assert [end["phase"] for end in ends] == ["agreement", "agreement"]
    view = convener.room(room)
    assert view["phase"] == "agreement"
    agreement = view["agreement"]["outcome"]
    assert view["agreement"]["scores"] == {}  # the convener observes

    events = convener.events(room)
    assert [event["id"] for event in events] == list(range(len(events)))
    moves = [event for event in events if event["type"] in ("offer", "accept", "reject")]
    movers = {(event["party"], event["by"]) for event in moves}
    assert movers == {("United States", "rubio"), ("Ukraine", "zelensky"), ("Russia", "bot:conceder"),
                      ("European allies", "bot:conceder")}
    [settled] = [event for event in events if event["type"] == "agreement"]
    assert settled["outcome"] == agreement
    offer = next(event for event in events if event["id"] == settled["offer"])
    accepted_by = {event["party"] for event in events if event["type"] == "accept" and event["offer"] == offer["id"]}
    assert accepted_by | {offer["party"]} == set(view["parties"])  # stacked: every other party accepted

    scenario = load_scenario(moscow_with_a_zone)
    digits = np.asarray([scenario.space.parse(agreement)])
    assert not red_line_breaches(scenario, digits).any()
    assert utilities(scenario, digits).shape == (1, 4)
    for client, party in ((rubio, "United States"), (zelensky, "Ukraine")):
        assert set(client.room(room)["agreement"]["scores"]) == {party}

    # the treaty: root keys, ministers in office, a draft, signatures, ratifications
    parties = {"United States": rubio, "Russia": lavrov, "Ukraine": zelensky, "European allies": kallas}
    offices = {"United States": ("Marco Rubio", "foreign_minister"), "Russia": ("Sergey Lavrov", "foreign_minister"),
               "Ukraine": ("Volodymyr Zelensky", "head_of_state"), "European allies": ("Kaja Kallas", "foreign_minister")}
    roots = {party: generate_key() for party in parties}
    ministers = {party: generate_key() for party in parties}
    for party, client in parties.items():
        client.sign(room, roots[party], "party")
        holder, role = offices[party]
        client.sign(room, roots[party], "office", holder=holder, role=role, key=public_hex(ministers[party]))
    rubio.sign(room, ministers["United States"], "draft", title="Moscow settlement", requires_ratification=True)
    status = convener.status(room)
    assert status["status"] == "informal deal" and status["requires_ratification"] is True

    # the envoy, holding no office and no mandate, signs: that binds no one
    envoy = generate_key()
    witkoff.sign(room, envoy, "signature")
    status = convener.status(room)
    assert status["status"] == "informal deal"
    united_states = next(standing for standing in status["parties"] if standing["party"] == "United States")
    assert united_states["signed"] is False
    assert any("Steve Witkoff" in reason and "no mandate" in reason for reason in united_states["reasons"])
    assert verify(capsys, tmp_path, witkoff, room, "envoy") == 3

    for party, client in parties.items():
        client.sign(room, ministers[party], "signature")
    status = convener.status(room)
    assert status["status"] == "signed"
    assert all(standing["signed"] and not standing["ratified"] for standing in status["parties"])
    assert verify(capsys, tmp_path, lavrov, room, "signed") == 4

    for party, client in parties.items():
        client.sign(room, roots[party], "ratification", instrument=f"instrument of ratification of {party}")
    status = convener.status(room)
    assert status["status"] == "in force"
    assert all(standing["signed"] and standing["ratified"] for standing in status["parties"])
    assert rubio.room(room)["status"]["status"] == "in force"
    assert verify(capsys, tmp_path, zelensky, room, "in-force") == 0

    # every event, the signed acts included, is an entry of the room's log
    events = convener.events(room)
    head = convener.tree_head(room)
    assert SignedTreeHead.from_dict(head).verify()
    assert head["size"] == len(events) == events[-1]["id"] + 1
    signed = [event for event in events if event.get("signed")]
    assert [event["type"] for event in signed].count("signature") == 5
    assert [event["type"] for event in signed].count("ratification") == 4
