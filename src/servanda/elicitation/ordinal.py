"""Ordinal regression: additive value functions from a ranking of packages or from pairwise
choices, in the UTA family (Jacquet-Lagrèze & Siskos 1982; Greco, Mousseau & Słowiński
2008 for the pairwise form).

Judgements are representable when some part-worths (see :mod:`.polytope`) satisfy every
strict one strictly and every tie exactly; this is decided by the Chebyshev centre of their
polytope (a ball of radius at least :data:`~.polytope.INTERIOR_RADIUS` fits inside).

*Fit.* Few judgements leave many value functions that explain them. The fit is the
**Chebyshev centre** of the polytope: the part-worths farthest from every constraint, i.e.
the max-margin solution in which each judgement's margin is measured as a distance (so it
also satisfies every representable judgement strictly). It is unique up to HiGHS' choice
among equally central points, and it is one linear programme.

*Conflicts.* When the judgements are not representable, the UTA error programme (one error
variable per judgement, minimise their sum with threshold ``delta``) names judgements
whose removal leaves representable ones; that set is then made inclusion-minimal by
putting each back in turn (smallest error first) whenever the rest stays representable.
So removing the reported conflicts makes the judgements representable, and each reported
conflict, put back alone, breaks them again. The fit then uses the other judgements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from scipy.stats import kendalltau

from servanda.elicitation.comparison import tie_levels
from servanda.elicitation.partworths import PartWorthModel, as_model
from servanda.elicitation.polytope import (
    INTERIOR_RADIUS,
    Polytope,
    chebyshev_centre,
    least_violation,
    partworth_polytope,
)
from servanda.errors import ScenarioError
from servanda.model import Issue, Preferences, Scenario

#: Threshold of the UTA error programme: the utility difference a strict judgement should
#: reach (on the normalised scale, where all weights sum to 1) before it counts as kept.
DEFAULT_DELTA = 0.01
#: Utility differences below this count as ties when checking a fit against judgements.
_TIE = 1e-8

#: Fitted utilities closer than this are the same level when the fit is compared with a
#: ranking (a tie reproduced by the LP differs by rounding only).
TIE_TOLERANCE = 1e-9


class Judgement(NamedTuple):
    """``better`` is preferred to ``worse`` (positions in the list of packages), or, with
    ``tie``, the two are equally good."""

    better: int
    worse: int
    tie: bool = False

    def describe(self, names: Sequence[str] | None = None) -> str:
        a, b = (names[self.better], names[self.worse]) if names else (
            f"package {self.better + 1}", f"package {self.worse + 1}")
        return f"{a} {'~' if self.tie else '>'} {b}"


@dataclass(frozen=True, eq=False)
class OrdinalFit:
    """Result of :func:`fit_judgements` / :func:`fit_ranking`.

    Attributes
    ----------
    preferences
        Normalised preferences of the central fit (of the judgements left after removing
        the conflicts).
    partworths
        Their normalised part-worths (``model.size`` numbers).
    utilities
        Fitted utility of every package.
    judgements
        The judgements fitted.
    conflicts
        Positions (in ``judgements``) of an inclusion-minimal set of judgements whose
        removal makes the rest representable; empty when all are.
    errors
        UTA error of every judgement (0 for all when they are representable).
    total_error
        Sum of the errors: 0 exactly when the judgements are representable.
    radius
        Radius of the ball around the fit inside the polytope of the kept judgements: how
        far the fit is from breaking any of them.
    reproduced
        For each judgement, whether the fitted utilities agree with it.
    tau
        Kendall's tau-b between the stated ranking and the fitted utilities (None for
        judgements that did not come from a ranking).
    """

    preferences: Preferences
    partworths: np.ndarray
    utilities: np.ndarray
    judgements: tuple[Judgement, ...]
    conflicts: tuple[int, ...]
    errors: np.ndarray
    total_error: float
    radius: float
    reproduced: np.ndarray
    tau: float | None = None

    @property
    def consistent(self) -> bool:
        """Whether some additive value function reproduces every judgement."""
        return not self.conflicts


def judgements_from_ranking(ranks: Sequence[float]) -> tuple[Judgement, ...]:
    """Judgements stating a ranking: ``ranks[j]`` is the rank of package ``j`` (1 is best,
    equal ranks are ties). Each package is preferred to each of the next rank down, and
    the packages sharing a rank are tied to the first of them."""
    ranks = _ranks(ranks)
    levels = np.unique(ranks)
    groups = [np.flatnonzero(ranks == level) for level in levels]
    judgements = [Judgement(int(g[0]), int(other), True) for g in groups for other in g[1:]]
    for upper, lower in zip(groups, groups[1:]):
        judgements += [Judgement(int(a), int(b)) for a in upper for b in lower]
    return tuple(judgements)


def fit_ranking(
    model: PartWorthModel | Scenario | Sequence[Issue],
    packages: np.ndarray,
    ranks: Sequence[float],
    *,
    delta: float = DEFAULT_DELTA,
) -> OrdinalFit:
    """Fit a ranking of packages (``ranks[j]``: rank of package ``j``, 1 best, ties equal);
    see :func:`fit_judgements`. The result's ``tau`` compares the fit with the ranking."""
    ranks = _ranks(ranks)
    model = as_model(model)
    packages = model.check_packages(packages)
    if ranks.size != packages.shape[0]:
        raise ScenarioError(f"{ranks.size} ranks for {packages.shape[0]} packages", source="ranking")
    fit = fit_judgements(model, packages, judgements_from_ranking(ranks), delta=delta)
    # Utilities reproduced as ties differ by rounding only: compare them as ties.
    levels = tie_levels(fit.utilities, TIE_TOLERANCE)
    tau = float(kendalltau(-ranks, levels).statistic) if ranks.size > 1 else 1.0
    return replace(fit, tau=tau if np.isfinite(tau) else 0.0)


