"""The treaty commands end to end, as the README walks through them, and their errors."""

from __future__ import annotations

import json
import os
import stat

import pytest

from conftest import EXAMPLES, run_cli

AT = "2025-12-02T17:00Z"



def ok(capsys, *args: str) -> str:
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err or out
    return out


@pytest.fixture()
def talks(tmp_path, capsys, monkeypatch):
    """The README's walk-through up to the envoys' signatures: keys, ledger, parties, offices,
    two versions of the text."""
    monkeypatch.chdir(tmp_path)
    people = ["convener", "us", "russia", "witkoff", "kushner", "ushakov", "dmitriev", "rubio", "lavrov"]
    for name in people:
        ok(capsys, "keys", "new", name)
    ok(capsys, "log", "init", "moscow.ledger", "--title", "Moscow talks", "--key", "convener.key", "--at", AT)
    ok(capsys, "register", "party", "moscow.ledger", "--party", "United States", "--key", "us.key", "--at", AT)
    ok(capsys, "register", "party", "moscow.ledger", "--party", "Russia", "--key", "russia.key", "--at", AT)
    for party, root, holder, key, role in [
        ("United States", "us.key", "Steve Witkoff", "witkoff", "envoy"),
        ("United States", "us.key", "Jared Kushner", "kushner", "envoy"),
        ("Russia", "russia.key", "Yuri Ushakov", "ushakov", "aide"),
        ("Russia", "russia.key", "Kirill Dmitriev", "dmitriev", "envoy"),
    ]:
        ok(capsys, "register", "office", "moscow.ledger", "--party", party, "--root", root, "--holder", holder,
           "--holder-key", f"{key}.pub.jwk", "--role", role, "--at", AT)
    ok(capsys, "draft", "new", "moscow.ledger", EXAMPLES / "texts" / "moscow-ceasefire-v1.yaml", "--key", "witkoff.key",
       "--party", "United States", "--as", "Steve Witkoff", "--at", AT)
    ok(capsys, "draft", "edit", "moscow.ledger", EXAMPLES / "texts" / "moscow-ceasefire-v2.yaml", "--key", "dmitriev.key",
       "--party", "Russia", "--as", "Kirill Dmitriev", "--at", AT)
    return tmp_path


def test_keys_are_written_privately_and_never_overwritten(talks, capsys):
    assert stat.S_IMODE(os.stat(talks / "us.key").st_mode) == 0o600
    assert json.loads((talks / "us.pub.jwk").read_text())["crv"] == "Ed25519"
    code, _, err = run_cli(capsys, "keys", "new", "us")
    assert code == 1 and "exists already" in err
    assert ":" in ok(capsys, "keys", "show", "us.pub.jwk")


