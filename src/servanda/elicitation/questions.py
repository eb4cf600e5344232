"""Adaptive questions: which two packages to ask the party about next, and when to stop.

After each answer the value functions consistent with the answers so far (the polytope of
:mod:`.polytope`) are sampled uniformly (:func:`~.sampling.sample_partworths`), which gives
for every pair of candidate packages the probability that the party prefers the first.
The next question is the pair whose order is most uncertain, probability closest to 1/2
(uncertainty sampling, as in the polyhedral question design of Toubia, Hauser & Simester
2004): whichever way the party answers, about half of the remaining value functions go.
Among pairs within :data:`SLACK` of the most uncertain, the one differing in fewest issues
is asked, being the easier trade-off to judge.

The estimate is the mean of the sampled normalised part-worths (the centroid of the
consistent value functions, which minimises the expected squared error under a uniform
prior on the polytope), normalised again. The session stops at the first of:

- ``max_questions`` answers;
- every pair not yet asked is decided: probability within ``certainty`` of 0 or 1;
- after at least ``min_questions`` answers, the estimated ranking of the packages has been
  stable for ``patience`` answers in a row: Kendall's tau between successive estimates at
  least ``stability``, and the same ``top`` packages first.

Answers that contradict earlier ones are kept, but the value functions are sampled from
the answers left after removing an inclusion-minimal set of conflicts
(:func:`~.ordinal.find_conflicts`), which the session reports.

Randomness comes from ``numpy.random.default_rng([seed, answers])``: the same seed and the
same answers give the same questions, whatever was computed in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import kendalltau

from servanda.elicitation.ordinal import Judgement, check_judgements, find_conflicts, is_representable
from servanda.elicitation.packages import random_packages
from servanda.elicitation.partworths import PartWorthModel, as_model
from servanda.elicitation.sampling import DEFAULT_SAMPLES, pair_probabilities, sample_partworths
from servanda.errors import ScenarioError
from servanda.model import Issue, Preferences, Scenario

#: Pairs this close to the most uncertain one count as equally uncertain (about twice the
#: standard error of a probability estimated from 400 samples).
SLACK = 0.05
Answer = Literal["first", "second", "same"]


@dataclass(frozen=True)
class Question:
    """Ask whether the party prefers package ``first`` or ``second`` (positions in the
    session's packages); ``probability`` is the current estimate that it prefers ``first``."""

    first: int
    second: int
    probability: float


@dataclass(frozen=True, eq=False)
class Belief:
    """What the answers so far say: sampled value functions and their consequences."""

    partworths: np.ndarray  # (samples, model.size), normalised
    probabilities: np.ndarray  # (packages, packages)
    utilities: np.ndarray  # estimated utility of each package
    conflicts: tuple[int, ...]  # positions in the answers


class QuestionSession:
    """An adaptive questioning of one party (see the module docstring).

    Parameters
    ----------
    model
        The part-worth model, or a scenario (or its issues) for the default one.
    packages
        The candidate packages (option indices ``(n, issues)``); default ``count`` distinct
        random outcomes.
    count
        Number of random candidates when ``packages`` is not given (default 12).
    seed
        Seed of every random draw (default 0).
    samples
        Value functions sampled after each answer (default 400).
    max_questions, min_questions, stability, patience, top, certainty
        The stopping rule (defaults 15, 3, 0.95, 2, 3, 0.05).
    """

    def __init__(
        self,
        model: PartWorthModel | Scenario | Sequence[Issue],
        packages: np.ndarray | None = None,
        *,
        count: int = 12,
        seed: int = 0,
        samples: int = DEFAULT_SAMPLES,
        max_questions: int = 15,
        min_questions: int = 3,
        stability: float = 0.95,
        patience: int = 2,
        top: int = 3,
        certainty: float = 0.05,
    ):
        self.model = as_model(model)
        self.packages = (
            random_packages(self.model.issues, count, seed)
            if packages is None
            else self.model.check_packages(packages)
        )
        if self.packages.shape[0] < 2:
            raise ScenarioError("adaptive questions need at least two candidate packages")
        self.seed = seed
        self.samples = samples
        self.max_questions = max_questions
        self.min_questions = min_questions
        self.stability = stability
        self.patience = patience
        self.top = top
        self.certainty = certainty
        self.answers: list[Judgement] = []
        self._features = self.model.features(self.packages)
        self._beliefs: list[Belief] = [self._believe()]

    # -- state -------------------------------------------------------------------------
    @property
    def belief(self) -> Belief:
        """The current belief (after the last answer)."""
        return self._beliefs[-1]

    @property
    def estimate(self) -> Preferences:
        """Estimated normalised preferences: the centroid of the consistent ones."""
        return self.model.preferences(self.belief.partworths.mean(axis=0))

    @property
    def ranking(self) -> np.ndarray:
        """Package positions from the estimated best to the estimated worst."""
        return np.argsort(-self.belief.utilities, kind="stable")

    @property
    def conflicts(self) -> tuple[int, ...]:
        """Positions (in ``answers``) of answers left out because they contradict others."""
        return self.belief.conflicts

    @property
    def uncertainty(self) -> float:
        """Mean over all pairs of packages of ``2 * min(p, 1 - p)``: 1 when every order is a
        coin toss, 0 when every order is known."""
        p = self.belief.probabilities[np.triu_indices(self.packages.shape[0], 1)]
        return float(np.mean(2 * np.minimum(p, 1 - p)))

    @property
    def stop_reason(self) -> str | None:
        """Why the session is over, or None while it is not."""
        if len(self.answers) >= self.max_questions:
            return f"{self.max_questions} questions asked"
        open_pairs = self._open_pairs()
        if not open_pairs:
            return "every pair of packages has been asked about"
        p = np.array([self.belief.probabilities[a, b] for a, b in open_pairs])
        if np.all(np.minimum(p, 1 - p) < self.certainty):
            sure = 1 - self.certainty
            return f"the order of every pair of packages is known with probability {sure:.0%}"
        if len(self.answers) >= max(self.min_questions, self.patience) and all(
            ranking_stable(old.utilities, new.utilities, self.stability, self.top)
            for old, new in zip(self._beliefs[-self.patience - 1 : -1], self._beliefs[-self.patience :])
        ):
            return f"the estimated ranking of the packages held for {self.patience} answers"
        return None

    @property
    def done(self) -> bool:
        return self.stop_reason is not None

    # -- questions and answers ---------------------------------------------------------
    def next_question(self) -> Question | None:
        """The most informative question, or None when the session is over."""
        if self.done:
            return None
        first, second = most_uncertain_pair(
            self.belief.probabilities, self._open_pairs(), self.packages
        )
        return Question(first, second, float(self.belief.probabilities[first, second]))

    def answer(self, question: Question | tuple[int, int], preference: Answer) -> None:
        """Record the party's answer to a question about two packages: it prefers the
        ``"first"``, the ``"second"``, or finds them the ``"same"``."""
        if isinstance(question, Question):
            question = (question.first, question.second)
        first, second = question
        if preference == "first":
            judgement = Judgement(first, second)
        elif preference == "second":
            judgement = Judgement(second, first)
        elif preference == "same":
            judgement = Judgement(first, second, True)
        else:
            raise ScenarioError(f"an answer is 'first', 'second' or 'same', not {preference!r}")
        check_judgements([judgement], self.packages.shape[0])
        self.answers.append(judgement)
        self._beliefs.append(self._believe())

    def _open_pairs(self) -> list[tuple[int, int]]:
        asked = {frozenset((j.better, j.worse)) for j in self.answers}
        n = self.packages.shape[0]
        return [(a, b) for a in range(n) for b in range(a + 1, n) if frozenset((a, b)) not in asked]

    def _believe(self) -> Belief:
        answers = self.answers
        conflicts: tuple[int, ...] = ()
        if answers and not is_representable(self.model, self._features, answers):
            conflicts = find_conflicts(self.model, self._features, answers)[0]
        kept = [j for k, j in enumerate(answers) if k not in conflicts]
        partworths = sample_partworths(
            self.model, self.packages, kept, self.samples, seed=[self.seed, len(answers)]
        )
        utilities = partworths @ self._features.T
        return Belief(
            partworths=partworths,
            probabilities=pair_probabilities(utilities),
            utilities=self._features @ partworths.mean(axis=0),
            conflicts=conflicts,
        )


def most_uncertain_pair(
    probabilities: np.ndarray,
    pairs: Sequence[tuple[int, int]],
    packages: np.ndarray,
    slack: float = SLACK,
) -> tuple[int, int]:
    """The pair whose order is most uncertain (probability closest to 1/2); among those
    within ``slack`` of it, the one whose packages differ in the fewest issues, then the
    most uncertain, then the first listed."""
    if not pairs:
        raise ScenarioError("no pair of packages is left to ask about")
    pairs = list(pairs)
    doubt = np.array([min(probabilities[a, b], 1 - probabilities[a, b]) for a, b in pairs])
    differ = np.array([int(np.sum(packages[a] != packages[b])) for a, b in pairs])
    near = np.flatnonzero(doubt >= doubt.max() - slack)
    best = min(near, key=lambda k: (differ[k], -doubt[k], k))
    return pairs[int(best)]


def ranking_stable(old: np.ndarray, new: np.ndarray, threshold: float, top: int) -> bool:
    """Whether two estimates of the packages' utilities order them alike: Kendall's tau-b
    at least ``threshold`` and the same ``top`` packages (as a set) first."""
    tau = kendalltau(old, new).statistic
    if not np.isfinite(tau) or tau < threshold:
        return False
    k = min(top, len(old))
    return set(np.argsort(-old, kind="stable")[:k]) == set(np.argsort(-new, kind="stable")[:k])

