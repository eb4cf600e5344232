"""The server answers on both databases: accounts, a room, an offer, the record."""

from servanda.client import ApiError


def test_a_room_records_an_offer_as_event_with_gapless_ids(server):
    convener, alice = server.person("convener"), server.person("alice")
    room = convener.create_room("examples/job-offer.yaml", rounds=10)
    alice.join(convener.invite(room, "party", "Employer", "Hiring manager"))
    view = alice.room(room)
    assert view["to_act"] == "Employer"
    package = {"salary": 100000, "start_in_weeks": 4, "vacation_days": 20, "signing_bonus": 0,
               "remote_work": "remote_2_days", "job_title": "engineer"}
    [offer] = alice.propose(room, package)
    events = alice.events(room)
    assert [event["id"] for event in events] == list(range(len(events)))
    assert events[-1]["id"] == offer and events[-1]["type"] == "offer"
    assert set(events[-1]["scores"]) == {"Employer"}
    try:
        convener.propose(room, package)
    except ApiError as exc:
        assert exc.status == 403
    else:
        raise AssertionError("an observer made an offer")
