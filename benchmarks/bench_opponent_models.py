"""Opponent models on the ANAC domains: how accurately the frequency and the Bayesian model
learn an opponent from its offers, and whether bidding with a model pays.

Run from the repository root::

    .venv/bin/python benchmarks/bench_opponent_models.py            # 14 domains (~25 seconds)
    .venv/bin/python benchmarks/bench_opponent_models.py --quick    # 4 domains (~10 seconds)
    .venv/bin/python benchmarks/bench_opponent_models.py --seed 3 --repetitions 3

The same command and seed print the same tables (the times aside).

Domains
-------
Fourteen bilateral ANAC domains (2010, 2011, 2013) of 112 to 56,700 outcomes, all with
linear-additive profiles; ``--quick`` takes four of them. Left out: duplicates of listed
domains (ANAC 2013's Acquisition and cameradomain), those above 10^5 outcomes (Travel,
Energy), and those the Bayesian model's defaults (``concession`` 0.2; ``sigma``, ``levels``
and the weight hypotheses hardly matter) were chosen on, so that they are not judged on
their own training set: HouseKeeping, Lunch, Outfit, DefensiveCharms, Laptop, planes (and
the trivial NiceOrDie, Fifty2013, Ultimatum). Every domain is played as GENIUS ships
it: reservation values (0 to 0.6 here) and discount factors (seven of them) included; the
models learn the undiscounted utilities, which the accuracy measures compare with.

1. Accuracy
-----------
Per domain, each opponent of ``OPPONENTS`` — time-dependent Boulware (e = 0.2), linear and
conceder (e = 5), and the engine's tit-for-tat, random-acceptable and hardliner — negotiates
``--repetitions`` times in each role against a plain Boulware (e = 0.2), under alternating
offers with a deadline of ``--rounds`` rounds. Both models learn from the very same offers
of the opponent (replayed from the trace, in order, with their times: exactly what a
strategy's model sees during the session), and are scored at the end of the session
against the opponent's true utilities over every outcome (Baarslag et al., "Predicting the
performance of opponent models in automated negotiation", IAT 2013):

Pearson
    correlation between estimated and true utilities (higher is better);
rank
    normalised Kendall distance between the two rankings of the outcomes (0: same order; a
    pair tied in one ranking only counts one half; over 10^6 sampled pairs beyond 2 * 10^6
    pairs), lower is better;
frontier
    mean distance from each true Pareto-frontier point to the nearest outcome of the
    frontier the model implies (own utility against estimated opponent utility), in the
    true utility space; lower is better.

A row averages the sessions of its domain; "mean" averages the domains. The time column
is the mean time of one model update (per offer, repeated offers included).

2. Bidding with a model
-----------------------
A tournament (:class:`servanda.tournament.Tournament`, every strategy against every
strategy in both roles, ``--repetitions`` times, same deadline) on the same domains with
the strategies ``frontier-frequency(e=0.2)``, ``frontier-bayesian(e=0.2)`` — Boulware
targets, offering at the target the outcome best for the opponent by the model — the plain
``boulware(e=0.2)`` with the same target, and the opponents above. The table compares the
three against the same opponents (``OPPONENTS``): own utility, agreement rate, social
welfare (sum of both utilities), distance of the result to the Pareto frontier, the
opponent's utility, and, paired session by session with the plain Boulware (same domain,
opponent, role and repetition), how often the model-based strategy got more, the same, or
less. A failed negotiation gives each party its reservation value (GENIUS's rule).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from timing import markdown_table

from servanda.formats.genius import load_genius_folder
from servanda.negotiation import AlternatingOffers, OutcomeTable
from servanda.negotiation.opponents import BayesianModel, FrequencyModel, accuracy
from servanda.negotiation.strategies import make_strategy
from servanda.negotiation.trace import Action
from servanda.tournament import Tournament

ROOT = Path(__file__).resolve().parent.parent
GENIUS_ANAC = ROOT.parent / "shared" / "data" / "genius" / "anac"

DOMAINS = (
    "y2010/EnglandZimbabwe",
    "y2010/ItexvsCypress",
    "y2011/Amsterdam",
    "y2011/Camera",
    "y2011/Car",
    "y2011/Grocery",
    "y2011/IS_BT_Acquisition",
    "y2013/Animal",
    "y2013/Coffee",
    "y2013/DogChoosing",
    "y2013/Icecream",
    "y2013/Kitchen",
    "y2013/SmartPhone",
    "y2013/Wholesaler",
)
QUICK = ("y2010/ItexvsCypress", "y2011/Grocery", "y2013/Coffee", "y2013/Wholesaler")
OBSERVER = "boulware(e=0.2)"  # the party whose model learns, in part 1
OPPONENTS = ("boulware(e=0.2)", "linear", "conceder(e=5)", "tit-for-tat", "random", "hardliner")
MODELS = {"frequency": FrequencyModel, "bayesian": BayesianModel}
FOCAL = ("frontier-frequency(e=0.2)", "frontier-bayesian(e=0.2)", "boulware(e=0.2)")
PLAIN = "boulware(e=0.2)"


def session_seed(seed: int, *key: int) -> int:
    return int(np.random.SeedSequence([seed, *key]).generate_state(1)[0])


def accuracy_of_domain(folder: Path, args: argparse.Namespace, index: int) -> dict:
    """Part 1 on one domain: the mean measures of each model, and how long updates took."""
    scenario = load_genius_folder(folder)
    table = OutcomeTable.of(scenario)
    digits = table.outcomes.digits
    protocol = AlternatingOffers(rounds=args.rounds)
    scores: dict[str, list] = defaultdict(list)
    by_opponent: dict[tuple[str, str], list] = defaultdict(list)
    seconds = dict.fromkeys(MODELS, 0.0)
    offers_seen = []
    k = 0
    for opponent in OPPONENTS:
        for role in (0, 1):  # the opponent's role
            for _ in range(args.repetitions):
                strategies = [None, None]
                strategies[role] = make_strategy(opponent)
                strategies[1 - role] = make_strategy(OBSERVER)
                trace = protocol.run(table, strategies, seed=session_seed(args.seed, index, k))
                k += 1
                offers = [
                    (digits[e.outcome], e.time)
                    for e in trace.events
                    if e.action is Action.OFFER and e.party == role
                ]
                offers_seen.append(len(offers))
                true, own = table.utilities[:, role], table.utilities[:, 1 - role]
                for name, cls in MODELS.items():
                    model = cls(scenario.space)
                    start = time.perf_counter()
                    for offer, when in offers:
                        model.update(offer, when)
                    seconds[name] += time.perf_counter() - start
                    measured = accuracy(
                        model.estimated_utilities(digits), true, own, seed=args.seed
                    )
                    row = (measured.pearson, measured.rank_distance, measured.frontier_distance)
                    scores[name].append(row)
                    by_opponent[name, opponent].append(row)
    updates = max(sum(offers_seen), 1)
    return {
        "name": folder.name,
        "outcomes": table.size,
        "offers": float(np.mean(offers_seen)),
        "mean": {name: np.mean(rows, axis=0) for name, rows in scores.items()},
        "by_opponent": by_opponent,
        "update_us": {name: 1e6 * s / updates for name, s in seconds.items()},
    }


def print_accuracy(results: list[dict]) -> None:
    header = [
        "domain",
        "outcomes",
        "offers",
        "Pearson F",
        "Pearson B",
        "rank F",
        "rank B",
        "frontier F",
        "frontier B",
        "update F",
        "update B",
    ]
    rows = []
    for r in results:
        f, b = r["mean"]["frequency"], r["mean"]["bayesian"]
        rows.append(
            [
                r["name"],
                f"{r['outcomes']:,}",
                f"{r['offers']:.0f}",
                *_pair(f[0], b[0], higher=True),
                *_pair(f[1], b[1]),
                *_pair(f[2], b[2]),
                f"{r['update_us']['frequency']:.0f} µs",
                f"{r['update_us']['bayesian']:.0f} µs",
            ]
        )
    f = np.mean([r["mean"]["frequency"] for r in results], axis=0)
    b = np.mean([r["mean"]["bayesian"] for r in results], axis=0)
    rows.append(
        [
            "**mean**",
            "",
            f"{np.mean([r['offers'] for r in results]):.0f}",
            *_pair(f[0], b[0], higher=True),
            *_pair(f[1], b[1]),
            *_pair(f[2], b[2]),
            f"{np.mean([r['update_us']['frequency'] for r in results]):.0f} µs",
            f"{np.mean([r['update_us']['bayesian'] for r in results]):.0f} µs",
        ]
    )
    print("Accuracy at the end of the session (F: frequency, B: Bayesian; the better in bold)\n")
    print(markdown_table(header, rows))
    n = len(results)
    sign = np.array([1.0, -1.0, -1.0])  # higher Pearson, lower distances are better
    wins = sum(
        sign * r["mean"]["bayesian"] >= sign * r["mean"]["frequency"] for r in results
    ).astype(int)
    print(
        f"\nBayesian at least as accurate as frequency on {wins[0]}/{n} domains by Pearson, "
        f"{wins[1]}/{n} by rank distance, {wins[2]}/{n} by frontier distance.\n"
    )
    header = ["opponent", "Pearson F", "Pearson B", "rank F", "rank B", "frontier F", "frontier B"]
    rows = []
    for opponent in OPPONENTS:
        f = np.mean(
            [row for r in results for row in r["by_opponent"]["frequency", opponent]], axis=0
        )
        b = np.mean(
            [row for r in results for row in r["by_opponent"]["bayesian", opponent]], axis=0
        )
        rows.append(
            [opponent, *_pair(f[0], b[0], higher=True), *_pair(f[1], b[1]), *_pair(f[2], b[2])]
        )
    print("By opponent (mean over the domains' sessions)\n")
    print(markdown_table(header, rows))


def _pair(f: float, b: float, higher: bool = False) -> list[str]:
    """The two numbers, the better one in bold (both when equal to three decimals)."""
    cells = [f"{f:.3f}", f"{b:.3f}"]
    if cells[0] == cells[1]:
        return cells
    better = int((b > f) == higher)
    cells[better] = f"**{cells[better]}**"
    return cells


def bidding(domains: list[Path], args: argparse.Namespace) -> list[list[str]]:
    """Part 2: the tournament, and the table of the focal strategies against OPPONENTS."""
    strategies = list(dict.fromkeys(FOCAL + OPPONENTS))
    tournament = Tournament(
        scenarios=domains,
        strategies=strategies,
        protocol={"type": "alternating", "rounds": args.rounds},
        repetitions=args.repetitions,
        seed=args.seed,
        workers=args.workers,
    )
    start = time.perf_counter()
    columns = tournament.run().table.to_pydict()
    elapsed = time.perf_counter() - start
    rows_of: dict[int, list[int]] = defaultdict(list)
    for row, session in enumerate(columns["session"]):
        rows_of[session].append(row)
    got: dict[str, list[tuple]] = defaultdict(list)
    paired: dict[str, dict[tuple, float]] = defaultdict(dict)
    versus: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for a, b in rows_of.values():
        for me, them in ((a, b), (b, a)):
            strategy, opponent = columns["strategy"][me], columns["strategy"][them]
            if strategy not in FOCAL or opponent not in OPPONENTS:
                continue
            got[strategy].append(
                (
                    columns["utility"][me],
                    columns["agreement"][me],
                    columns["welfare"][me],
                    columns["pareto_distance"][me],
                    columns["utility"][them],
                )
            )
            key = (
                columns["scenario"][me],
                opponent,
                columns["role"][me],
                columns["repetition"][me],
            )
            paired[strategy][key] = columns["utility"][me]
            versus[strategy, opponent].append((columns["utility"][me], columns["agreement"][me]))
    header = [
        "strategy",
        "sessions",
        "own utility",
        "agreement rate",
        "welfare",
        "Pareto distance",
        "opponent's utility",
        "vs plain: more / same / less",
    ]
    rows = []
    for strategy in FOCAL:
        mean = np.nanmean(np.array(got[strategy], dtype=float), axis=0)
        if strategy == PLAIN:
            wins = "—"
        else:
            diffs = np.array([paired[strategy][key] - paired[PLAIN][key] for key in paired[PLAIN]])
            wins = (
                f"{(diffs > 1e-9).sum()} / {(abs(diffs) <= 1e-9).sum()} / {(diffs < -1e-9).sum()}"
            )
        rows.append(
            [
                strategy,
                str(len(got[strategy])),
                f"{mean[0]:.3f}",
                f"{mean[1]:.1%}",
                f"{mean[2]:.3f}",
                f"{mean[3]:.3f}",
                f"{mean[4]:.3f}",
                wins,
            ]
        )
    print(
        f"Bidding with a model: {len(strategies)} strategies, {len(domains)} domains, "
        f"{len(rows_of)} sessions in {elapsed:.1f} s; rows: against {', '.join(OPPONENTS)}\n"
    )
    print(markdown_table(header, rows))
    header = ["opponent"] + [f"{strategy}: utility, agreements" for strategy in FOCAL]
    table = []
    for opponent in OPPONENTS:
        cells = [opponent]
        for strategy in FOCAL:
            utility, agreed = np.mean(versus[strategy, opponent], axis=0)
            cells.append(f"{utility:.3f}, {agreed:.0%}")
        table.append(cells)
    print("\nBy opponent (own utility, agreement rate)\n")
    print(markdown_table(header, table))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="four domains only")
    parser.add_argument("--seed", type=int, default=0, help="root of every session's seed")
    parser.add_argument("--repetitions", type=int, default=2, help="sessions per pairing and role")
    parser.add_argument("--rounds", type=int, default=100, help="deadline in rounds")
    parser.add_argument("--workers", type=int, default=1, help="processes for the tournament")
    args = parser.parse_args()
    if not GENIUS_ANAC.exists():
        raise SystemExit(f"the ANAC domains are not at {GENIUS_ANAC}")
    folders = [GENIUS_ANAC / name for name in (QUICK if args.quick else DOMAINS)]
    print(
        f"seed {args.seed}, {args.repetitions} repetitions, {args.rounds} rounds, "
        f"{len(folders)} domains\n"
    )
    start = time.perf_counter()
    results = [accuracy_of_domain(folder, args, i) for i, folder in enumerate(folders)]
    print_accuracy(results)
    print(f"\n({time.perf_counter() - start:.1f} s)\n")
    bidding(folders, args)


if __name__ == "__main__":
    main()