def test_from_envoys_deal_to_treaty_in_force(talks, capsys):
    diff = ok(capsys, "draft", "diff", "moscow.ledger")
    assert "ceasefire" in diff and "Kirill Dmitriev (Russia)" in diff and "600,000" in diff
    shown = ok(capsys, "draft", "show", "moscow.ledger", "--scenario", EXAMPLES / "moscow-2025.yaml")
    assert "600000" in shown and "still open: territorial_status, donbass" in shown
    for party, key, name in [("United States", "witkoff", "Steve Witkoff"), ("United States", "kushner", "Jared Kushner"),
                             ("Russia", "ushakov", "Yuri Ushakov")]:
        out = ok(capsys, "sign", "moscow.ledger", "--key", f"{key}.key", "--party", party, "--as", name, "--at", AT)
        assert "holds no mandate to sign" in out
    status = json.loads(ok(capsys, "status", "moscow.ledger", "--json"))
    assert status["status"] == "informal deal"
    us = next(p for p in status["parties"] if p["party"] == "United States")
    assert "signed by Steve Witkoff (envoy), who holds no mandate to sign" in us["reasons"]

    ok(capsys, "bundle", "moscow.ledger", "-o", "deal.json", "--key", "convener.key")
    assert run_cli(capsys, "verify", "deal.json")[0] == 3

    later = "2025-12-16T10:00Z"
    for party, root, name, key in [("United States", "us.key", "Marco Rubio", "rubio"),
                                   ("Russia", "russia.key", "Sergey Lavrov", "lavrov")]:
        ok(capsys, "register", "office", "moscow.ledger", "--party", party, "--root", root, "--holder", name,
           "--holder-key", f"{key}.pub.jwk", "--role", "foreign_minister", "--at", later)
        out = ok(capsys, "sign", "moscow.ledger", "--key", f"{key}.key", "--party", party, "--as", name, "--at", later)
        assert "with full powers by office" in out
    assert "SIGNED" in ok(capsys, "status", "moscow.ledger")
    ok(capsys, "bundle", "moscow.ledger", "-o", "signed.json", "--key", "convener.key")
    assert run_cli(capsys, "verify", "signed.json")[0] == 4

    for party, root in [("United States", "us.key"), ("Russia", "russia.key")]:
        ok(capsys, "ratify", "moscow.ledger", "--key", root, "--party", party, "--at", "2026-02-01T00:00Z")
    assert json.loads(ok(capsys, "status", "moscow.ledger", "--json"))["status"] == "in force"
    ok(capsys, "bundle", "moscow.ledger", "-o", "treaty.json", "--key", "convener.key")
    code, out, _ = run_cli(capsys, "verify", "treaty.json", "--trust", "Russia=russia.pub.jwk",
                       "--trust", "United States=us.pub.jwk")
    assert code == 0 and "VALID AND BINDING" in out
    assert run_cli(capsys, "verify", "treaty.json", "--trust", "Russia=us.pub.jwk")[0] == 5

    tampered = (talks / "treaty.json").read_text().replace("600,000", "900,000")
    (talks / "tampered.json").write_text(tampered)
    code, out, _ = run_cli(capsys, "verify", "tampered.json")
    assert code == 5 and "INVALID" in out and "inclusion proof" in out
    verdict = json.loads(run_cli(capsys, "verify", "tampered.json", "--json")[1])
    assert verdict["verdict"] == "invalid" and verdict["exit_code"] == 5

    code, _, err = run_cli(capsys, "bundle", "moscow.ledger", "-o", "treaty.json")
    assert code == 1 and "exists already" in err


def test_mandates_issue_delegate_revoke(talks, capsys):
    out = ok(capsys, "mandate", "issue", "moscow.ledger", "--party", "United States", "--root", "us.key",
             "--holder", "Steve Witkoff", "--holder-key", "witkoff.pub.jwk", "--powers", "negotiate,sign",
             "--from", "2025-12-01", "--until", "2025-12-31", "--delegable", "--at", AT)
    mandate = out.split("(id ")[1].rstrip(")\n")
    out = ok(capsys, "mandate", "delegate", "moscow.ledger", "--party", "United States", "--parent", mandate,
             "--key", "witkoff.key", "--holder", "Jared Kushner", "--holder-key", "kushner.pub.jwk",
             "--powers", "sign", "--from", "2025-12-01", "--until", "2025-12-20", "--at", AT)
    delegated = out.split("(id ")[1].rstrip(")\n")
    # Wider than the parent: refused, with the reason.
    code, _, err = run_cli(capsys, "mandate", "delegate", "moscow.ledger", "--party", "United States", "--parent", mandate,
                       "--key", "witkoff.key", "--holder", "Jared Kushner", "--holder-key", "kushner.pub.jwk",
                       "--powers", "sign,ratify", "--from", "2025-12-01", "--until", "2025-12-20", "--at", AT)
    assert code == 1 and "claims powers its parent lacks: ratify" in err
    code, _, err = run_cli(capsys, "mandate", "delegate", "moscow.ledger", "--party", "United States", "--parent", delegated,
                       "--key", "kushner.key", "--holder", "Steve Witkoff", "--holder-key", "witkoff.pub.jwk",
                       "--powers", "sign", "--from", "2025-12-01", "--until", "2025-12-20", "--at", AT)
    assert code == 1 and "may not be delegated" in err
    out = ok(capsys, "sign", "moscow.ledger", "--key", "kushner.key", "--party", "United States",
             "--as", "Jared Kushner", "--mandate", delegated, "--at", AT)
    assert f"under mandate {delegated}" in out
    # A stranger may not revoke; the party's root key may.
    code, _, err = run_cli(capsys, "mandate", "revoke", "moscow.ledger", mandate, "--key", "russia.key")
    assert code == 1 and "only United States's root key or the issuer" in err
    ok(capsys, "mandate", "revoke", "moscow.ledger", mandate, "--key", "us.key", "--reason", "recalled",
       "--at", "2025-12-03T00:00Z")
    out = ok(capsys, "sign", "moscow.ledger", "--key", "kushner.key", "--party", "United States",
             "--as", "Jared Kushner", "--mandate", delegated, "--at", "2025-12-04T00:00Z")
    assert "was revoked on 2025-12-03" in out and "recalled" in out
    listing = ok(capsys, "mandate", "list", "moscow.ledger")
    assert "revokes" in listing and "Jared Kushner may sign" in listing


