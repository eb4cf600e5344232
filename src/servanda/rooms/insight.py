"""What the mediator's page and the debrief show of a room: the utility space of two
parties (every outcome or a sample, the Pareto frontier, Nash and Kalai-Smorodinsky, each
party's offers), the zone of possible agreement, the deadlock diagnosis with the minimal
relaxation, and each party's result against the efficient frontier.

Confidentiality, as in :mod:`servanda.rooms.views`: every function takes the
:class:`~servanda.rooms.views.Viewer` and computes from the preferences of the parties in
``viewer.readable`` only — a party its own, a mediator those that granted it, an observer
none. A party that has not granted is left out of the computation itself (the scenario is
cut down to the readable parties first), so not even an aggregate of its preferences shows.

One exception, stated where it applies: a debrief measures the result against the whole
room's efficient frontier (is there an outcome every party likes at least as much, and how
much more could the viewer's parties have had on it). That is the aggregate the room already
discloses to parties and the mediator through its suggestions
(:meth:`servanda.rooms.service.Rooms.improvements`), shown here with the readable parties'
numbers only, and never to an observer.

Outcome spaces may be astronomically large: the utility space shows every outcome up to
:data:`MAX_POINTS` and a seeded sample beyond (as :mod:`servanda.analysis.plot` does), the
frontiers come from :func:`~servanda.analysis.report.analyze` (issue by issue where the
preferences allow, never enumerating), and nothing enumerates more than
:data:`ENUMERATION_LIMIT` outcomes in a page's request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from servanda.analysis.diagnosis import diagnose
from servanda.analysis.report import Point, analyze
from servanda.analysis.scoring import pareto_improvements
from servanda.analysis.utilities import red_line_breaches, utilities
from servanda.errors import AccessDenied, InvalidRequest, SpaceTooLargeError
from servanda.model import Scenario
from servanda.model.space import count_text
from servanda.rooms.views import Viewer

if TYPE_CHECKING:
    from servanda.rooms.service import Rooms

#: Outcomes drawn in a utility space: a browser draws each as a marker, so a larger space
#: is shown by a seeded uniform sample of this many.
MAX_POINTS = 5_000
#: Frontier points sent to the browser; a longer frontier is thinned evenly (its two ends kept).
MAX_FRONTIER_POINTS = 2_000
#: The most outcomes one page request enumerates (counts, Pareto improvements); beyond it
#: only what needs no enumeration is computed.
ENUMERATION_LIMIT = 2_000_000
#: The bargaining solutions shown.
SOLUTIONS = ("nash", "kalai_smorodinsky")
SOLUTION_NAMES = {"nash": "Nash", "kalai_smorodinsky": "Kalai-Smorodinsky"}
#: Events that put a package on the table.
OFFERS = ("offer", "improvement")


# -- what each view holds ----------------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    """One party's (or the mediator's) offers, in order, scored for the two parties."""

    party: str
    events: tuple[int, ...]
    utilities: np.ndarray  # (offers, 2)


@dataclass(frozen=True, eq=False)
class UtilitySpace:
    """The utility space of two parties, as in GENIUS's bid chart.

    ``outcomes`` are every outcome's utilities, or a seeded sample's when ``sampled``;
    ``blocked`` marks those breaking a red line of either party. ``frontier`` is the exact
    Pareto frontier of the two among the outcomes breaking none of their red lines (sorted
    by the first party's utility, ascending), or, when no outcome meets both parties' red
    lines and reservation values, the frontier without red lines
    (``red_lines_respected`` False), as :func:`servanda.analysis.plot.utility_space_figure`
    draws it. ``solutions`` are chosen on the frontier's part that gives both at least their
    reservation values (None where there is none).
    """

    parties: tuple[str, str]
    space_size: int
    sampled: bool
    outcomes: np.ndarray  # (n, 2)
    blocked: np.ndarray  # (n,) bool
    frontier: np.ndarray  # (m, 2)
    red_lines_respected: bool
    solutions: Mapping[str, Point | None]
    reservations: tuple[float, float]
    traces: tuple[Trace, ...]
    note: str = ""  # why something is missing


@dataclass(frozen=True)
class Zone:
    """The zone of possible agreement of the readable parties: the outcomes breaking none
    of their red lines and giving each at least its reservation value."""

    parties: tuple[str, ...]  # the parties it covers (the readable ones)
    missing: tuple[str, ...]  # the room's other parties, left out
    space_size: int
    possible: bool | None  # None: not computed (see note)
    size: int | None  # outcomes in the zone; None when not counted
    acceptable: int | None  # outcomes breaking none of their red lines
    efficient: int | None  # outcomes on the frontier inside the zone
    solutions: Mapping[str, Point | None]  # chosen for all the readable parties together
    note: str = ""

    @property
    def partial(self) -> bool:
        """True when some party did not grant: the zone may hold outcomes it refuses."""
        return bool(self.missing)


@dataclass(frozen=True)
class Relaxation:
    """The least costly change that makes agreement among the readable parties possible."""

    dropped: tuple[str, ...]  # red lines given up, as labels
    lowered: tuple[tuple[str, float], ...]  # (party, how far its reservation value must drop)
    outcome: Mapping[str, Any]  # an outcome it makes possible
    utilities: Mapping[str, float]  # that outcome's utility for each readable party
    optimal: bool
    zone_size: int | None  # the zone of the relaxed negotiation
    solutions: Mapping[str, Point | None]  # the relaxed negotiation's, for the readable parties
    note: str


@dataclass(frozen=True)
class Deadlock:
    """Why the readable parties cannot agree, and the smallest change that unblocks them."""

    parties: tuple[str, ...]
    missing: tuple[str, ...]
    blocking: tuple[str, ...]  # each blocking set explained
    complete: bool  # every blocking set was found
    ways_out: tuple[tuple[str, ...], ...]  # minimal sets of constraints whose removal suffices
    relaxation: Relaxation | None


@dataclass(frozen=True, eq=False)
class MediatorInsight:
    """What the mediator's page shows: ``explanation`` instead of everything else when the
    mediator may read fewer than two parties."""

    readable: tuple[str, ...]
    missing: tuple[str, ...]
    explanation: str
    parties: tuple[str, str] | None = None
    space: UtilitySpace | None = None
    zone: Zone | None = None
    deadlock: Deadlock | None = None


@dataclass(frozen=True)
class PartyResult:
    """One readable party's result: its utility and gain, how much more it could have had on
    the efficient frontier with no party worse off (``headroom``: 0 when the result is
    efficient), and its share of the joint gain (None when not shown)."""

    party: str
    utility: float
    reservation: float
    gain: float
    headroom: float | None
    share: float | None


@dataclass(frozen=True, eq=False)
class Debrief:
    """How the room ended, and the result against the efficient frontier from the viewer's
    side. ``share_of`` says whose gains the shares divide: "every party" when the viewer
    reads them all, "the parties you read" otherwise (None: no shares shown)."""

    phase: str
    ending: str
    ended: bool
    kind: str | None  # "agreement", "last offer", or None (no offer was made)
    event: int | None
    outcome: Mapping[str, Any] | None
    offers: int
    offers_by: Mapping[str, int]
    readable: tuple[str, ...]
    missing: tuple[str, ...]
    efficient: bool | None = None
    results: tuple[PartyResult, ...] = ()
    share_of: str | None = None
    pareto_distance: float | None = None  # Euclidean, to the whole frontier; all parties read only
    space: UtilitySpace | None = None
    notes: tuple[str, ...] = ()


# -- the mediator -----------------------------------------------------------------------------


def mediation(rooms: Rooms, account: int, room_id: str, parties: Sequence[str] | None = None) -> MediatorInsight:
    """The mediator's insight into room ``room_id`` (only the room's mediator asks)."""
    member = rooms.member(account, room_id)
    if member.role != "mediator":
        raise AccessDenied("the mediator's analysis is for the room's mediator")
    viewer = rooms.viewer(member, room_id)
    return mediator_insight(rooms.scenario(room_id), viewer, rooms.events_for(member, room_id), parties)


def mediator_insight(scenario: Scenario, viewer: Viewer, events: Sequence[Mapping[str, Any]],
                     parties: Sequence[str] | None = None) -> MediatorInsight:
    """The utility space of ``parties`` (default: the first two readable), the zone of
    possible agreement of every readable party and, when it is empty, the diagnosis."""
    readable, missing = readable_parties(scenario, viewer), unread_parties(scenario, viewer)
    if parties is not None:  # asking for a party that did not grant is refused, not ignored
        _pair(scenario, viewer, parties)
    if len(readable) < 2:
        return MediatorInsight(readable, missing, _too_few(readable, missing))
    pair = _pair(scenario, viewer, parties, readable)
    zone_found = zone(scenario, viewer)
    return MediatorInsight(
        readable, missing, "", pair,
        utility_space(scenario, viewer, pair, events),
        zone_found,
        deadlock(scenario, viewer) if zone_found.possible is False else None,
    )


def readable_parties(scenario: Scenario, viewer: Viewer) -> tuple[str, ...]:
    """The parties whose preferences the viewer reads, in the room's order."""
    return tuple(name for name in scenario.party_names if name in viewer.readable)