def fit_judgements(
    model: PartWorthModel | Scenario | Sequence[Issue],
    packages: np.ndarray,
    judgements: Sequence[Judgement | tuple],
    *,
    delta: float = DEFAULT_DELTA,
) -> OrdinalFit:
    """Fit pairwise judgements between packages: the Chebyshev centre of the part-worths
    that reproduce them, after removing an inclusion-minimal set of conflicts (see the
    module docstring).

    Parameters
    ----------
    model
        The part-worth model, or a scenario (or its issues) for the default one.
    packages
        Option indices, shape ``(n, issues)``.
    judgements
        :class:`Judgement` s (or ``(better, worse[, tie])`` tuples) over package positions.
    delta
        Threshold of the UTA error programme used to find conflicts (default 0.01).

    Raises
    ------
    ScenarioError
        When a judgement names a missing package, or no judgement tells two packages
        apart (there is nothing to fit).
    """
    model = as_model(model)
    packages = model.check_packages(packages)
    judgements = check_judgements(judgements, packages.shape[0])
    if not delta > 0:
        raise ScenarioError(f"delta must be > 0, got {delta}")
    features = model.features(packages)
    conflicts, errors = find_conflicts(model, features, judgements, delta=delta)
    kept = [j for k, j in enumerate(judgements) if k not in set(conflicts)]
    if not any(not j.tie for j in kept):
        raise ScenarioError(
            "no judgement prefers one package to another, so there is nothing to fit; "
            "say which of two packages is better",
            source="judgements",
        )
    centre, radius = chebyshev_centre(judgement_polytope(model, features, kept))
    partworths = model.normalize(centre[: model.size])
    preferences = model.preferences(partworths)
    utilities = features @ partworths
    return OrdinalFit(
        preferences=preferences,
        partworths=partworths,
        utilities=utilities,
        judgements=tuple(judgements),
        conflicts=conflicts,
        errors=errors,
        total_error=float(errors.sum()),
        radius=radius,
        reproduced=reproduces(utilities, judgements),
    )


