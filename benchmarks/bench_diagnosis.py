"""Deadlock diagnosis: Servanda's CP-SAT diagnosis against enumerating the outcomes.

Run from the repository root::

    .venv/bin/python benchmarks/bench_diagnosis.py            # both cases (~10 seconds)
    .venv/bin/python benchmarks/bench_diagnosis.py --quick    # 10^6 outcomes only (~5 seconds)

The scenarios: four parties with linear-additive preferences (seeded random weights and
option values) and five red lines each, twenty in all, a mix of single-issue conditions
("never these options", "only those") and two-issue boxes ("never these together"). Some
of them exclude each other by construction, so no agreement is possible: party a accepts
only three options of the first issue where party b refuses four that include them; party
c refuses a block of two issues that party d's "only" lines confine the outcome to; and
every reservation value asks for 60 % of the party's range. One case has 6 issues x 10
options (10^6 outcomes), the other 20 x 10 (10^20).

What is timed
-------------
Servanda, without relaxed analysis
    ``diagnose(scenario, analyze_relaxed=False)``: every blocking set (MARCO, each subset
    checked by CP-SAT), the ways out met on the way, and the optimal minimal relaxation.
Servanda, full call
    ``diagnose(scenario)``: the same plus ``analyze`` of the relaxed scenario. On 10^20
    outcomes the relaxed scenario keeps two-issue red lines, which the issue-by-issue
    frontier cannot take, so that analysis is refused (the output says so) and the time is
    that of the refusal.
Reference, enumeration
    What a diagnosis that enumerates outcomes needs for *each subset* it checks: one pass
    over every outcome, in chunks of 2^18 (``OutcomeSpace.chunks``), evaluating every
    party's utility and every red line with numpy, asking whether any outcome meets every
    constraint. On 10^6 outcomes it is run; on 10^20 its time is extrapolated from the time
    per outcome measured on 2^20 sampled outcomes of that scenario. A brute-force diagnosis
    would make at least as many such checks as CP-SAT makes oracle calls; the output gives
    both that product and the plain ratio to one check.

The oracle calls are counted by running ``blocking_sets`` (the first step of ``diagnose``,
deterministic with CP-SAT's single worker) once more outside the clock.

Each timed call is repeated (up to three runs, while the runs so far took under two
seconds in all) and the fastest run is reported.

Target: ``diagnose`` under 5 s on each case.
"""

from __future__ import annotations

import argparse
import os
import platform
from dataclasses import dataclass

import numpy as np

from timing import best_of, duration, markdown_table

TARGET_SECONDS = 5.0
PARTIES = ("a", "b", "c", "d")
LINES_PER_PARTY = 5
OPTIONS = 10


@dataclass(frozen=True)
class Case:
    name: str
    issues: int
    quick: bool = False


CASES = (Case("6 x 10", 6, quick=True), Case("20 x 10", 20))


# -- scenarios ---------------------------------------------------------------------------


def _mask(options, size: int = OPTIONS) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[list(options)] = True
    return mask


def build_scenario(issues: int, seed: int = 2025):
    """Four parties, twenty red lines, no agreement possible (see the module docstring)."""
    from servanda.model import CategoricalIssue, Party, Preferences, RedLine, Scenario

    rng = np.random.default_rng(seed + issues)
    space = tuple(
        CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(OPTIONS))) for k in range(issues)
    )

    def single(name: str) -> RedLine:
        issue = int(rng.integers(issues))
        if rng.random() < 0.5:  # never one to three options
            forbidden = _mask(rng.choice(OPTIONS, size=int(rng.integers(1, 4)), replace=False))
        else:  # only six to nine options
            allowed = rng.choice(OPTIONS, size=int(rng.integers(6, 10)), replace=False)
            forbidden = ~_mask(allowed)
        return RedLine(name, (((issue, forbidden),),))

    def pair(name: str) -> RedLine:
        first, second = sorted(rng.choice(issues, size=2, replace=False).tolist())
        box = tuple(
            (i, _mask(rng.choice(OPTIONS, size=int(rng.integers(2, 6)), replace=False)))
            for i in (first, second)
        )
        return RedLine(name, (box,))

    # The planted conflicts.
    planted = {
        "a": [RedLine("a: only o0-o2 on i0", (((0, ~_mask(range(3))),),))],
        "b": [RedLine("b: never o0-o3 on i0", (((0, _mask(range(4))),),))],
        "c": [
            RedLine(
                "c: never o0-o4 on i1 with o0-o4 on i2",
                (((1, _mask(range(5))), (2, _mask(range(5)))),),
            )
        ],
        "d": [
            RedLine("d: only o0-o4 on i1", (((1, ~_mask(range(5))),),)),
            RedLine("d: only o0-o4 on i2", (((2, ~_mask(range(5))),),)),
        ],
    }
    parties = []
    for name in PARTIES:
        lines = planted[name]
        k = len(lines)
        while len(lines) < LINES_PER_PARTY:
            # Three single-issue lines and two two-issue boxes per party, planted ones included.
            make = pair if len(lines) >= 3 else single
            lines.append(make(f"{name}: line {k}"))
            k += 1
        preferences = Preferences(
            rng.dirichlet(np.ones(issues)), tuple(rng.random(OPTIONS) for _ in range(issues))
        )
        low, high = preferences.bounds()
        parties.append(
            Party(name, preferences, reservation=low + 0.6 * (high - low), red_lines=tuple(lines))
        )
    return Scenario(f"deadlock-{issues}x{OPTIONS}", space, tuple(parties))


