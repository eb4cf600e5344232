"""Opponent models: estimates of another party's preferences from its offers, built from
the outcome space alone (a strategy never sees another party's preferences), and the
field's measures of how accurate they are.

>>> from servanda.negotiation.opponents import FrequencyModel, BayesianModel, OpponentModels
>>> model = BayesianModel(scenario.space)  # doctest: +SKIP
>>> model.update(scenario.space.outcome_at(17), time=0.1)  # doctest: +SKIP
>>> model.estimated_utilities(scenario.space.all())  # doctest: +SKIP
"""

from servanda.negotiation.opponents.accuracy import (
    ModelAccuracy,
    accuracy,
    frontier_distance,
    pearson,
    rank_distance,
)
from servanda.negotiation.opponents.base import OpponentModel
from servanda.negotiation.opponents.bayesian import BayesianModel
from servanda.negotiation.opponents.frequency import FrequencyModel
from servanda.negotiation.opponents.tracker import (
    OPPONENT_MODELS,
    ModelFactory,
    OpponentModels,
    make_model,
)

__all__ = [
    "OPPONENT_MODELS",
    "BayesianModel",
    "FrequencyModel",
    "ModelAccuracy",
    "ModelFactory",
    "OpponentModel",
    "OpponentModels",
    "accuracy",
    "frontier_distance",
    "make_model",
    "pearson",
    "rank_distance",
]
