"""Elicitation: a party's own preferences from direct ratings, ratings or rankings of whole
packages, pairwise choices, and adaptive questions.

Every method ends in normalised :class:`~servanda.model.Preferences` (weights summing to 1,
in every issue the best option worth 1 and the worst 0), so that the methods can be
compared with one another (:func:`compare_preferences`) and written to a scenario file
(:func:`with_preferences`).

=========================  ===================================================================
direct ratings (Inspire)   :func:`preferences_from_ratings`
ratings of packages        :func:`fit_package_ratings` (least squares, metric conjoint)
ranking / pairwise choices :func:`fit_ranking`, :func:`fit_judgements` (UTA linear programmes)
adaptive questions         :class:`QuestionSession`
package check              :func:`compare_preferences`
=========================  ===================================================================
"""

try:
    import scipy  # noqa: F401
except ImportError as exc:  # pragma: no cover - scipy is installed with servanda
    raise ImportError(
        "servanda.elicitation needs SciPy (linear programmes and least squares): "
        "pip install 'scipy>=1.11'"
    ) from exc

from servanda.elicitation.apply import with_preferences
from servanda.elicitation.comparison import PreferenceComparison, compare_preferences
from servanda.elicitation.conjoint import RatingFit, fit_package_ratings
from servanda.elicitation.direct import option_values, preferences_from_ratings, rating_table
from servanda.elicitation.ordinal import (
    Judgement,
    OrdinalFit,
    find_conflicts,
    fit_judgements,
    fit_ranking,
    is_representable,
    judgements_from_ranking,
)
from servanda.elicitation.packages import design_packages, random_packages
from servanda.elicitation.partworths import IssueParts, PartWorthModel
from servanda.elicitation.questions import Question, QuestionSession
from servanda.elicitation.sampling import pair_probabilities, sample_partworths

__all__ = [
    "IssueParts",
    "Judgement",
    "OrdinalFit",
    "PartWorthModel",
    "PreferenceComparison",
    "Question",
    "QuestionSession",
    "RatingFit",
    "compare_preferences",
    "design_packages",
    "find_conflicts",
    "fit_judgements",
    "fit_package_ratings",
    "fit_ranking",
    "is_representable",
    "judgements_from_ranking",
    "option_values",
    "pair_probabilities",
    "preferences_from_ratings",
    "random_packages",
    "rating_table",
    "sample_partworths",
    "with_preferences",
]