def unread_parties(scenario: Scenario, viewer: Viewer) -> tuple[str, ...]:
    return tuple(name for name in scenario.party_names if name not in viewer.readable)


def utility_space(scenario: Scenario, viewer: Viewer, parties: Sequence[str],
                  events: Sequence[Mapping[str, Any]] = (), *, max_points: int = MAX_POINTS,
                  seed: int = 0, limit: int = ENUMERATION_LIMIT) -> UtilitySpace:
    """The utility space of two parties the viewer reads, with the offers of ``events``."""
    pair = _pair(scenario, viewer, parties)
    two = scenario.select(pair)
    space = two.space
    sampled = space.size > max_points
    digits = space.sample(max_points, seed) if sampled else space.all()
    points = utilities(two, digits)
    blocked = red_line_breaches(two, digits).any(axis=1)
    note = ""
    try:
        result = analyze(two, count=False, limit=limit)
    except SpaceTooLargeError as exc:
        frontier, respected, solutions = np.empty((0, 2)), True, dict.fromkeys(SOLUTIONS)
        note = f"no frontier: {exc}"
    else:
        shown = result if result.agreement_possible or result.relaxed is None else result.relaxed
        frontier = shown.frontier.utilities[np.argsort(shown.frontier.utilities[:, 0], kind="stable")]
        respected = shown.red_lines_respected
        solutions = {name: shown.solutions[name] for name in SOLUTIONS}
        if not any(solutions.values()):
            note = (f"no outcome gives both {pair[0]} and {pair[1]} at least their reservation values"
                    + ("" if respected else ", even with their red lines dropped"))
        elif not respected:
            note = (f"no outcome meets both {pair[0]}'s and {pair[1]}'s red lines and reservation values: "
                    "the frontier and the solutions shown drop their red lines")
    return UtilitySpace(
        parties=pair, space_size=space.size, sampled=sampled, outcomes=points, blocked=blocked,
        frontier=frontier, red_lines_respected=respected, solutions=solutions,
        reservations=(two.parties[0].reservation, two.parties[1].reservation),
        traces=offer_traces(two, events), note=note,
    )


