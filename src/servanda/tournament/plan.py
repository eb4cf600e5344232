"""A tournament as a numbered list of sessions: what a worker needs to play any session
from its index alone, so that the result of a session never depends on which worker
plays it, nor on how the sessions are split among workers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np

from servanda.errors import ScenarioError, SpaceTooLargeError
from servanda.formats import load_scenario
from servanda.model import Scenario
from servanda.model.space import count_text
from servanda.negotiation.protocols import NegotiationProtocol
from servanda.negotiation.strategies import STRATEGIES
from servanda.negotiation.strategy import Strategy
from servanda.negotiation.table import NEGOTIATION_LIMIT
from servanda.tournament.config import Tournament


@dataclass(frozen=True, eq=False)
class Plan:
    """The sessions of a tournament, numbered as :class:`Tournament` describes.

    Small and picklable: the scenarios, the strategy specifications (with the classes they
    name, so that a worker knows a user's strategy too), the protocol, and the numbers
    that define the sessions; ``token`` tells a worker whether it has seen this plan.
    """

    scenarios: tuple[Scenario, ...]
    strategies: tuple[str, ...]
    registry: dict[str, type[Strategy]]  # the strategy classes the specifications name
    protocol: NegotiationProtocol
    repetitions: int
    seed: int
    self_play: bool
    token: str

    @classmethod
    def of(cls, tournament: Tournament) -> Plan:
        """Load the scenarios and check that each can be negotiated."""
        scenarios = tuple(load_scenario(path) for path in tournament.scenarios)
        named: dict[str, str] = {}
        for path, scenario in zip(tournament.scenarios, scenarios):
            if len(scenario.parties) < 2:
                raise ScenarioError("a negotiation needs at least two parties", source=str(path))
            if scenario.space.size > NEGOTIATION_LIMIT:
                raise SpaceTooLargeError(
                    f"{path}: {count_text(scenario.space.size)} outcomes, more than the "
                    f"{NEGOTIATION_LIMIT:,} a negotiation can tabulate"
                )
            if scenario.name in named:
                raise ScenarioError(
                    f"two scenarios are named '{scenario.name}' ({named[scenario.name]} and "
                    f"{path}); results tell scenarios apart by name",
                    source=str(path),
                )
            named[scenario.name] = str(path)
        names = {spec.split("(")[0].strip().lower() for spec in tournament.strategies}
        return cls(
            scenarios=scenarios,
            strategies=tuple(tournament.strategies),
            registry={name: STRATEGIES[name] for name in sorted(names)},
            protocol=tournament.protocol.build(),
            repetitions=tournament.repetitions,
            seed=tournament.seed,
            self_play=tournament.self_play,
            token=uuid.uuid4().hex,
        )

    def assignments(self, scenario: int) -> int:
        """How many assignments of strategies to the parties of a scenario are played."""
        s, n = len(self.strategies), len(self.scenarios[scenario].parties)
        return s**n if self.self_play else s**n - s

    @property
    def sizes(self) -> tuple[int, ...]:
        """Sessions per scenario."""
        return tuple(self.assignments(k) * self.repetitions for k in range(len(self.scenarios)))

    @property
    def total(self) -> int:
        return sum(self.sizes)

    def locate(self, session: int) -> tuple[int, tuple[int, ...], int]:
        """Session ``session`` as (scenario, the strategy of each party as a position in
        ``strategies``, repetition)."""
        sizes = self.sizes
        if not 0 <= session < sum(sizes):
            raise IndexError(f"session {session} outside 0..{sum(sizes) - 1}")
        scenario = 0
        while session >= sizes[scenario]:
            session -= sizes[scenario]
            scenario += 1
        rank, repetition = divmod(session, self.repetitions)
        return scenario, self._assignment(rank, len(self.scenarios[scenario].parties)), repetition

    def _assignment(self, rank: int, parties: int) -> tuple[int, ...]:
        """The ``rank``-th assignment in lexicographic order (``itertools.product``)."""
        s = len(self.strategies)
        if not self.self_play:
            # The all-alike assignments are the multiples of the repunit r = 11...1 (base s):
            # 0, r, 2r, ..., (s-1)r. Between two of them lie r - 1 mixed ones.
            repunit = (s**parties - 1) // (s - 1)
            block, offset = divmod(rank, repunit - 1)
            rank = block * repunit + 1 + offset
        digits = []
        for _ in range(parties):
            rank, digit = divmod(rank, s)
            digits.append(digit)
        return tuple(reversed(digits))

    def seed_of(self, session: int) -> int:
        """The seed of a session: from the ``session``-th child of
        ``SeedSequence(seed)``, 63 bits (it fits an int64 column)."""
        child = np.random.SeedSequence(self.seed, spawn_key=(session,))
        return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))
