"""Single-negotiating-text mediation: the Camp David procedure (Raiffa, "The Art and
Science of Negotiation", 1982, ch. 14), run by an automated mediator in the manner of
Klein, Faratin, Sayama and Bar-Yam ("Negotiating complex contracts", Group Decision and
Negotiation 12, 2003): one text, revised issue by issue, and a vote at the end.

The mediator is neutral: it never sees a party's utilities, only what the parties say
through :meth:`Strategy.propose` and :meth:`Strategy.respond`, so every strategy works
here unchanged.

1. Each round every party proposes the outcome it would ask for now ("what it needs
   changed"). The parties propose simultaneously: each sees the record as it stood when
   the round began.
2. In the first round the mediator drafts the initial text from these proposals: on each
   issue, the option proposed most often (ties: the lowest option index).
3. The mediator then puts candidate revisions of the text to the parties, in the order of
   :func:`revisions`: first each single change some party asks for (the text with that
   party's option on one issue), then all the changes one party asks for at once (the
   text becomes that party's proposal). Parties answer in turn; the first that does not
   accept drops the candidate. The first candidate every party accepts is adopted and
   ends the round. The mediator never returns to a text it has already adopted, so the
   text cannot cycle.
4. The text goes to a final vote of every party as soon as a revision has been adopted
   (or, with ``patience`` k, once k rounds have passed without a further one), as soon as
   no party asks for any change, and at the latest at the deadline (rounds and/or
   seconds; the round in which the time runs out is completed first). Agreement only if
   every party accepts it; otherwise the session breaks down (ending DEADLINE) and the
   explanation names who rejected the text.

A party walks away by proposing None or answering END (ending WALK_AWAY). Red lines bind
as in :class:`~servanda.negotiation.protocols.alternating.AlternatingOffers`: an ACCEPT of an
outcome that breaks one of the party's own red lines counts as a REJECT.

The trace records every text the mediator puts on the table (the initial text, every
candidate revision, the text put to the final vote) as an OFFER by :data:`MEDIATOR`, the
parties' proposals as their own OFFERs, and every response; :func:`texts_in_force`
recovers the initial text and the adopted revisions.

Bounds per round: ``n`` propose calls and at most ``n * c`` respond calls, ``c`` the
number of candidates (at most ``candidates`` when given; otherwise at most ``n * k + n``
for ``k`` issues, and never more than the distinct single changes asked for plus ``n``);
the vote adds ``n`` respond calls once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from servanda.model.space import OutcomeSpace
from servanda.negotiation.protocols.base import Deadline, ReservationSchedule, Session
from servanda.negotiation.strategy import Strategy
from servanda.negotiation.table import OutcomeTable
from servanda.negotiation.trace import Action, Ending, Event, Trace

#: The ``party`` of the mediator's events: its texts are OFFERs by this pseudo-party.
MEDIATOR = -1


@dataclass(frozen=True)
class SingleText(Deadline):
    """Single-negotiating-text mediation with a deadline of ``rounds`` rounds and/or
    ``seconds`` seconds.

    Parameters
    ----------
    rounds : int or None, default 100
        Rounds before the final vote (each party proposes once per round).
    seconds : float or None, default None
        Wall-clock limit; the round in which it passes is completed, then the vote.
    patience : int or None, default 0
        Rounds the mediator goes on revising a text every party has accepted: once a
        revision has been adopted, the vote is held as soon as ``patience`` consecutive
        rounds pass without another adopted revision (rounds before the first adoption
        never count: until then the parties have agreed on nothing). The default 0 puts
        the first text every party accepts to the vote at once: a strategy's acceptance
        is absolute ("as good as what I would ask for now"), not relative to the text, so
        later revisions every party accepts need not be better for anyone, and as
        aspirations fall they let the text drift away from the efficient outcomes. None:
        vote only at the deadline.
    candidates : int or None, default None
        Most candidate revisions put to the parties per round (the first ones in the
        order of :func:`revisions`); None: all of them.
    name : str, default "single negotiating text"
    """

    patience: int | None = 0
    candidates: int | None = None
    name: str = "single negotiating text"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.patience is not None and self.patience < 0:
            raise ValueError("patience must be at least 0 rounds")
        if self.candidates is not None and self.candidates < 1:
            raise ValueError("candidates must be at least 1")

    def run(
        self,
        table: OutcomeTable,
        strategies: Sequence[Strategy],
        *,
        seed: int = 0,
        reservation: ReservationSchedule | None = None,
    ) -> Trace:
        """Mediate once; the same seed gives the same trace (for round deadlines)."""
        session = Session(self.name, self, table, strategies, seed, reservation)
        space, n, names = table.scenario.space, session.parties, session.names

        def mediator_offers(round_: int, text: int) -> None:
            session.history.append(Event(round_, session.time(round_), MEDIATOR, Action.OFFER, text))

        text: int | None = None
        adopted: set[int] = set()  # every text in force so far, never returned to
        idle: int | None = None  # rounds without adoption since the last one (None: none yet)
        round_ = 0
        while True:
            record = tuple(session.history)  # proposals are simultaneous: one shared record
            proposals = []
            for party in range(n):
                proposal = session.propose(party, round_, record, binding=False)
                if proposal is None:
                    return session.walked_away(party, round_ + 1)
                proposals.append(proposal)
            if text is None:
                text = initial_text(space, proposals)
                adopted.add(text)
                mediator_offers(round_, text)
            settled = all(p == text for p in proposals)  # nobody asks for any change
            if not settled:
                for candidate in revisions(space, text, proposals, first=round_ % n,
                                           exclude=adopted, limit=self.candidates):
                    mediator_offers(round_, candidate)
                    for party in range(n):
                        action = session.respond(party, round_, candidate)
                        if action is Action.END:
                            return session.walked_away(party, round_ + 1)
                        if action is not Action.ACCEPT:
                            break
                    else:
                        text, idle = candidate, 0
                        adopted.add(text)
                        break
                else:
                    idle = None if idle is None else idle + 1
            stalled = self.patience is not None and idle is not None and idle >= self.patience
            if settled or stalled or session.expired(round_ + 1):
                break
            round_ += 1

        # the vote: every party answers, so that the explanation can name every rejecter
        mediator_offers(round_, text)
        rejecters = []
        for party in range(n):
            action = session.respond(party, round_, text)
            if action is Action.END:
                return session.walked_away(party, round_ + 1)
            if action is not Action.ACCEPT:
                rejecters.append(names[party])
        if settled:
            why = "no party asked for any change to the text"
        elif stalled and self.patience:
            why = f"no further revision was adopted in {self.patience} rounds"
        elif stalled:
            why = "every party accepted a revision"
        else:
            why = "the deadline came"
        if not rejecters:
            return session.finish(Ending.AGREEMENT, text, round_ + 1,
                          f"{why}; every party accepted the final text")
        return session.finish(Ending.DEADLINE, None, round_ + 1,
                      f"{why}; the final text was rejected by {', '.join(rejecters)}")


def initial_text(space: OutcomeSpace, proposals: Sequence[int]) -> int:
    """The mediator's first draft: on each issue, the option that most of ``proposals``
    (outcome indices) choose; ties go to the lowest option index."""
    chosen = space.digits(np.asarray(proposals, dtype=np.int64))
    draft = [int(np.bincount(chosen[:, i], minlength=size).argmax())
             for i, size in enumerate(space.radices)]
    return int(space.indices(np.asarray([draft]))[0])


def revisions(
    space: OutcomeSpace,
    text: int,
    proposals: Sequence[int],
    *,
    first: int = 0,
    exclude: set[int] | frozenset[int] = frozenset(),
    limit: int | None = None,
) -> list[int]:
    """Candidate revisions of ``text`` toward the parties' ``proposals``, in the order the
    mediator puts them to the parties, without repeats and without the texts in
    ``exclude``; the first ``limit`` of them when given.

    First the single changes: ``text`` with one party's option on one issue where its
    proposal differs, the changes asked for by more parties first, then by the party's
    place in the round's order (party ``first``, ``first + 1``, … cyclically, so that no
    party is always heard first), then by issue. Then the whole proposals: ``text`` with
    every change one party asks for, in the same order of parties. Small changes come
    first so that the text moves as little as agreement allows.
    """
    n = len(proposals)
    current = space.digits(np.asarray([text], dtype=np.int64))[0]
    asked = space.digits(np.asarray(proposals, dtype=np.int64))  # (parties, issues)
    order = [(first + j) % n for j in range(n)]
    changes: dict[tuple[int, int], tuple[int, int]] = {}  # (issue, option) -> (supporters, place)
    for place, party in enumerate(order):
        for issue in np.flatnonzero(asked[party] != current):
            key = (int(issue), int(asked[party, issue]))
            supporters, earliest = changes.get(key, (0, place))
            changes[key] = (supporters + 1, earliest)
    ranked = sorted(changes, key=lambda c: (-changes[c][0], changes[c][1], c[0]))
    singles = np.repeat(current[None, :], len(ranked), axis=0)
    for row, (issue, option) in enumerate(ranked):
        singles[row, issue] = option
    candidates = space.indices(singles).tolist() if ranked else []
    candidates += [int(proposals[party]) for party in order]
    out: list[int] = []
    seen = set(exclude) | {int(text)}
    for candidate in candidates:
        if candidate not in seen:
            seen.add(candidate)
            out.append(int(candidate))
            if limit is not None and len(out) >= limit:
                break
    return out


def texts_in_force(trace: Trace) -> list[int]:
    """The texts of a single-text session in the order they were in force: the initial
    text and every revision every party accepted (the final vote repeats the last one)."""
    n = len(trace.parties)
    texts: list[int] = []
    pending, accepts = None, 0
    for event in trace.events:
        if event.party == MEDIATOR and event.action is Action.OFFER:
            if not texts:
                texts.append(event.outcome)
            pending, accepts = event.outcome, 0
        elif event.action is Action.ACCEPT and event.outcome == pending:
            accepts += 1
            if accepts == n and pending != texts[-1]:
                texts.append(pending)
    return texts