def offer_traces(two: Scenario, events: Sequence[Mapping[str, Any]]) -> tuple[Trace, ...]:
    """Each proposer's offers in ``events`` (public packages), scored for the parties of
    ``two``, one trace per proposer in the order they first proposed."""
    offers = [event for event in events if event.get("type") in OFFERS and "outcome" in event]
    if not offers:
        return ()
    scored = utilities(two, np.asarray([two.space.parse(dict(event["outcome"])) for event in offers]))
    rows: dict[str, list[int]] = {}
    for k, event in enumerate(offers):
        rows.setdefault(str(event.get("party")), []).append(k)
    return tuple(Trace(party, tuple(int(offers[k]["id"]) for k in ks), scored[ks]) for party, ks in rows.items())


def zone(scenario: Scenario, viewer: Viewer, *, limit: int = ENUMERATION_LIMIT) -> Zone:
    """The zone of possible agreement of the parties the viewer reads (at least one)."""
    names, missing = readable_parties(scenario, viewer), unread_parties(scenario, viewer)
    if not names:
        raise AccessDenied("you read no party's preferences: there is no zone of possible agreement to show")
    granted = scenario.select(names)
    try:
        result = analyze(granted, limit=limit)
    except SpaceTooLargeError as exc:
        return Zone(names, missing, granted.space.size, None, None, None, None, dict.fromkeys(SOLUTIONS),
                    f"not computed: {exc}")
    note = "" if result.zone_size is not None else (
        f"the zone's size is not counted: {count_text(granted.space.size)} outcomes are more than a page "
        f"enumerates ({ENUMERATION_LIMIT:,})")
    return Zone(
        names, missing, granted.space.size, result.agreement_possible, result.zone_size, result.acceptable,
        result.zone_frontier().size, {name: result.solutions[name] for name in SOLUTIONS}, note,
    )