# -- reference: enumeration --------------------------------------------------------------


def any_outcome_meets_everything(scenario, digits_chunks) -> tuple[bool, int]:
    """Whether some outcome breaks no red line and gives every party its reservation value,
    by evaluating every outcome; also how many outcomes were looked at."""
    found, seen = False, 0
    for digits in digits_chunks:
        ok = np.ones(len(digits), dtype=bool)
        for party in scenario.parties:
            ok &= party.preferences.evaluate(digits) >= party.reservation
            for line in party.red_lines:
                ok &= ~line.violated(digits)
        found |= bool(ok.any())
        seen += len(digits)
    return found, seen


# -- measurements ------------------------------------------------------------------------




def measure(case: Case) -> dict:
    from servanda.analysis.diagnosis import blocking_sets, constraints_of, diagnose

    scenario = build_scenario(case.issues)
    seconds, result = best_of(lambda: diagnose(scenario, analyze_relaxed=False))
    full_seconds, full = best_of(lambda: diagnose(scenario))
    search = blocking_sets(scenario, constraints_of(scenario))
    out = {
        "outcomes": scenario.space.size,
        "constraints": len(constraints_of(scenario)),
        "seconds": seconds,
        "full_seconds": full_seconds,
        "agreement": result.agreement_possible,
        "blocking": len(result.blocking_sets),
        "sizes": sorted(len(b.constraints) for b in result.blocking_sets),
        "complete": result.complete,
        "ways_out": len(result.ways_out),
        "calls": search.checks,
        "dropped": [c.label for c in result.relaxation.dropped] if result.relaxation else [],
        "lowered": list(result.relaxation.lowered) if result.relaxation else [],
        "optimal": result.relaxation.optimal if result.relaxation else None,
        "nash": bool(full.relaxation and full.relaxation.analysis
                     and full.relaxation.analysis.solutions.get("nash") is not None),
        "note": full.relaxation.note if full.relaxation else "",
    }
    space = scenario.space
    if space.size <= 10**7:
        check_seconds, (feasible, seen) = best_of(
            lambda: any_outcome_meets_everything(scenario, space.chunks(1 << 18))
        )
        out.update(check_seconds=check_seconds, check_feasible=feasible, extrapolated=False)
    else:
        sample = 1 << 20
        chunks = [space.sample(1 << 18, seed=s) for s in range(sample >> 18)]
        per_outcome, _ = best_of(lambda: any_outcome_meets_everything(scenario, chunks))
        out.update(check_seconds=per_outcome / sample * space.size, check_feasible=None,
                   extrapolated=True)
    return out


# -- report ------------------------------------------------------------------------------




HEADER = [
    "case",
    "outcomes",
    "constraints",
    "diagnose, no relaxed analysis",
    "diagnose, full",
    "blocking sets (sizes)",
    "complete",
    "ways out",
    "oracle calls",
    "enumeration: one check",
    "diagnose / one check",
    "enumeration x oracle calls",
]


def row(case: Case, r: dict) -> list[str]:
    check = duration(r["check_seconds"]) + (" (extrapolated)" if r["extrapolated"] else "")
    brute = r["check_seconds"] * r["calls"]
    return [
        case.name,
        f"{r['outcomes']:.3g}" if r["outcomes"] >= 10**7 else f"{r['outcomes']:,}",
        str(r["constraints"]),
        duration(r["seconds"]),
        duration(r["full_seconds"]),
        f"{r['blocking']} ({', '.join(map(str, r['sizes']))})",
        "yes" if r["complete"] else "no",
        str(r["ways_out"]),
        str(r["calls"]),
        check,
        f"{r['seconds'] / r['check_seconds']:.3g}",
        f"{duration(brute)} ({brute / r['seconds']:.3g}x diagnose)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the 10^6 case")
    args = parser.parse_args()

    import ortools

    cases = [c for c in CASES if c.quick or not args.quick]
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, OR-Tools "
        f"{ortools.__version__} (CP-SAT, one worker), {os.cpu_count()} CPUs, {platform.machine()}",
        flush=True,
    )
    results = []
    for case in cases:
        results.append((case, measure(case)))
    print()
    print(markdown_table(HEADER, [row(case, r) for case, r in results]))
    print()
    print("One check: one pass over every outcome asking whether any meets all constraints,")
    print("as a brute-force diagnosis needs per subset; 'enumeration x oracle calls': that pass")
    print("once for every subset CP-SAT checked.")
    print()
    for case, r in results:
        assert not r["agreement"] and r["check_feasible"] in (False, None)
        fast = max(r["seconds"], r["full_seconds"]) < TARGET_SECONDS
        print(
            f"- {case.name}: diagnose < {TARGET_SECONDS:.0f} s: {'met' if fast else 'MISSED'} "
            f"({duration(r['seconds'])}; full call {duration(r['full_seconds'])})"
        )
        changes = [f"drop {d}" for d in r["dropped"]]
        changes += [f"lower {p}'s reservation value by {v:.3g}" for p, v in r["lowered"]]
        proven = "optimal" if r["optimal"] else "not proven optimal"
        print(f"  relaxation ({proven}): {'; '.join(changes)}")
        analysed = "Nash point found" if r["nash"] else r["note"] or "no Nash point"
        print(f"  relaxed analysis: {analysed}")


if __name__ == "__main__":
    main()