def is_representable(
    model: PartWorthModel, features: np.ndarray, judgements: Sequence[Judgement]
) -> bool:
    """Whether additive part-worths of ``model`` reproduce every judgement (strict ones
    strictly) over packages with these features (``model.features(packages)``)."""
    if any(not j.tie and j.better == j.worse for j in judgements):
        return False
    return chebyshev_centre(judgement_polytope(model, features, judgements))[1] > INTERIOR_RADIUS


def find_conflicts(
    model: PartWorthModel,
    features: np.ndarray,
    judgements: Sequence[Judgement],
    *,
    delta: float = DEFAULT_DELTA,
) -> tuple[tuple[int, ...], np.ndarray]:
    """An inclusion-minimal set of judgements whose removal makes the rest representable
    (empty if all are), and the UTA error of every judgement (see the module docstring)."""
    judgements = list(judgements)
    errors = np.zeros(len(judgements))
    if is_representable(model, features, judgements):
        return (), errors
    strict = [k for k, j in enumerate(judgements) if not j.tie]
    ties = [k for k, j in enumerate(judgements) if j.tie]
    polytope = judgement_polytope(model, features, [judgements[k] for k in strict + ties])
    _, sigma = least_violation(polytope, len(ties), delta)
    errors[strict + ties] = sigma
    removed = {k for k in range(len(judgements)) if errors[k] > 1e-9}
    # The kept judgements reach the threshold delta, hence are representable; should the
    # solver's rounding say otherwise, start from removing everything (always valid).
    if not is_representable(model, features, [j for k, j in enumerate(judgements) if k not in removed]):
        removed = set(range(len(judgements)))
    for k in sorted(removed, key=lambda k: (errors[k], k)):
        trial = removed - {k}
        if is_representable(model, features, [j for i, j in enumerate(judgements) if i not in trial]):
            removed = trial
    return tuple(sorted(removed)), errors


def reproduces(utilities: np.ndarray, judgements: Sequence[Judgement]) -> np.ndarray:
    """For each judgement, whether ``utilities`` (one per package) agree with it."""
    out = np.zeros(len(judgements), dtype=bool)
    for k, (better, worse, tie) in enumerate(judgements):
        gap = utilities[better] - utilities[worse]
        out[k] = abs(gap) <= _TIE if tie else gap > _TIE
    return out


def check_judgements(judgements: Sequence[Judgement | tuple], packages: int) -> list[Judgement]:
    """Judgements as :class:`Judgement` s naming existing packages, or a clear error."""
    out = []
    for k, item in enumerate(judgements):
        try:
            judgement = Judgement(*item)
            better, worse = int(judgement.better), int(judgement.worse)
        except (TypeError, ValueError):
            raise ScenarioError(
                f"judgement {k + 1} is {item!r}; expected (better, worse) or (better, worse, tie)",
                source="judgements",
            ) from None
        for position in (better, worse):
            if not 0 <= position < packages:
                raise ScenarioError(
                    f"judgement {k + 1} names package {position}; there are {packages} "
                    f"(positions 0 to {packages - 1})",
                    source="judgements",
                )
        out.append(Judgement(better, worse, bool(judgement.tie)))
    return out


def judgement_polytope(
    model: PartWorthModel, features: np.ndarray, judgements: Sequence[Judgement]
) -> Polytope:
    """The polytope of part-worths reproducing ``judgements`` over packages with these
    features (strict judgements as non-strict inequalities: the polytope is closed)."""
    strict = [j for j in judgements if not j.tie]
    ties = [j for j in judgements if j.tie]
    better = np.array([features[j.better] - features[j.worse] for j in strict]).reshape(-1, model.size)
    tied = np.array([features[j.better] - features[j.worse] for j in ties]).reshape(-1, model.size)
    return partworth_polytope(model, better, tied)


def _ranks(ranks: Sequence[float]) -> np.ndarray:
    try:
        array = np.asarray(ranks, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError("ranks must be numbers (1 = best)", source="ranking") from None
    if array.ndim != 1 or not np.all(np.isfinite(array)):
        raise ScenarioError("ranks must be a list of finite numbers (1 = best)", source="ranking")
    return array
