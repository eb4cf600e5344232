"""Model-based bidding: a time-dependent concession that offers, at each moment, the
outcome best for the opponent — by its opponent model — among those still worth the
party's target utility: a point of the Pareto frontier the model implies, at the target
(the bidding of the BOA framework's model-based offering strategies; Baarslag, Hindriks,
Hendrikx, Dirkzwager and Jonker, "Decoupling negotiating agents to explore the space of
negotiation strategies", 2014).

The target is that of :class:`~servanda.negotiation.strategies.time_dependent.TimeDependent`
with the same ``e`` and ``k``. Among the outcomes breaking none of the party's red lines
and worth at least the target, it offers the one whose estimated utility to the opponent
is highest (with several opponents, the highest lowest estimate over them); ties go to the
outcome worth least to the party that still reaches the target — the outcome the plain
time-dependent strategy offers, so before the opponent's first offer, and with a model
that tells outcomes apart nowhere, it bids exactly as that strategy does. Its own offers
are therefore never worth less to it than the plain strategy's at the same moment.

It accepts as the plain strategy does: its acceptance condition compares an offer with the
outcome at its target (the plain strategy's bid), not with the model's pick, which may be
worth more to it than the target. A model that finds an outcome better for both must not
make it refuse an offer it would accept without the model; so the two differ only in what
they offer.
"""

from __future__ import annotations

import numpy as np

from servanda.negotiation.opponents import OPPONENT_MODELS, ModelFactory, OpponentModels
from servanda.negotiation.strategies.acceptance import DEFAULT_ACCEPTANCE, AcceptanceCondition
from servanda.negotiation.strategies.time_dependent import TimeDependent
from servanda.negotiation.strategy import Context
from servanda.negotiation.trace import Action

#: Estimates closer than this to the best one are ties.
_TIE = 1e-12


class ModelBased(TimeDependent):
    """Concedes in time as :class:`TimeDependent` does and offers, at its target, the
    outcome its opponent model rates best for the others (see the module).

    Needs the issue structure of the outcomes (:attr:`Context.outcomes`, which every
    protocol's session provides); it never sees another party's preferences.

    Parameters
    ----------
    model : str or callable, default "frequency"
        A name of :data:`~servanda.negotiation.opponents.OPPONENT_MODELS` ("frequency",
        "bayesian") or a factory ``model(space, seed=...)`` of opponent models.
    e : float, default 0.2
        Concession exponent (> 0), as for :class:`TimeDependent` (0.2: Boulware).
    k : float, default 0
        Share of the range conceded at once.
    acceptance : AcceptanceCondition, default AC_next and AC_rational
    """

    name = "model-based"
    properties = {"stochastic": False, "concedes": True, "uses_opponent_offers": True}
    plans_ahead = False  # its bids depend on the opponent's offers

    def __init__(
        self,
        model: str | ModelFactory = "frequency",
        e: float = 0.2,
        k: float = 0.0,
        acceptance: AcceptanceCondition = DEFAULT_ACCEPTANCE,
    ):
        super().__init__(e, k, acceptance)
        self.opponents = OpponentModels(model)  # checks the name
        self.model = model
        label = (
            model.strip().lower() if isinstance(model, str) else getattr(model, "name", "custom")
        )
        extra = f", k={k:g}" if k else ""
        self.name = f"frontier-{label}(e={e:g}{extra})"

    def bid(self, context: Context) -> int | None:
        if context.best < context.reservation:
            return None  # nothing it may accept is worth more than no agreement
        models = self.opponents.observe(context)
        ascending = context.ranked_utilities[::-1]
        # ranking[:reaching]: the outcomes worth at least the target (at least its best)
        reaching = max(len(ascending) - int(ascending.searchsorted(self.target(context))), 1)
        if not models:
            return int(context.ranking[reaching - 1])  # as TimeDependent, before any offer
        candidates = context.ranking[:reaching]
        digits = context.outcomes.digits[candidates]
        estimates = np.min([m.estimated_utilities(digits) for m in models.values()], axis=0)
        best = np.flatnonzero(estimates >= estimates.max() - _TIE)
        return int(candidates[best[-1]])  # the tie worth least to itself

    def respond(self, context: Context, offer: int) -> Action:
        self.opponents.observe(context)  # the offer teaches the model even if accepted
        plain = (
            None
            if context.best < context.reservation
            else context.outcome_near(self.target(context))
        )
        return Action.ACCEPT if self.acceptance(context, offer, plain) else Action.REJECT


class FrequencyFrontier(ModelBased):
    """:class:`ModelBased` with the frequency model (Boulware e = 0.2 by default)."""

    def __init__(
        self, e: float = 0.2, k: float = 0.0, acceptance: AcceptanceCondition = DEFAULT_ACCEPTANCE
    ):
        super().__init__("frequency", e, k, acceptance)


class BayesianFrontier(ModelBased):
    """:class:`ModelBased` with the Bayesian model (Boulware e = 0.2 by default)."""

    def __init__(
        self, e: float = 0.2, k: float = 0.0, acceptance: AcceptanceCondition = DEFAULT_ACCEPTANCE
    ):
        super().__init__("bayesian", e, k, acceptance)


__all__ = ["OPPONENT_MODELS", "BayesianFrontier", "FrequencyFrontier", "ModelBased"]
