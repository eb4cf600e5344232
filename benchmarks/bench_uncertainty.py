"""Stochastic acceptability: Servanda's vectorised analysis against one analysis per draw.

Run from the repository root::

    .venv/bin/python benchmarks/bench_uncertainty.py            # every case (~2 minutes)
    .venv/bin/python benchmarks/bench_uncertainty.py --quick    # 2 parties only (~30 seconds)

The scenarios: 5 issues x 10 options (10^5 outcomes), linear-additive preferences with
seeded random weights and option values, every reservation value 0.65. Uncertain: every
weight as a range of +-0.05 around its value (the draws renormalised), one option value
per party as a range, and every reservation value as [0.60, 0.70]. Plus the Moscow example
(74,358 outcomes, 4 parties, its own uncertainty blocks) with its red lines dropped, since
under them every outcome breaks one and there is nothing to compute.

What is timed
-------------
Servanda
    ``acceptability(model, samples, seed)``: for every outcome, in how many draws it is
    Pareto-efficient, in the zone of possible agreement, the Nash point, the
    Kalai-Smorodinsky point, and in how many draws an agreement exists.
Reference, one analysis per draw
    What a straightforward implementation does: for each draw, build the drawn scenario,
    evaluate every outcome's utilities (numpy), the zone test, ``pareto_mask`` over all
    outcomes, and ``analyze`` for the Nash and Kalai-Smorodinsky points — the project's own
    vectorised kernels, one draw at a time. It is run on the first draws only (the same
    draws: same seed) and its time per draw extrapolated to all of them; the "same result"
    column compares the counts of both on those draws, outcome by outcome.

Servanda's time is one run (it takes seconds); the reference's is the fastest of up to
three runs on its subset. Target: every 10^5-outcome case in seconds (under 15 s).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from timing import best_of, duration, markdown_table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from servanda.analysis import analyze, pareto_mask, utilities  # noqa: E402
from servanda.analysis.uncertainty import DRAW_BLOCK, ROLES, acceptability  # noqa: E402
from servanda.formats.native import load_uncertain_yaml  # noqa: E402
from servanda.model import CategoricalIssue, Party, Preferences, Scenario  # noqa: E402
from servanda.model.uncertainty import Interval, PartyUncertainty, UncertainScenario  # noqa: E402

TARGET_SECONDS = 15.0


@dataclass(frozen=True)
class Case:
    name: str
    parties: int  # 0: the Moscow example
    samples: int
    reference_samples: int
    quick: bool = False


CASES = (
    Case("random 5 x 10, 2 parties", 2, 10_000, 100, quick=True),
    Case("random 5 x 10, 3 parties", 3, 10_000, 50),
    Case("Moscow example, red lines dropped", 0, 1_000, 20),
)


def random_model(parties: int, seed: int = 7) -> UncertainScenario:
    rng = np.random.default_rng(seed)
    issues = tuple(CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(10))) for k in range(5))
    members, uncertain = [], []
    for p in range(parties):
        weights = rng.random(5)
        weights /= weights.sum()
        tables = tuple(rng.random(10) for _ in range(5))
        members.append(Party(f"p{p}", Preferences(weights, tables), reservation=0.65))
        value = float(tables[0][3])
        uncertain.append(PartyUncertainty(
            weights=tuple((i, Interval(max(0.0, w - 0.05), w + 0.05)) for i, w in enumerate(weights)),
            values=((0, 3, Interval(max(0.0, value - 0.3), min(1.0, value + 0.3))),),
            reservation=Interval(0.60, 0.70),
        ))
    return UncertainScenario(Scenario("random", issues, tuple(members)), tuple(uncertain))


def moscow_model() -> UncertainScenario:
    model = load_uncertain_yaml(ROOT / "examples" / "moscow-2025.yaml")
    return model.with_scenario(model.scenario.without_red_lines())


def reference(model: UncertainScenario, samples: int, seed: int) -> dict[str, np.ndarray]:
    """One analysis per draw (see the module docstring)."""
    scenario = model.scenario
    digits = scenario.space.all()
    counts = {role: np.zeros(len(digits), dtype=np.int64) for role in ROLES}
    counts["agreement"] = np.zeros(1, dtype=np.int64)
    rng = np.random.default_rng(seed)
    done = 0
    while done < samples:
        block = model.sample(rng, min(DRAW_BLOCK, samples - done))
        for s in range(len(block)):
            drawn = model.realise(block, s)
            u = utilities(drawn, digits)
            zone = np.all(u >= drawn.reservations, axis=1)
            counts["zone"] += zone
            counts["agreement"] += bool(zone.any())
            counts["efficient"][pareto_mask(u)] += 1
            result = analyze(drawn, count=False)
            for role in ("nash", "kalai_smorodinsky"):
                point = result.solutions[role]
                if point is not None:
                    counts[role][point.index] += 1
        done += len(block)
    return counts


def run(case: Case, seed: int = 0) -> list[str]:
    model = moscow_model() if case.parties == 0 else random_model(case.parties)
    size = model.scenario.space.size
    started = time.perf_counter()
    result = acceptability(model, case.samples, seed)
    ours = time.perf_counter() - started
    subset = acceptability(model, case.reference_samples, seed)
    ref_time, ref = best_of(lambda: reference(model, case.reference_samples, seed))
    same = all(np.array_equal(subset.counts[role], ref[role]) for role in ROLES) and (
        subset.agreement == int(ref["agreement"][0])
    )
    per_draw = ref_time / case.reference_samples
    extrapolated = per_draw * case.samples
    return [
        case.name,
        f"{size:,}",
        str(len(model.scenario.parties)),
        f"{case.samples:,}",
        duration(ours),
        f"{ours / case.samples * 1e3:.2f} ms",
        f"{per_draw * 1e3:.1f} ms ({case.reference_samples} draws)",
        f"~{duration(extrapolated)}",
        f"{extrapolated / ours:.0f}x",
        "yes" if same else "NO",
        f"{result.agreement_probability:.3f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the 2-party case only")
    args = parser.parse_args()
    cases = [c for c in CASES if c.quick or not args.quick]
    header = ["case", "outcomes", "parties", "draws", "Servanda", "per draw", "reference per draw",
              "reference, all draws", "ratio", "same result", "P(agreement)"]
    rows = []
    for case in cases:
        print(f"running {case.name} ...", file=sys.stderr, flush=True)
        rows.append(run(case))
    import numpy

    print(
        f"Python {platform.python_version()}, numpy {numpy.__version__}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}; {time.strftime('%Y-%m-%d')}\n"
    )
    print(markdown_table(header, rows))
    worst = max(
        float(r[4].split()[0]) * (1e-3 if r[4].endswith("ms") else 1.0) for r in rows if "random" in r[0]
    )
    verdict = "met" if worst <= TARGET_SECONDS else "missed"
    print(f"\nTarget (10^5 outcomes x 10^4 draws in under {TARGET_SECONDS:g} s): {verdict}, slowest {worst:.1f} s.")


if __name__ == "__main__":
    main()
