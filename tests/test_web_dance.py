"""The negotiation dance's data (``servanda.server.pages.rooms.dance``): the viewer's own
utility of every offer, one trace per party that made offers, in the record's order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from servanda.server.pages.rooms import dance

PARTIES = ["Alpha", "Beta", "Gamma"]

score = st.builds(lambda u, r: {"utility": u, "reservation": r, "gain": u - r, "breaks": []},
                  st.floats(0, 1), st.just(0.35))
event = st.one_of(
    st.builds(lambda p, s: {"type": "offer", "party": p, "scores": s}, st.sampled_from(PARTIES),
              st.fixed_dictionaries({"Alpha": score})),
    st.builds(lambda p: {"type": "comment", "party": p}, st.sampled_from(PARTIES)),
    st.builds(lambda p: {"type": "accept", "party": p}, st.sampled_from(PARTIES)),
)


@given(st.lists(event, max_size=30))
def test_each_party_s_offers_scored_from_the_viewer_s_side_in_order(events):
    for number, item in enumerate(events):
        item["id"] = number
    view = {"me": {"party": "Alpha"}}
    data = dance(events, view)
    offers = [item for item in events if item["type"] == "offer"]
    assert set(data["traces"]) == {item["party"] for item in offers}
    for party, trace in data["traces"].items():
        mine = [item for item in offers if item["party"] == party]
        assert trace["x"] == [item["id"] for item in mine]
        assert trace["y"] == [item["scores"]["Alpha"]["utility"] for item in mine]
    assert data["reservation"] == (0.35 if offers else None)


def test_a_viewer_who_reads_no_party_gets_no_trace():
    events = [{"id": 0, "type": "offer", "party": "Beta", "scores": {}}]
    assert dance(events, {"me": {"party": None}}) == {"party": None, "traces": {}, "reservation": None}