def test_a_complete_text_is_scored(talks, capsys):
    text = (EXAMPLES / "texts" / "moscow-ceasefire-v2.yaml").read_text() + "".join(
        f"  - id: {issue}\n    text: On {issue}.\n    issue: {issue}\n    option: {option}\n"
        for issue, option in [("territorial_status", "de_facto"), ("donbass", "status_quo"),
                              ("security_guarantees", "european_coordinated"), ("nato_expansion", "moratorium"),
                              ("missile_deployments", "limited")]
    )
    (talks / "v3.yaml").write_text(text)
    ok(capsys, "draft", "edit", "moscow.ledger", "v3.yaml", "--key", "witkoff.key", "--party", "United States",
       "--as", "Steve Witkoff", "--at", AT)
    shown = ok(capsys, "draft", "show", "moscow.ledger", "--scenario", EXAMPLES / "moscow-2025.yaml")
    assert "Ukraine" in shown and "red line" in shown.lower()
    added = json.loads(ok(capsys, "draft", "diff", "moscow.ledger", "--json"))
    assert [c["change"] for c in added] == ["added"] * 5
    assert all(c["by"] == {"party": "United States", "representative": "Steve Witkoff"} for c in added)


def test_offers_and_suggestions_are_recorded_apart(talks, capsys):
    offer = "form_of_agreement=ceasefire,territorial_status=de_facto,donbass=status_quo,army_cap=800000," \
            "security_guarantees=none,sanctions_relief=full,nato_expansion=moratorium," \
            "missile_deployments=limited,russia_nato_dialogue=vague_us_mediated"
    ok(capsys, "propose", "moscow.ledger", offer, "--key", "witkoff.key", "--party", "United States",
       "--as", "Steve Witkoff", "--scenario", EXAMPLES / "moscow-2025.yaml", "--at", AT)
    ok(capsys, "propose", "moscow.ledger", "army_cap=600000", "--suggestion", "--key", "dmitriev.key",
       "--party", "Russia", "--as", "Kirill Dmitriev", "--at", AT)
    rows = json.loads(ok(capsys, "log", "show", "moscow.ledger", "--json"))
    assert rows[-2]["summary"].startswith("offer by United States: "), rows[-2]
    assert "form_of_agreement=ceasefire" in rows[-2]["summary"]
    assert rows[-1]["summary"] == "non-binding suggestion by Russia: army_cap=600000"
    code, _, err = run_cli(capsys, "propose", "moscow.ledger", "army_cap=1", "--key", "witkoff.key", "--party",
                       "United States", "--as", "Steve Witkoff", "--scenario", EXAMPLES / "moscow-2025.yaml")
    assert code == 1 and "army_cap" in err


def test_the_log_key_stays_with_the_convener(talks, capsys):
    from cryptography.hazmat.primitives import serialization

    from servanda.crypto import load_private_key

    pem = load_private_key(talks / "convener.key").private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    stored = b"".join(p.read_bytes() for p in talks.iterdir() if p.name.startswith("moscow.ledger"))
    assert pem not in stored and b"PRIVATE KEY" not in stored
    code, _, err = run_cli(capsys, "bundle", "moscow.ledger", "-o", "b.json")
    assert code == 1 and "signed by its operator's key" in err
    code, _, err = run_cli(capsys, "bundle", "moscow.ledger", "-o", "b.json", "--key", "us.key")
    assert code == 1 and "not the key of this log" in err


