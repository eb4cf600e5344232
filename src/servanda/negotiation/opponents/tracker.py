"""Keeping opponent models up to date from what a strategy sees: one model per other
party, fed with that party's offers from the public record of a :class:`Context`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from servanda.model import OutcomeSpace
from servanda.negotiation.opponents.base import OpponentModel
from servanda.negotiation.opponents.bayesian import BayesianModel
from servanda.negotiation.opponents.frequency import FrequencyModel
from servanda.negotiation.strategy import Context
from servanda.negotiation.trace import Action

#: ``factory(space, seed=...) -> OpponentModel``: how a strategy makes a model.
ModelFactory = Callable[..., OpponentModel]

#: Opponent model classes by short name.
OPPONENT_MODELS: dict[str, type[OpponentModel]] = {
    "frequency": FrequencyModel,
    "bayesian": BayesianModel,
}


def make_model(model: str | ModelFactory, space: OutcomeSpace, *, seed: int = 0) -> OpponentModel:
    """A new model of one opponent over ``space``: ``model`` a name of
    :data:`OPPONENT_MODELS` or a factory called as ``model(space, seed=seed)``.

    Raises
    ------
    ValueError
        For an unknown name, naming the known ones.
    """
    if isinstance(model, str):
        return model_class(model)(space, seed=seed)
    return model(space, seed=seed)


def model_class(name: str) -> type[OpponentModel]:
    """The class of :data:`OPPONENT_MODELS` called ``name`` (case and blanks aside)."""
    cls = OPPONENT_MODELS.get(name.strip().lower())
    if cls is None:
        known = ", ".join(sorted(OPPONENT_MODELS))
        raise ValueError(f"unknown opponent model {name!r}; known: {known}")
    return cls


class OpponentModels:
    """One model per other party, learning from the offers in a context's record; usable
    by any strategy: call :meth:`observe` with each context the strategy is given.

    Only parties' own offers teach a model: a mediator's texts (party -1) and the
    strategy's own offers are skipped. It reads only the events added since the last
    call, so observing the same context twice learns nothing twice (a protocol may also
    show an older record: mediation's simultaneous proposals do).

    Parameters
    ----------
    model : str or callable, default "frequency"
        A name of :data:`OPPONENT_MODELS` or a factory ``model(space, seed=...)``.
    seed : int, default 0
        Party ``p``'s model is seeded with ``SeedSequence([seed, p])``.
    """

    def __init__(self, model: str | ModelFactory = "frequency", *, seed: int = 0):
        if isinstance(model, str):
            model_class(model)  # an unknown name fails now, not at the first offer
        elif not callable(model):
            raise TypeError(f"an opponent model is a name or a factory, got {model!r}")
        self.model, self.seed = model, seed
        self.models: dict[int, OpponentModel] = {}  # by party, in the order first heard
        self._read = 0

    def observe(self, context: Context) -> dict[int, OpponentModel]:
        """Learn from the offers made since the last call; the models by party."""
        history = context.history
        if len(history) <= self._read:
            return self.models
        outcomes = context.outcomes
        if outcomes is None:
            raise ValueError(
                "an opponent model needs the issue structure of the outcomes: "
                "the context has no outcomes (Context.outcomes); a session gives it"
            )
        for event in history[self._read :]:
            if event.action is Action.OFFER and event.party >= 0 and event.party != context.party:
                model = self.models.get(event.party)
                if model is None:
                    seed = int(
                        np.random.SeedSequence([self.seed, event.party]).generate_state(1)[0]
                    )
                    model = self.models[event.party] = make_model(
                        self.model, outcomes.space, seed=seed
                    )
                model.update(outcomes.digits[event.outcome], event.time)
        self._read = len(history)
        return self.models