def deadlock(scenario: Scenario, viewer: Viewer, *, limit: int = ENUMERATION_LIMIT) -> Deadlock | None:
    """Why the readable parties cannot agree — over their red lines and reservation values
    only — and the minimal relaxation; None when they can."""
    names, missing = readable_parties(scenario, viewer), unread_parties(scenario, viewer)
    if not names:
        raise AccessDenied("you read no party's preferences: there is nothing to diagnose")
    granted = scenario.select(names)
    found = diagnose(granted, limit=limit)
    if found.agreement_possible:
        return None
    relaxation = None
    if found.relaxation is not None:
        r = found.relaxation
        analysis = r.analysis
        relaxation = Relaxation(
            dropped=tuple(c.label for c in r.dropped),
            lowered=tuple((party, float(amount)) for party, amount in r.lowered),
            outcome=dict(r.outcome.labels),
            utilities=dict(zip(names, (float(u) for u in r.outcome.utilities))),
            optimal=r.optimal,
            zone_size=None if analysis is None else analysis.zone_size,
            solutions=dict.fromkeys(SOLUTIONS) if analysis is None else
            {name: analysis.solutions[name] for name in SOLUTIONS},
            note=r.note,
        )
    return Deadlock(
        names, missing, tuple(b.explanation for b in found.blocking_sets), found.complete,
        tuple(tuple(c.label for c in way) for way in found.ways_out), relaxation,
    )


def _pair(scenario: Scenario, viewer: Viewer, parties: Sequence[str] | None,
          readable: tuple[str, ...] | None = None) -> tuple[str, str]:
    """Two different parties of the room that the viewer reads (default: the first two)."""
    if parties is None:
        readable = readable_parties(scenario, viewer) if readable is None else readable
        if len(readable) < 2:
            raise AccessDenied("the utility space needs the preferences of two parties; you read "
                               f"{len(readable)}")
        return readable[0], readable[1]
    if len(parties) != 2 or parties[0] == parties[1]:
        raise InvalidRequest("choose two different parties", field="parties")
    for name in parties:
        if name not in scenario.party_names:
            raise InvalidRequest(f"no party '{name}' in this room", field="parties")
        if name not in viewer.readable:
            raise AccessDenied(f"{name} has not let you read its preferences")
    return parties[0], parties[1]


def _too_few(readable: tuple[str, ...], missing: tuple[str, ...]) -> str:
    need = ("The utility space, the zone of possible agreement and the deadlock diagnosis need the "
            "preferences of at least two parties, and a party's preferences reach you only if it grants "
            "them to the room's mediator.")
    waiting = f" Not granted: {_join(missing)}." if missing else ""
    if not readable:
        return f"No party has let you read its preferences yet. {need}{waiting}"
    return (f"Only {readable[0]} has let you read its preferences. {need}{waiting} Nothing of a party "
            "that has not granted is computed for you, not even in aggregate.")


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# -- the debrief ------------------------------------------------------------------------------


