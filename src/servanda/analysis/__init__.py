"""Analysis: vectorised utilities, Pareto frontiers, bargaining solutions, zone of possible
agreement and scoring of proposals."""

from servanda.analysis.frontier import Frontier
from servanda.analysis.pareto import dominates, pareto_indices, pareto_mask
from servanda.analysis.report import Analysis, PartySummary, Point, analyze
from servanda.analysis.scoring import Score, score
from servanda.analysis.solutions import (
    SOLUTIONS,
    egalitarian_point,
    kalai_smorodinsky_point,
    nash_point,
    utilitarian_point,
)
from servanda.analysis.utilities import red_line_breaches, utilities

__all__ = [
    "Analysis",
    "Frontier",
    "PartySummary",
    "Point",
    "SOLUTIONS",
    "Score",
    "analyze",
    "dominates",
    "egalitarian_point",
    "kalai_smorodinsky_point",
    "nash_point",
    "pareto_indices",
    "pareto_mask",
    "red_line_breaches",
    "score",
    "utilitarian_point",
    "utilities",
]
