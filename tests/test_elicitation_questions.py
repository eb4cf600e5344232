"""Uncertainty and adaptive questions: the hit-and-run sampler against exact sampling with
rejection, the samples' normal form, and question sessions answered by simulated parties
(uncertainty shrinks, faster than with random questions; the session stops; the estimate
ranks the packages as the party would; contradictions are reported; reproducible)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from servanda.elicitation import (
    Judgement,
    PartWorthModel,
    QuestionSession,
    pair_probabilities,
    random_packages,
    sample_partworths,
)
from servanda.elicitation.questions import most_uncertain_pair, ranking_stable
from servanda.errors import ScenarioError
from servanda.model import CategoricalIssue, OrdinalIssue, Preferences


def small_issues(sizes) -> tuple:
    return tuple(CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(n))) for k, n in enumerate(sizes))


def truth_for(seed: int, sizes) -> Preferences:
    rng = np.random.default_rng(seed)
    tables = []
    for n in sizes:
        table = rng.random(n)
        tables.append((table - table.min()) / (table.max() - table.min()))
    return Preferences(rng.dirichlet(2 * np.ones(len(sizes))), tuple(tables))


def exact_samples(model: PartWorthModel, count: int, seed: int) -> np.ndarray:
    """Uniform points of the part-worth polytope without judgements, drawn exactly: the
    budgets' density on the simplex is proportional to prod_i r_i ** q_i (the volume of
    the box 0 <= theta_i <= r_i), i.e. Dirichlet(q_i + 1); then theta uniform in the box."""
    rng = np.random.default_rng(seed)
    sizes = np.array([p.size for p in model.parts])
    budgets = rng.dirichlet(sizes + 1.0, size=count)
    return rng.random((count, model.size)) * budgets[:, model.issue_of]


def test_hit_and_run_matches_exact_sampling_with_rejection():
    issues = small_issues((2, 3, 2))
    model = PartWorthModel.of(issues)
    packages = random_packages(issues, 6, seed=1)
    judgements = [Judgement(0, 1), Judgement(2, 3)]
    x = model.features(packages)
    exact = exact_samples(model, 60_000, seed=2)
    gaps = np.array([exact @ (x[j.better] - x[j.worse]) for j in judgements])
    kept = exact[np.all(gaps >= 0, axis=0)]
    assert len(kept) > 5_000
    sampled = sample_partworths(model, packages, judgements, 3_000, seed=3)
    p_exact = pair_probabilities(kept @ x.T)
    p_sampled = pair_probabilities(sampled @ x.T)
    assert np.max(np.abs(p_exact - p_sampled)) < 0.05
    # And the normalised weights' means agree too.
    weights = lambda s: np.stack([b.max(axis=1) for b in model.blocks(model.normalize(s))], axis=1)
    assert np.allclose(weights(kept).mean(axis=0), weights(sampled).mean(axis=0), atol=0.03)


def test_samples_are_normalised_and_respect_every_judgement():
    issues = (OrdinalIssue("level", ("a", "b", "c")), CategoricalIssue("c", ("x", "y", "z")))
    model = PartWorthModel.of(issues, monotone={"level": "decreasing"})
    packages = np.array([[0, 2], [1, 0], [2, 0], [1, 1], [2, 2]])
    truth = Preferences([0.5, 0.5], (np.array([1.0, 0.5, 0.0]), np.array([0.0, 1.0, 0.5])))
    assert truth.evaluate(packages).tolist() == [0.75, 0.25, 0.0, 0.75, 0.25]
    judgements = [Judgement(0, 1), Judgement(1, 2), Judgement(3, 4, True)]
    samples = sample_partworths(model, packages, judgements, 500, seed=5)
    u = samples @ model.features(packages).T
    assert np.all(u[:, 0] >= u[:, 1] - 1e-9) and np.all(u[:, 1] >= u[:, 2] - 1e-9)
    assert np.allclose(u[:, 3], u[:, 4], atol=1e-9)
    blocks = model.blocks(samples)
    assert all(np.allclose(b.min(axis=1), 0) for b in blocks)
    assert np.allclose(sum(b.max(axis=1) for b in blocks), 1)
    assert np.all(np.diff(blocks[0], axis=1) <= 1e-9)  # decreasing
    again = sample_partworths(model, packages, judgements, 500, seed=5)
    assert np.array_equal(samples, again)


def test_sampling_contradictory_judgements_is_refused():
    issues = small_issues((2, 2))
    packages = np.array([[0, 0], [1, 1]])
    with pytest.raises(ScenarioError, match="contradict each other"):
        sample_partworths(issues, packages, [(0, 1), (1, 0)])


def answer_truthfully(session: QuestionSession, truth: Preferences) -> list[float]:
    curve = [session.uncertainty]
    while (question := session.next_question()) is not None:
        first, second = truth.evaluate(session.packages[[question.first, question.second]])
        session.answer(question, "first" if first > second else "second")
        curve.append(session.uncertainty)
    return curve


@pytest.mark.parametrize("seed", range(3))
def test_a_truthful_party_is_questioned_until_the_ranking_is_known(seed):
    sizes = (3, 4, 2)
    truth = truth_for(100 + seed, sizes)
    session = QuestionSession(small_issues(sizes), count=10, seed=seed)
    curve = answer_truthfully(session, truth)
    assert session.done and session.stop_reason and session.next_question() is None
    assert 3 <= len(session.answers) <= session.max_questions
    assert not session.conflicts
    assert curve[-1] < curve[0] / 4
    tau = kendalltau(truth.evaluate(session.packages), session.belief.utilities).statistic
    assert tau >= 0.8
    estimate = session.estimate
    assert np.isclose(estimate.weights.sum(), 1)
    assert np.array_equal(session.ranking, np.argsort(-session.belief.utilities, kind="stable"))


def test_adaptive_questions_shrink_uncertainty_faster_than_random_ones():
    """Mean uncertainty after eight answers, over six simulated parties: asking about the
    most uncertain pair beats asking about a random pair (measured 0.25 against 0.32 when
    this was written; 0.18 against 0.25 for the next six parties)."""
    sizes = (3, 4, 2)
    issues = small_issues(sizes)
    after = {"adaptive": [], "random": []}
    for seed in range(6):
        truth = truth_for(100 + seed, sizes)
        for mode in after:
            session = QuestionSession(issues, count=10, seed=seed, samples=200, max_questions=8, min_questions=8)
            rng = np.random.default_rng(seed)
            for _ in range(8):
                if mode == "adaptive":
                    question = session.next_question()
                    pair = (question.first, question.second)
                else:
                    asked = [{j.better, j.worse} for j in session.answers]
                    pairs = [(a, b) for a in range(10) for b in range(a + 1, 10) if {a, b} not in asked]
                    pair = pairs[int(rng.integers(len(pairs)))]
                first, second = truth.evaluate(session.packages[list(pair)])
                session.answer(pair, "first" if first > second else "second")
            after[mode].append(session.uncertainty)
    assert np.mean(after["adaptive"]) < np.mean(after["random"]) - 0.03


def test_sessions_are_reproducible_from_their_seed():
    issues = small_issues((3, 3))
    truth = truth_for(7, (3, 3))
    runs = []
    for _ in range(2):
        session = QuestionSession(issues, count=8, seed=11)
        answer_truthfully(session, truth)
        runs.append([tuple(j) for j in session.answers])
    assert runs[0] == runs[1]


def test_a_contradiction_is_reported_and_the_session_goes_on():
    issues = small_issues((2, 3))
    packages = random_packages(issues, 5, seed=2)
    session = QuestionSession(issues, packages, seed=1, max_questions=6)
    session.answer((0, 1), "first")
    session.answer((1, 2), "first")
    assert session.conflicts == ()
    session.answer((2, 0), "first")  # a cycle
    assert len(session.conflicts) == 1
    assert session.belief.probabilities.shape == (5, 5)
    session.answer((3, 4), "same")
    assert not session.done or session.stop_reason
    with pytest.raises(ScenarioError, match="'first', 'second' or 'same'"):
        session.answer((0, 1), "both")
    with pytest.raises(ScenarioError, match="names package 9"):
        session.answer((0, 9), "first")


def test_question_choice_and_stability_rules():
    p = np.array([[0.5, 0.9, 0.52], [0.1, 0.5, 0.3], [0.48, 0.7, 0.5]])
    packages = np.array([[0, 0, 0], [1, 1, 1], [1, 1, 0]])
    # (0, 2) is the most uncertain and differs in two issues only.
    assert most_uncertain_pair(p, [(0, 1), (0, 2), (1, 2)], packages) == (0, 2)
    # Within the slack, fewer differing issues win: (1, 2) differs in one issue.
    q = p.copy()
    q[1, 2], q[2, 1] = 0.47, 0.53
    assert most_uncertain_pair(q, [(0, 1), (0, 2), (1, 2)], packages) == (1, 2)
    assert ranking_stable(np.array([3.0, 2.0, 1.0]), np.array([3.1, 2.2, 0.5]), 0.95, 2)
    assert not ranking_stable(np.array([3.0, 2.0, 1.0]), np.array([2.0, 3.0, 1.0]), 0.95, 2)
    assert not ranking_stable(np.array([3.0, 2.0, 1.0]), np.array([3.0, 1.0, 2.0]), 0.3, 2)