def test_log_show_and_proofs(talks, capsys):
    rows = json.loads(ok(capsys, "log", "show", "moscow.ledger", "--json"))
    assert [row["seq"] for row in rows] == list(range(len(rows)))
    assert rows[0]["type"] == "opening" and rows[-1]["type"] == "draft"
    inclusion = json.loads(ok(capsys, "log", "proof", "moscow.ledger", "--entry", "3", "--key", "convener.key"))
    assert inclusion["tree_head"]["size"] == len(rows) and inclusion["proof"]
    consistency = json.loads(ok(capsys, "log", "proof", "moscow.ledger", "--from", "3", "--key", "convener.key"))
    assert consistency["old_tree_head"]["size"] == 3 and consistency["proof"]
    code, _, err = run_cli(capsys, "log", "proof", "moscow.ledger", "--entry", "99", "--key", "convener.key")
    assert code == 1 and "no entry 99" in err


@pytest.mark.parametrize("args, expected", [
    (["status", "missing.ledger"], "no such ledger"),
    (["sign", "moscow.ledger", "--key", "nokey.key", "--party", "Russia", "--as", "X"], "no such key file"),
    (["sign", "moscow.ledger", "--key", "us.pub.jwk", "--party", "Russia", "--as", "X"], "this JWK is a public key"),
    (["sign", "moscow.ledger", "--key", "witkoff.key", "--party", "Ukraine", "--as", "X"], "Ukraine is not a party"),
    (["sign", "moscow.ledger", "--key", "witkoff.key", "--party", "Russia", "--as", "X", "--version", "7"],
     "no draft version 7"),
    (["register", "party", "moscow.ledger", "--party", "Russia", "--key", "us.key"], "already registered"),
    (["register", "office", "moscow.ledger", "--party", "Russia", "--root", "us.key", "--holder", "X",
      "--holder-key", "us.pub.jwk", "--role", "envoy"], "not Russia's root key"),
    (["draft", "new", "moscow.ledger", str(EXAMPLES / "texts" / "moscow-ceasefire-v1.yaml"), "--key", "us.key",
      "--party", "Russia", "--as", "X"], "has a draft already"),
    (["draft", "edit", "moscow.ledger", str(EXAMPLES / "moscow-2025.yaml"), "--key", "us.key",
      "--party", "Russia", "--as", "X"], "moscow-2025.yaml, line"),
    (["mandate", "revoke", "moscow.ledger", "abc", "--key", "us.key"], "too short"),
    (["log", "init", "moscow.ledger", "--title", "again", "--key", "us.key"], "exists already"),
    (["draft", "show", "moscow.ledger", "--scenario", str(EXAMPLES / "job-offer.yaml")], "does not have"),
])
def test_bad_input_is_one_line_and_exit_1(talks, capsys, args, expected):
    before = _entries(talks / "moscow.ledger")
    code, out, err = run_cli(capsys, *args)
    assert code == 1, out
    assert expected in err and len(err.strip().splitlines()) == 1, err
    assert _entries(talks / "moscow.ledger") == before  # nothing stored was changed


def _entries(path) -> list[tuple[int, bytes]]:
    from servanda.ledger import Ledger
    from servanda.store import open_database

    ledger = Ledger.open(open_database(path), "treaty")
    ledger.check()
    return [(entry.seq, entry.data) for entry in ledger.entries()]


def test_verify_usage_errors(talks, capsys):
    code, _, err = run_cli(capsys, "verify", "nothing.json")
    assert code == 1 and "nothing.json" in err
    (talks / "junk.json").write_text("{not json")
    code, out, _ = run_cli(capsys, "verify", "junk.json")
    assert code == 5 and "invalid JSON" in out
    assert run_cli(capsys, "verify", "junk.json", "--trust", "Russia")[0] == 2
