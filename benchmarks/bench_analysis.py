"""Pareto frontier + Nash point: Servanda against NegMAS, side by side in one run.

Run from the repository root::

    .venv/bin/python benchmarks/bench_analysis.py           # every case (~4 minutes)
    .venv/bin/python benchmarks/bench_analysis.py --quick   # small cases only (~5 seconds)

Every measurement runs in a fresh subprocess, one library per process, so that peak memory
(``ru_maxrss`` of that process, with the resident size just before the timed call as the
baseline) never mixes the two libraries or two cases. Building the scenario (loading the
GENIUS files, drawing the random tables) and building NegMAS's utility functions happen
before the clock starts; everything after is timed.

What is timed
-------------
Servanda, Pareto + Nash (the ratio is taken on this)
    ``servanda.analysis.analyze(scenario, count=False)``: the exact frontier (issue by issue
    where preferences are linear-additive, otherwise by streaming enumeration) and all four
    bargaining solutions — more than NegMAS computes.
Servanda, full analysis
    ``servanda.analysis.analyze(scenario)``: the same plus the counts that need a pass over
    every outcome (size of the zone of possible agreement, outcomes acceptable to each
    party), as ``servanda analyze`` prints them.
NegMAS, end to end
    ``pareto_frontier(ufuns, issues=issues)`` (NegMAS enumerates the outcomes and evaluates
    every utility function itself) then ``nash_points(ufuns, frontier, ranges=[(r_i,
    max_i)])`` with ``max_i`` from ``ufun.minmax``. The ranges pin NegMAS's disagreement
    point to the reservation values, as Servanda's; NegMAS's default replaces a reservation
    below the party's lowest utility with that lowest utility (see
    ``tests/test_negmas_crosscheck.py``), which would make the two compute different points.
    NegMAS's utility functions are linear-additive tables built from Servanda's own value
    tables (weights folded in), so both libraries see bit-identical utilities.

Each timed call is repeated (up to three runs, while the runs so far took under two
seconds in all) and the fastest run is reported. A NegMAS call that takes more than the
per-case timeout (120 s) is reported as ``timeout``; its process is killed once it has
also used up a minute's allowance for imports and building. The "same result" column
checks that both found the same number of distinct frontier utility vectors (among
outcomes meeting every reservation value, as NegMAS restricts to those) and the same Nash
utilities (to 1e-9).

Targets: at least 100x faster than NegMAS on every case NegMAS finishes; 10^6 outcomes in
under 1 s and 500 MB; 10^20 outcomes in under 10 s and 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from timing import best_of, duration

ROOT = Path(__file__).resolve().parent.parent
GENIUS_ANAC = ROOT.parent / "shared" / "data" / "genius" / "anac"
NEGMAS_TIMEOUT = 120.0  # seconds for the timed NegMAS call, per case
SERVANDA_TIMEOUT = 600.0
SETUP_ALLOWANCE = 60.0  # seconds a worker may spend importing and building before the clock


@dataclass(frozen=True)
class Case:
    name: str
    # "genius:<folder relative to anac/>" or "random:<issues>x<options>", optionally followed
    # by "@enumeration" to force Servanda's streaming enumeration instead of the default
    # (issue-by-issue) frontier algorithm.
    source: str
    quick: bool = False  # part of --quick
    negmas: bool = True  # False: NegMAS is not attempted
    why_not: str = ""


CASES = (
    Case("GENIUS AgentHp2 (2016)", "genius:y2016/AgentHp2"),
    Case("GENIUS Energy (2011)", "genius:y2011/Energy"),
    Case("GENIUS parsCat (2016)", "genius:y2016/parsCat"),
    Case("GENIUS killer robot (2015)", "genius:y2015/group9-killer_robot"),
    Case("GENIUS Travel (2010)", "genius:y2010/Travel", quick=True),
    Case("random 4 x 10", "random:4x10", quick=True),
    Case("random 5 x 10", "random:5x10", quick=True),
    Case("random 6 x 10", "random:6x10"),
    Case("random 6 x 10, Servanda enumerating", "random:6x10@enumeration"),
    Case("GENIUS killer robot, Servanda enumerating", "genius:y2015/group9-killer_robot@enumeration"),
    Case(
        "random 20 x 10",
        "random:20x10",
        quick=True,
        negmas=False,
        why_not="not attempted (cannot enumerate 1e20)",
    ),
)


# -- scenarios ---------------------------------------------------------------------------


def build_scenario(source: str):
    """The scenario of a case: a GENIUS domain, or two random linear-additive parties."""
    import numpy as np

    from servanda.model import CategoricalIssue, Party, Preferences, Scenario

    kind, _, spec = source.partition(":")
    if kind == "genius":
        from servanda.formats.genius import load_genius_folder

        return load_genius_folder(GENIUS_ANAC / spec)
    issues, options = (int(x) for x in spec.split("x"))
    rng = np.random.default_rng(issues * 1000 + options)
    space = tuple(
        CategoricalIssue(f"i{k}", tuple(f"o{j}" for j in range(options))) for k in range(issues)
    )
    parties = tuple(
        Party(
            name,
            Preferences(
                rng.dirichlet(np.ones(issues)), tuple(rng.random(options) for _ in range(issues))
            ),
        )
        for name in ("a", "b")
    )
    return Scenario(f"random-{issues}x{options}", space, parties)


# -- workers (one library per fresh process) ---------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux




def servanda_worker(source: str) -> dict:
    import numpy as np

    from servanda.analysis import analyze

    source, _, method = source.partition("@")
    method = method or "auto"
    scenario = build_scenario(source)
    baseline = _rss_mb()
    seconds, analysis = best_of(lambda: analyze(scenario, method=method, count=False))
    full_seconds, _ = best_of(lambda: analyze(scenario, method=method))
    peak = _peak_mb()
    zone = analysis.zone_frontier()
    nash = analysis.solutions["nash"]
    out = {
        "outcomes": scenario.space.size,
        "parties": len(scenario.parties),
        "method": analysis.method,
        "seconds": seconds,
        "peak_mb": peak,
        "baseline_mb": baseline,
        "vectors": len(np.unique(zone.utilities, axis=0)) if len(zone) else 0,
        "nash": None if nash is None else list(nash.utilities),
        "full_seconds": full_seconds,
    }
    return out


def negmas_worker(source: str) -> dict:
    from negmas.preferences.ops import nash_points, pareto_frontier

    from servanda.formats.negmas import to_negmas

    scenario = build_scenario(source.partition("@")[0])
    converted = to_negmas(scenario)
    outcome_space, ufuns = converted.outcome_space, converted.ufuns
    reservations = [party.reservation for party in scenario.parties]

    def run():
        frontier, _ = pareto_frontier(ufuns, issues=outcome_space.issues)
        ranges = [
            (r, u.minmax(outcome_space=outcome_space)[1]) for r, u in zip(reservations, ufuns)
        ]
        return frontier, nash_points(ufuns, frontier, ranges=ranges)

    baseline = _rss_mb()
    seconds, (frontier, nash) = best_of(run)
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "baseline_mb": baseline,
        "vectors": len(set(frontier)),
        "nash": [[float(x) for x in point] for point, _ in nash],
    }


def run_worker(side: str, source: str, timeout: float) -> dict | str:
    """Run one measurement in a fresh interpreter: its JSON result, or "timeout" when the
    timed call took (or would take) more than ``timeout`` seconds, or "error: ...". The
    process itself gets ``SETUP_ALLOWANCE`` more, for imports and building the scenario."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", side, source]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout + SETUP_ALLOWANCE
        )
    except subprocess.TimeoutExpired:
        return f"timeout (> {timeout:.0f} s)"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return f"error: {last}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["seconds"] > timeout:
        return f"timeout (> {timeout:.0f} s)"
    return result