def debriefing(rooms: Rooms, account: int, room_id: str, parties: Sequence[str] | None = None) -> Debrief:
    """The debrief of room ``room_id`` for ``account`` (any member of the room)."""
    member = rooms.member(account, room_id)
    viewer = rooms.viewer(member, room_id)
    view = rooms.view(account, room_id)
    return debrief(rooms.scenario(room_id), viewer, view["phase"], view["ending"],
                   rooms.events_for(member, room_id), parties)


def debrief(scenario: Scenario, viewer: Viewer, phase: str, ending: str, events: Sequence[Mapping[str, Any]],
            parties: Sequence[str] | None = None, *, limit: int = ENUMERATION_LIMIT) -> Debrief:
    """The result — the agreement in force, or else the last offer — against the efficient
    frontier, for the parties the viewer reads; with the utility space of two of them when
    the viewer reads two."""
    readable, missing = readable_parties(scenario, viewer), unread_parties(scenario, viewer)
    offers = [event for event in events if event.get("type") == "offer" and "outcome" in event]
    offers_by: dict[str, int] = {}
    for event in offers:
        offers_by[str(event.get("party"))] = offers_by.get(str(event.get("party")), 0) + 1
    agreements = [event for event in events if event.get("type") == "agreement" and "outcome" in event]
    found = agreements[-1] if agreements else offers[-1] if offers else None
    base = {"phase": phase, "ending": ending, "offers": len(offers), "offers_by": offers_by,
            "readable": readable, "missing": missing}
    if phase == "open":
        return Debrief(ended=False, kind=None, event=None, outcome=None, **base,
                       notes=("The debrief opens when the negotiation ends.",))
    kind = None if found is None else "agreement" if agreements else "last offer"
    outcome = None if found is None else dict(found["outcome"])
    event = None if found is None else int(found["id"])
    if not readable:
        public_only = ("You read no party's preferences, so this debrief shows only the public record: how "
                       "the room ended, the offers and the result, never a party's utilities (they are "
                       "confidential). A teacher who wants the numbers joins the room as its mediator and asks "
                       "the parties to grant it their preferences.")
        return Debrief(ended=True, kind=kind, event=event, outcome=outcome, **base, notes=(public_only,))
    if outcome is None:
        return Debrief(ended=True, kind=None, event=None, outcome=None, **base,
                       notes=("No offer was made: there is no result to measure.",))
    notes: list[str] = []
    digits = scenario.space.parse(outcome)
    # The whole room's efficient improvements on the result (every party's preferences, as
    # Rooms.improvements uses them); only the readable parties' numbers leave this function.
    try:
        own, _, _, better = pareto_improvements(scenario, digits, limit)
    except SpaceTooLargeError as exc:
        own, better = utilities(scenario, np.asarray([digits]))[0], None
        notes.append(f"The efficient frontier was not computed: {exc}")
    names = scenario.party_names
    gains = {name: float(own[j] - scenario.parties[j].reservation) for j, name in enumerate(names)}
    # The joint gain of the readable parties: with a single party's own gain it would tell
    # that party the others' gains, so it is shared out only among two readable parties or more.
    share_of, joint = None, sum(gains[name] for name in readable)
    if len(readable) >= 2:
        share_of = "every party" if not missing else "the parties you read"
        if joint <= 0:
            notes.append("Together the parties you read gained nothing over their reservation values: "
                         "there is no joint gain to share.")
    else:
        notes.append("A share of the joint gain is shown only to a reader of two parties or more: with the "
                     "joint gain, your share would tell you the other parties' gains.")
    results = []
    for name in readable:
        j = names.index(name)
        headroom = None
        if better is not None:
            headroom = float(max(0.0, (better.utilities[:, j] - own[j]).max())) if len(better) else 0.0
        share = gains[name] / joint if share_of is not None and joint > 0 else None
        results.append(PartyResult(name, float(own[j]), scenario.parties[j].reservation, gains[name],
                                   headroom, share))
    distance = None
    if not missing:
        distance, note = _pareto_distance(scenario, own, limit)
        if note:
            notes.append(note)
    space = None
    if len(readable) >= 2:
        space = utility_space(scenario, viewer, parties if parties else readable[:2], events)
    return Debrief(
        ended=True, kind=kind, event=event, outcome=outcome, **base,
        efficient=None if better is None else len(better) == 0, results=tuple(results), share_of=share_of,
        pareto_distance=distance, space=space, notes=tuple(notes),
    )


