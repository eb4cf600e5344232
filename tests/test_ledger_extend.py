"""Ledger.extend: several entries in one statement are the entries one append each would
have made, in order, numbered on from the log's size, whatever their number."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servanda.ledger import Ledger
from servanda.ledger.merkle import MerkleTree, leaf_hash
from servanda.store import open_database, writing

RECORDS = st.lists(st.tuples(st.sampled_from(["a", "room.offer", "x"]), st.binary(max_size=40)), max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=RECORDS, records=RECORDS)
def test_extend_is_appends_in_order(tmp_path_factory, before, records):
    engine = open_database(tmp_path_factory.mktemp("ledger") / "store.db")
    try:
        ledger = Ledger.create(engine, "log")
        for kind, data in before:
            ledger.append(kind, data)
        with writing(engine) as connection:
            bound = ledger.bound(connection)
            made = bound.extend(records)
            assert bound.tail == ((len(before) + len(records), made[-1].appended_at) if records else None)
        assert [entry.seq for entry in made] == list(range(len(before), len(before) + len(records)))
        stored = ledger.entries(0)
        assert [(entry.kind, entry.data) for entry in stored] == before + records
        assert len({entry.appended_at for entry in made}) <= 1
        expected = MerkleTree()
        for _, data in before + records:
            expected.append(leaf_hash(data))
        assert ledger.tree_head().root == expected.root().hex()
    finally:
        engine.dispose()