# -- report ------------------------------------------------------------------------------




def _memory(result: dict) -> str:
    return f"{result['peak_mb']:.0f} MB (+{result['peak_mb'] - result['baseline_mb']:.0f})"


def _same(ours: dict, theirs: dict) -> str:
    if ours["vectors"] != theirs["vectors"]:
        return f"no: {ours['vectors']} vs {theirs['vectors']} frontier vectors"
    if ours["nash"] is None:
        return "yes" if not theirs["nash"] else "no: Nash"
    close = any(
        len(p) == len(ours["nash"]) and all(abs(a - b) <= 1e-9 for a, b in zip(p, ours["nash"]))
        for p in theirs["nash"]
    )
    return "yes" if close else "no: Nash"


def row(case: Case, ours: dict | str, theirs: dict | str | None) -> list[str]:
    if isinstance(ours, str):
        return [case.name, "", "", ours, "", "", "", "", "", ""]
    cells = [
        case.name,
        f"{ours['outcomes']:.3g}" if ours["outcomes"] >= 10**7 else f"{ours['outcomes']:,}",
        str(ours["parties"]),
        duration(ours["seconds"]),
        duration(ours["full_seconds"]),
        _memory(ours),
    ]
    if theirs is None:
        return cells + [case.why_not, "", "", ""]
    if isinstance(theirs, str):
        return cells + [theirs, "", "", ""]
    ratio = theirs["seconds"] / ours["seconds"]
    return cells + [duration(theirs["seconds"]), _memory(theirs), f"{ratio:.1f}x", _same(ours, theirs)]