def _pareto_distance(scenario: Scenario, own: np.ndarray, limit: int) -> tuple[float | None, str]:
    """The Euclidean distance from ``own`` to the Pareto frontier of every party (the
    tournament metric of :mod:`servanda.negotiation.metrics`); the frontier without red
    lines when no outcome meets them all."""
    try:
        result = analyze(scenario, count=False, limit=limit)
    except SpaceTooLargeError as exc:
        return None, f"The distance to the frontier was not computed: {exc}"
    frontier, note = result.frontier, ""
    if not len(frontier) and result.relaxed is not None:
        frontier = result.relaxed.frontier
        note = "No outcome keeps every red line: the distance is to the frontier without red lines."
    if not len(frontier):
        return None, "There is no frontier to measure against."
    return float(np.linalg.norm(frontier.utilities - own, axis=1).min()), note


# -- as plain data, for the pages' plots --------------------------------------------------------


def space_dict(space: UtilitySpace, result: Mapping[str, Any] | None = None, digits: int = 6) -> dict[str, Any]:
    """The utility space as JSON-ready data for a plot (numbers rounded to ``digits``), the
    frontier thinned to :data:`MAX_FRONTIER_POINTS`; ``result`` adds a marked point
    (``{"label": ..., "x": ..., "y": ...}``)."""

    def xy(points: np.ndarray) -> dict[str, list[float]]:
        points = np.round(np.asarray(points, dtype=float).reshape(-1, 2), digits)
        return {"x": points[:, 0].tolist(), "y": points[:, 1].tolist()}

    frontier = space.frontier
    if len(frontier) > MAX_FRONTIER_POINTS:
        frontier = frontier[np.unique(np.linspace(0, len(frontier) - 1, MAX_FRONTIER_POINTS).round().astype(int))]
    return {
        "parties": list(space.parties),
        "space_size": space.space_size,
        "sampled": space.sampled,
        "outcomes": xy(space.outcomes[~space.blocked]),
        "blocked": xy(space.outcomes[space.blocked]),
        "frontier": xy(frontier),
        "red_lines_respected": space.red_lines_respected,
        "solutions": {name: None if point is None else [round(float(u), digits) for u in point.utilities]
                      for name, point in space.solutions.items()},
        "reservations": [round(float(r), digits) for r in space.reservations],
        "traces": {trace.party: {**xy(trace.utilities), "text": [f"offer #{e} by {trace.party}" for e in trace.events]}
                   for trace in space.traces},
        "result": None if result is None else dict(result),
    }


def results_dict(debriefed: Debrief, digits: int = 6) -> dict[str, Any]:
    """Each readable party's result against the frontier, as JSON-ready data for a plot."""
    return {"rows": [
        {"party": r.party, "reservation": round(r.reservation, digits), "utility": round(r.utility, digits),
         "reachable": None if r.headroom is None else round(r.utility + r.headroom, digits)}
        for r in debriefed.results
    ]}


def result_point(debriefed: Debrief) -> dict[str, Any] | None:
    """The debrief's result as a point of its utility space (None without one)."""
    if debriefed.space is None or not debriefed.results:
        return None
    by_party = {r.party: r.utility for r in debriefed.results}
    x, y = (by_party[name] for name in debriefed.space.parties)
    return {"label": debriefed.kind, "x": round(x, 6), "y": round(y, 6)}
