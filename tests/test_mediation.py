"""Single-negotiating-text mediation: the mediator's rules replayed from the trace, deadlines,
agreements acceptable to all and voted by all, walk-aways, red lines, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, random_scenario
from servanda.formats import load_yaml
from servanda.model import Party, RedLine, Scenario
from servanda.negotiation.protocols.base import pressure_schedule
from servanda.negotiation.protocols.mediation import (
    MEDIATOR,
    SingleText,
    initial_text,
    revisions,
    texts_in_force,
)
from servanda.negotiation.strategies.hardliner import Hardliner
from servanda.negotiation.strategies.time_dependent import Boulware, Conceder, Linear
from servanda.negotiation.strategy import Context, Strategy
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Ending, Event, Trace

FAMILIES = [Boulware, Linear, Conceder, Hardliner]


def replay(trace: Trace, table: OutcomeTable, protocol: SingleText) -> list[int]:
    """Check every round of ``trace`` against the mediator's rules, recomputing what the
    mediator must have done from what the parties said; returns the texts in force."""
    space, n = table.scenario.space, table.parties
    rounds: dict[int, list[Event]] = {}
    for event in trace.events:
        rounds.setdefault(event.round, []).append(event)
    assert sorted(rounds) == list(range(trace.rounds))
    texts: list[int] = []
    for r in range(trace.rounds):
        events = rounds[r]
        # every party states its proposal first, in party order (or walks away)
        said = events[:n]
        for party, event in enumerate(said):
            assert event.party == party and event.action in (Action.OFFER, Action.END)
            if event.action is Action.END:
                assert event is trace.events[-1] and trace.ending is Ending.WALK_AWAY
                assert trace.explanation == f"{trace.parties[party]} walked away"
                return texts
        proposals = [e.outcome for e in said]
        rest = events[n:]
        if r == 0:
            assert rest[0].party == MEDIATOR and rest[0].action is Action.OFFER
            assert rest[0].outcome == initial_text(space, proposals)
            texts.append(rest[0].outcome)
            rest = rest[1:]
        # the rest of the round: blocks of a mediator text and the parties' answers
        blocks: list[tuple[int, list[Event]]] = []
        for event in rest:
            if event.party == MEDIATOR:
                assert event.action is Action.OFFER
                blocks.append((event.outcome, []))
            else:
                assert event.action in (Action.ACCEPT, Action.REJECT, Action.END)
                assert event.outcome == blocks[-1][0]  # an answer to the text on the table
                blocks[-1][1].append(event)
        expected = revisions(space, texts[-1], proposals, first=r % n, exclude=set(texts),
                             limit=protocol.candidates)
        adopted, vote = False, None
        for k, (offer, answers) in enumerate(blocks):
            actions = [a.action for a in answers]
            assert [a.party for a in answers] == list(range(len(answers)))  # asked in turn
            if offer == texts[-1]:  # the text in force again: the final vote, of every party
                assert k == len(blocks) - 1 and r == trace.rounds - 1
                assert len(answers) == n or actions[-1] is Action.END
                vote = actions
                break
            assert not adopted and offer == expected[k]  # candidates in the mediator's order
            if actions == [Action.ACCEPT] * n:
                adopted = True
                texts.append(offer)
            elif actions[-1] is Action.END:
                assert trace.ending is Ending.WALK_AWAY and k == len(blocks) - 1
                return texts
            else:  # dropped at the first party that did not accept
                assert actions[:-1] == [Action.ACCEPT] * (len(actions) - 1)
                assert actions[-1] is Action.REJECT
        if not adopted:
            assert len(blocks) - (vote is not None) == len(expected)  # every candidate tried
        # at most n answers to each candidate, and n in the vote: a bounded round
        assert len(rest) - len(blocks) <= n * (n * len(space.issues) + n) + n
        if vote is None:
            assert r < trace.rounds - 1
        elif Action.END in vote:
            assert trace.ending is Ending.WALK_AWAY
        else:
            assert trace.agreed == (vote == [Action.ACCEPT] * n)
    return texts


def red_lines_hold(trace: Trace, table: OutcomeTable) -> None:
    for event in trace.events:
        if event.action is Action.ACCEPT:
            assert not table.breaks[event.outcome, event.party]
        if event.action is Action.OFFER and event.party != MEDIATOR:  # own proposals
            assert not table.breaks[event.outcome, event.party]


sessions = st.builds(
    lambda seed, parties, sizes, red_lines, reservation, picks, rounds, patience, limit: (
        random_scenario(seed, parties, sizes, red_lines, reservation),
        [FAMILIES[i % len(FAMILIES)]() for i in picks[:parties]],
        SingleText(rounds=rounds, patience=patience, candidates=limit),
    ),
    seed=st.integers(0, 10**6),
    parties=st.integers(2, 4),
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4).map(tuple),
    red_lines=st.booleans(),
    reservation=st.sampled_from([0.0, 0.3, 0.6]),
    picks=st.lists(st.integers(0, 3), min_size=4, max_size=4),
    rounds=st.integers(1, 40),
    patience=st.sampled_from([0, 0, 2, None]),
    limit=st.sampled_from([None, None, 1, 3]),
)


@settings(max_examples=150, deadline=None)
@given(sessions)
def test_mediation_rules_hold_in_every_session(session):
    scenario, strategies, protocol = session
    table = OutcomeTable.of(scenario)
    trace = protocol.run(table, strategies, seed=1)
    n = len(scenario.parties)
    texts = replay(trace, table, protocol)
    assert texts == texts_in_force(trace)
    red_lines_hold(trace, table)
    # a deadline always ends the session
    assert trace.rounds <= protocol.rounds and all(e.round < protocol.rounds for e in trace.events)
    if protocol.patience == 0:
        assert len(texts) <= 2  # the first text every party accepts goes to the vote
    if trace.agreed:
        offer = trace.agreement
        # the final vote: the text in force, accepted by every party
        vote = max(k for k, e in enumerate(trace.events) if e.party == MEDIATOR)
        assert trace.events[vote].outcome == offer == texts[-1]
        assert [(e.party, e.action) for e in trace.events[vote + 1 :]] == [
            (p, Action.ACCEPT) for p in range(n)
        ]
        for party in range(n):  # acceptable to everyone (all use the default acceptance)
            assert not table.breaks[offer, party]
            assert table.utilities[offer, party] >= scenario.parties[party].reservation
        np.testing.assert_array_equal(trace.utilities, table.utilities[offer])
        assert trace.explanation.endswith("every party accepted the final text")
    else:
        assert trace.ending in (Ending.DEADLINE, Ending.WALK_AWAY)
        assert trace.utilities == tuple(p.reservation for p in scenario.parties)
        if trace.ending is Ending.DEADLINE:  # the explanation names who rejected the text
            vote = max(k for k, e in enumerate(trace.events) if e.party == MEDIATOR)
            rejecters = [trace.parties[e.party] for e in trace.events[vote + 1 :]
                         if e.action is Action.REJECT]
            assert rejecters and trace.explanation.endswith(
                f"the final text was rejected by {', '.join(rejecters)}"
            )


def test_same_seed_same_trace():
    table = OutcomeTable.of(random_scenario(4, 3, (4, 4, 3), red_lines=True))
    protocol = SingleText(rounds=40, patience=None)
    a = protocol.run(table, [Boulware(), Conceder(), Linear()], seed=7)
    b = protocol.run(table, [Boulware(), Conceder(), Linear()], seed=7)
    assert a == b


def test_red_lines_exclude_agreement_in_the_moscow_example():
    scenario = load_yaml(EXAMPLES / "moscow-2025.yaml")
    table = OutcomeTable.of(scenario)
    protocol = SingleText(rounds=100)
    trace = protocol.run(table, [Boulware(), Conceder(), Conceder(), Conceder()])
    assert trace.ending is Ending.DEADLINE and trace.agreement is None
    assert trace.rounds == 100
    # no agreement: every party gets its reservation value as outside pressure left it
    schedule = pressure_schedule(table)
    on_table = [e.outcome for e in trace.events if e.action is Action.OFFER][-1]
    assert trace.utilities == tuple(schedule(p, 99, on_table) for p in range(4))
    assert trace.explanation.startswith("the deadline came; the final text was rejected by ")
    replay(trace, table, protocol)
    red_lines_hold(trace, table)


def test_two_linear_parties_agree_on_a_job_offer():
    scenario = load_yaml(EXAMPLES / "job-offer.yaml")
    table = OutcomeTable.of(scenario)
    protocol = SingleText(rounds=100)
    trace = protocol.run(table, [Linear(), Linear()])
    assert trace.agreed, trace.explanation
    assert not table.breaks[trace.agreement].any()
    assert (table.utilities[trace.agreement] >= scenario.reservations).all()
    replay(trace, table, protocol)


def test_with_patience_the_mediator_revises_an_accepted_text_further():
    scenario = load_yaml(EXAMPLES / "job-offer.yaml")
    table = OutcomeTable.of(scenario)
    protocol = SingleText(rounds=100, patience=None)
    trace = protocol.run(table, [Linear(), Linear()])
    texts = replay(trace, table, protocol)  # every adopted revision accepted by every party
    assert len(texts) > 2 and len(set(texts)) == len(texts)  # never back to an earlier text
    assert trace.agreed and trace.agreement == texts[-1] and trace.rounds == 100


def test_the_initial_text_takes_each_issue_s_most_proposed_option():
    space = random_scenario(0, 2, (3, 4, 2)).space
    proposals = [space.index_of(d) for d in [(2, 1, 0), (2, 3, 1), (0, 3, 1)]]
    assert space.outcome_at(initial_text(space, proposals)) == (2, 3, 1)
    tied = [space.index_of(d) for d in [(2, 3, 1), (1, 0, 0)]]
    assert space.outcome_at(initial_text(space, tied)) == (1, 0, 0)  # ties: lowest option


def test_revisions_are_single_changes_by_support_then_whole_proposals():
    space = random_scenario(0, 3, (3, 4, 2)).space
    text = space.index_of((0, 0, 0))
    asks = [(1, 0, 1), (2, 0, 1), (0, 0, 0)]  # party 2 asks for no change
    proposals = [space.index_of(d) for d in asks]
    got = [space.outcome_at(c) for c in revisions(space, text, proposals)]
    # (issue 2 -> 1) is asked by two parties; then party 0's, party 1's asks; then proposals
    assert got == [(0, 0, 1), (1, 0, 0), (2, 0, 0), (1, 0, 1), (2, 0, 1)]
    # round 1 hears party 1 first; the whole proposals follow in the same order
    got = [space.outcome_at(c) for c in revisions(space, text, proposals, first=1)]
    assert got == [(0, 0, 1), (2, 0, 0), (1, 0, 0), (2, 0, 1), (1, 0, 1)]
    # texts already in force are never proposed again; the limit keeps the first ones
    excluded = {space.index_of((0, 0, 1))}
    got = [space.outcome_at(c) for c in revisions(space, text, proposals, exclude=excluded,
                                                  limit=2)]
    assert got == [(1, 0, 0), (2, 0, 0)]
    assert revisions(space, text, [text, text, text]) == []


class Scripted(Strategy):
    """Proposes ``proposal`` (None: walks away); answers ``answer`` to everything."""

    name = "scripted"

    def __init__(self, proposal: int | None, answer: Action = Action.ACCEPT):
        self.proposal, self.answer = proposal, answer

    def propose(self, context: Context) -> int | None:
        return self.proposal

    def respond(self, context: Context, offer: int) -> Action:
        return self.answer


def test_walking_away_ends_the_session():
    table = OutcomeTable.of(random_scenario(3, 2, (3, 3)))
    trace = SingleText(rounds=10).run(table, [Linear(), Scripted(None)])
    assert trace.ending is Ending.WALK_AWAY and trace.explanation == "p1 walked away"
    assert trace.events[-1] == Event(0, 0.0, 1, Action.END)
    trace = SingleText(rounds=10).run(table, [Scripted(0, Action.END), Scripted(8)])
    assert trace.ending is Ending.WALK_AWAY and trace.explanation == "p0 walked away"
    assert trace.events[-1].action is Action.END and trace.events[-1].party == 0


def test_an_accept_across_a_red_line_counts_as_a_reject():
    # p0 never accepts option o0 of issue i0, even when its strategy says ACCEPT
    scenario = random_scenario(5, 2, (2, 2))
    bound = with_red_line(scenario)
    table = OutcomeTable.of(bound)
    forbidden = bound.space.index_of((0, 1))
    trace = SingleText(rounds=5).run(table, [Scripted(forbidden), Scripted(forbidden)])
    assert not trace.agreed
    assert trace.explanation == (
        "no party asked for any change to the text; the final text was rejected by p0"
    )
    assert trace.events[-2:] == (
        Event(0, 0.0, 0, Action.REJECT, forbidden),
        Event(0, 0.0, 1, Action.ACCEPT, forbidden),
    )


def with_red_line(scenario: Scenario) -> Scenario:
    """``scenario`` with a red line for its first party: never option o0 of issue i0."""
    first = scenario.parties[0]
    mask = np.zeros(scenario.issues[0].size, dtype=bool)
    mask[0] = True
    bound = Party(first.name, first.preferences, reservation=first.reservation,
                  red_lines=(RedLine("never i0=o0", (((0, mask),),)),))
    return Scenario(scenario.name, scenario.issues, (bound,) + scenario.parties[1:])


def test_a_seconds_deadline_ends_the_session():
    table = OutcomeTable.of(random_scenario(6, 2, (4, 4, 4)))
    trace = SingleText(rounds=None, seconds=0.05).run(table, [Hardliner(), Hardliner()])
    assert trace.ending in (Ending.DEADLINE, Ending.AGREEMENT)


def test_a_deadline_needs_rounds_or_seconds():
    with pytest.raises(ValueError, match="deadline"):
        SingleText(rounds=None, seconds=None)
    with pytest.raises(ValueError, match="patience"):
        SingleText(patience=-1)
    with pytest.raises(ValueError, match="candidates"):
        SingleText(candidates=0)
