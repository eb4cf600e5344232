"""The treaty bundle: exported from the Moscow example, verified offline, and rejected
after any change to its content."""

from __future__ import annotations

import copy
import json
import runpy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servanda.crypto import canonical_json, generate_key, parse_json, public_hex, sign
from servanda.ledger import Ledger
from servanda.model.parties import Role
from servanda.store import open_database
from servanda.treaty import TreatyRecord, Verdict, export_bundle, verify_bundle

from conftest import EXAMPLES

moscow = runpy.run_path(str(EXAMPLES / "moscow_treaty.py"))


@pytest.fixture(scope="module")
def bundle_bytes(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("moscow")
    moscow["main"](folder)
    return (folder / "moscow-treaty.json").read_bytes()


@pytest.fixture(scope="module")
def bundle(bundle_bytes) -> dict:
    return json.loads(bundle_bytes)


def test_the_exported_bundle_verifies_as_binding(bundle_bytes):
    result = verify_bundle(bundle_bytes)
    assert result.verdict is Verdict.BINDING, result.problems
    assert result.status.status.value == "in force"
    assert any("Sergey Lavrov (foreign minister), with full powers by office" in reason
               for standing in result.status.parties for reason in standing.reasons)


def test_the_bundle_carries_the_authority_evidence_and_the_history(bundle):
    kinds = [entry["record"]["entry"]["statement"]["type"] for entry in bundle["entries"]]
    assert kinds[0] == "opening"
    assert kinds.count("draft") == 2 and kinds.count("signature") == 5 and kinds.count("ratification") == 2
    assert {"party", "office", "mandate"} <= set(kinds)


def _verdict(data: dict, **kwargs) -> Verdict:
    return verify_bundle(json.dumps(data), **kwargs).verdict


def _root_key(bundle: dict, party: str) -> str:
    return next(e["record"]["entry"]["statement"]["key"] for e in bundle["entries"]
                if e["record"]["entry"]["statement"]["type"] == "party"
                and e["record"]["entry"]["statement"]["party"] == party)


def test_pinned_keys_must_match(bundle):
    pins = {party: _root_key(bundle, party) for party in ("Russia", "United States")}
    assert _verdict(bundle, trusted={**pins, "log": bundle["tree_head"]["log_key"]}) is Verdict.BINDING
    result = verify_bundle(json.dumps(bundle), trusted={**pins, "Russia": public_hex(generate_key())})
    assert result.verdict is Verdict.INVALID
    assert "not the trusted" in result.problems[0]
    assert _verdict(bundle, trusted={**pins, "Ukraine": pins["Russia"]}) is Verdict.INVALID
    # Pinning one party is not enough: every party the text names needs a trusted key.
    partial = verify_bundle(json.dumps(bundle), trusted={"Russia": pins["Russia"]})
    assert partial.verdict is Verdict.INVALID
    assert "United States: the text names this party, but no trusted key was given for it" in partial.problems


def _leaves(data: dict):
    """Every (container, key) holding a scalar inside the bundle."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, dict | list):
                yield from _leaves(value)
            else:
                yield data, key
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, dict | list):
                yield from _leaves(value)
            else:
                yield data, index


def _altered(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        if value and value[-1] in "0123456789abcdef":  # keep hex looking like hex
            return value[:-1] + ("0" if value[-1] != "0" else "1")
        return value + "x"
    return "x"


def test_altering_any_field_makes_the_bundle_invalid(bundle):
    count = sum(1 for _ in _leaves(bundle))
    for position in range(count):
        tampered = copy.deepcopy(bundle)
        container, key = list(_leaves(tampered))[position]
        container[key] = _altered(container[key])
        assert _verdict(tampered) is Verdict.INVALID, f"field {key!r} (leaf {position}) altered unnoticed"


def _without(bundle: dict, kind: str, containing: str = "") -> dict:
    """The bundle without the first entry of ``kind`` whose JSON contains ``containing``."""
    tampered = copy.deepcopy(bundle)
    for index, entry in enumerate(tampered["entries"]):
        if entry["record"]["entry"]["statement"]["type"] == kind and containing in json.dumps(entry):
            del tampered["entries"][index]
            return tampered
    raise AssertionError(f"no {kind} entry containing {containing!r}")


@pytest.mark.parametrize("kind, containing, expected", [
    ("opening", "", Verdict.INVALID),  # nothing can be checked without the negotiation's id
    ("draft", "", Verdict.INVALID),  # the chain of versions breaks
    ("party", "Russia", Verdict.INFORMAL),
    ("office", "Sergey Lavrov", Verdict.INFORMAL),
    ("signature", "Marco Rubio", Verdict.INFORMAL),
    ("ratification", "Russia", Verdict.AWAITING_RATIFICATION),
    # An entry that grants nothing can be left out without changing the verdict; a bundle
    # proves what it holds is in the log, not that the log holds nothing else.
    ("office", "Steve Witkoff", Verdict.BINDING),
])
def test_dropped_evidence_counts_for_nothing(bundle, kind, containing, expected):
    assert _verdict(_without(bundle, kind, containing)) is expected


def test_reordered_entries_are_invalid(bundle):
    swapped = copy.deepcopy(bundle)
    swapped["entries"][1], swapped["entries"][2] = swapped["entries"][2], swapped["entries"][1]
    assert _verdict(swapped) is Verdict.INVALID


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.data())
def test_any_flipped_byte_is_rejected(bundle_bytes, data):
    position = data.draw(st.integers(0, len(bundle_bytes) - 1))
    bit = data.draw(st.integers(0, 7))
    flipped = bytearray(bundle_bytes)
    flipped[position] ^= 1 << bit
    try:
        same_meaning = parse_json(bytes(flipped)) == parse_json(bundle_bytes)
    except (ValueError, UnicodeDecodeError):
        same_meaning = False
    # Whitespace turned into other whitespace (a newline into a carriage return) leaves the
    # same JSON document; every other flip changes what the bundle says and must be caught.
    if not same_meaning:
        assert verify_bundle(bytes(flipped)).verdict is Verdict.INVALID


def test_a_tree_head_from_another_log_key_is_refused(bundle):
    """The opening names the log key: a tree head re-signed under any other key is refused,
    even though every entry and proof is genuine."""
    from servanda.ledger import sign_tree_head

    head = bundle["tree_head"]
    forged = copy.deepcopy(bundle)
    forged["tree_head"] = sign_tree_head(generate_key(), head["size"], bytes.fromhex(head["root"]), head["timestamp"]).to_dict()
    result = verify_bundle(json.dumps(forged))
    assert result.verdict is Verdict.INVALID
    assert any("the negotiation was opened with log key" in p for p in result.problems)


def test_signatures_are_over_rfc8785_bytes(bundle):
    """A signature verifies against the canonical bytes, so any JCS implementation agrees."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    envelope = bundle["entries"][0]["record"]["entry"]
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(envelope["signer"]))
    key.verify(bytes.fromhex(envelope["signature"]), canonical_json(envelope["statement"]))