HEADER = [
    "case",
    "outcomes",
    "parties",
    "Servanda Pareto + Nash",
    "Servanda full analysis",
    "Servanda peak RSS",
    "NegMAS",
    "NegMAS peak RSS",
    "ratio NegMAS/Servanda",
    "same result",
]


def markdown(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def targets(results: list[tuple[Case, dict | str, dict | str | None]]) -> list[str]:
    notes = []
    for case, ours, theirs in results:
        if isinstance(ours, str):
            notes.append(f"- {case.name}: Servanda {ours}")
            continue
        if isinstance(theirs, dict):
            ratio = theirs["seconds"] / ours["seconds"]
            verdict = "met" if ratio >= 100 else "MISSED"
            notes.append(f"- {case.name}: >= 100x faster than NegMAS: {verdict} ({ratio:.1f}x)")
        size, seconds, peak = ours["outcomes"], ours["seconds"], ours["peak_mb"]
        if size == 10**6:
            verdict = "met" if seconds < 1 and peak < 500 else "MISSED"
            measured = f"{duration(seconds)}, {peak:.0f} MB"
            notes.append(f"- 10^6 outcomes < 1 s and < 500 MB: {verdict} ({measured})")
        if size == 10**20:
            verdict = "met" if seconds < 10 and peak < 2048 else "MISSED"
            measured = f"{duration(seconds)}, {peak:.0f} MB"
            notes.append(f"- 10^20 outcomes < 10 s and < 2 GB: {verdict} ({measured})")
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the small cases")
    parser.add_argument("--worker", nargs=2, metavar=("SIDE", "SOURCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        side, source = args.worker
        result = servanda_worker(source) if side == "servanda" else negmas_worker(source)
        print(json.dumps(result))
        return

    import negmas
    import numpy

    cases = [c for c in CASES if c.quick or not args.quick]
    print(
        f"Python {platform.python_version()}, numpy {numpy.__version__}, "
        f"NegMAS {negmas.__version__}, {os.cpu_count()} CPUs, {platform.machine()}; "
        f"NegMAS timeout {NEGMAS_TIMEOUT:.0f} s per case",
        flush=True,
    )
    results = []
    for case in cases:
        ours = run_worker("servanda", case.source, SERVANDA_TIMEOUT)
        theirs = run_worker("negmas", case.source, NEGMAS_TIMEOUT) if case.negmas else None
        results.append((case, ours, theirs))
        print(f"  done: {case.name}", file=sys.stderr, flush=True)
    print()
    print(markdown([row(*r) for r in results]))
    print()
    print("Peak RSS: the whole fresh process (interpreter and imports included); in brackets,")
    print("the growth over its resident size just before the timed call.")
    print()
    print("\n".join(targets(results)))


if __name__ == "__main__":
    main()