def test_malformed_bundles_are_invalid_with_a_reason(tmp_path):
    for text, expected in [
        (b"", "invalid JSON"),
        (b"[]", "not a treaty bundle"),
        (b'{"format": "servanda-treaty-bundle", "version": 2}', "version"),
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b"\xff\xfe", "not a treaty bundle"),
    ]:
        result = verify_bundle(text)
        assert result.verdict is Verdict.INVALID
        assert expected in result.problems[0], result.problems


def test_an_informal_deal_verifies_as_informal(tmp_path):
    ledger = Ledger.create(open_database(tmp_path / "l.db"), "treaty")
    record = TreatyRecord.open_new(ledger, "Deal", generate_key())
    us, envoy = generate_key(), generate_key()
    record.register_party("United States", us)
    record.register_office("United States", "Envoy", Role.ENVOY, public_hex(envoy), us)
    from servanda.formats.drafts import load_draft_document

    record.add_draft(load_draft_document(EXAMPLES / "texts" / "moscow-ceasefire-v1.yaml"), envoy, "United States", "Envoy")
    record.sign(envoy, "United States", "Envoy")
    result = verify_bundle(json.dumps(export_bundle(record)))
    assert result.verdict is Verdict.INFORMAL
    assert "Russia: has not registered a root key" in result.status.explanation()


def test_a_forged_entry_signature_is_reported(bundle):
    forged = copy.deepcopy(bundle)
    entry = forged["entries"][-1]["record"]["entry"]
    entry["signature"] = sign(generate_key(), entry["statement"])
    result = verify_bundle(json.dumps(forged))
    assert result.verdict is Verdict.INVALID
    assert any("inclusion proof" in p for p in result.problems)
    assert any("signature does not verify" in p for p in result.problems)


def test_moscow_script_reaches_each_status(tmp_path):
    statuses = moscow["main"](tmp_path)
    assert statuses == {"deal": "informal deal", "signed": "signed", "ratified": "in force", "bundle": "binding"}
    assert Path(tmp_path / "moscow.ledger").is_file()
