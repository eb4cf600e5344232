"""Tournaments: the config file, the sessions, determinism across backends, the results
table, the ranking, the CLI."""

from __future__ import annotations

import itertools
import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import EXAMPLES
from servanda.analysis import analyze
from servanda.cli import main
from servanda.errors import ScenarioError, ServandaError, UnsupportedError
from servanda.formats import load_scenario
from servanda.negotiation import AlternatingOffers, negotiate
from servanda.negotiation.strategies import make_strategy
from servanda.tournament import (
    SCHEMA,
    ProtocolConfig,
    Results,
    Tournament,
    load_tournament,
    plot_results,
)
from servanda.tournament.plan import Plan

JOB = EXAMPLES / "job-offer.yaml"
SMALL = Tournament(
    scenarios=[JOB],
    strategies=["boulware", "conceder(e=3)", "random"],
    protocol={"type": "alternating", "rounds": 30},
    repetitions=2,
    seed=7,
)


@pytest.fixture(scope="module")
def small() -> Results:
    return SMALL.run(workers=1)


# -- the config file --------------------------------------------------------------------
def write_config(tmp_path, body: str):
    path = tmp_path / "tour.yaml"
    path.write_text(f"scenarios: [{JOB}]\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "body, line, expected",
    [
        ("strategies:\n  - boulware\n  - boulwre\n", 4, "unknown strategy 'boulwre'"),
        ("strategies: [boulware]\nrepetition: 3\n", 3, "unknown field 'repetition'"),
        ("strategies: [linear]\nprotocol:\n  type: mediation\n  rounds: 0\n", 5,
         "greater than or equal to 1"),
        ("strategies: [linear]\nprotocol: {type: camp-david}\n", 3, "'alternating' or 'mediation'"),
        ("strategies: [linear, boulware, linear]\n", 2, "'linear' is listed twice"),
        ("strategies: [linear]\nself_play: false\n", 3, "two strategies or more"),
        ("strategies: [boulware(e=x)]\n", 2, "cannot read 'e=x'"),
        ("strategies: [linear]\nprotocol: {rounds: null}\n", 3, "needs a deadline"),
        ("strategies: [linear]\nbackend: dask\n", 3, "'local' or 'ray'"),
        ("strategies: [linear\n", 3, "invalid YAML"),
    ],
)
def test_a_bad_config_names_the_file_the_line_and_the_problem(tmp_path, body, line, expected):
    path = write_config(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        load_tournament(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and f"line {line}" in message and expected in message


def test_a_missing_scenario_is_reported_at_its_line(tmp_path):
    path = tmp_path / "tour.yaml"
    path.write_text("strategies: [linear]\nscenarios:\n  - nowhere.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"line 3 \(scenarios\[0\]\): no scenario .*nowhere"):
        load_tournament(path)


def test_scenario_paths_are_relative_to_the_config():
    tournament = load_tournament(EXAMPLES / "tournament.yaml")
    assert tournament.scenarios == [EXAMPLES / "job-offer.yaml", EXAMPLES / "trade-deal.yaml"]
    assert tournament.repetitions == 3 and tournament.protocol.rounds == 60


# -- the sessions -----------------------------------------------------------------------
@pytest.mark.parametrize("self_play", [True, False])
@pytest.mark.parametrize("strategies, parties", [(2, 2), (3, 2), (2, 3), (4, 3)])
def test_assignments_are_every_ordered_one_in_product_order(strategies, parties, self_play):
    plan = Plan(scenarios=(), strategies=tuple(f"s{k}" for k in range(strategies)), registry={},
                protocol=AlternatingOffers(), repetitions=1, seed=0, self_play=self_play, token="")
    expected = [a for a in itertools.product(range(strategies), repeat=parties)
                if self_play or len(set(a)) > 1]
    assert [plan._assignment(rank, parties) for rank in range(len(expected))] == expected


def test_a_small_tournament_plays_every_assignment_in_every_role(small):
    table = small.table
    assert table.schema.remove_metadata() == SCHEMA
    assert small.sessions == 3**2 * 2 and table.num_rows == 2 * small.sessions
    rows = table.to_pylist()
    order = [(r["session"], r["role"]) for r in rows]
    assert order == sorted(order)
    pairs = {(r["assignment"], r["repetition"]) for r in rows}
    specs = SMALL.strategies
    assert pairs == {(f"{a} vs {b}", k) for a in specs for b in specs for k in range(2)}
    # every strategy plays every role equally often, and each session has its own seed
    roles = {(r["strategy"], r["party"]) for r in rows}
    assert len(roles) == 3 * 2 and table.num_rows == 3 * 2 * 6
    assert len(set(table["seed"].to_pylist())) == small.sessions


def test_without_self_play_no_session_has_every_party_alike():
    results = SMALL.model_copy(update={"self_play": False, "repetitions": 1}).run(workers=1)
    assert results.sessions == 3**2 - 3
    assert all(len(set(a.split(" vs "))) == 2 for a in results.table["assignment"].to_pylist())


def test_a_row_seed_replays_its_session(small):
    scenario = load_scenario(JOB)
    for row in small.table.filter(pc.equal(small.table["role"], 1)).to_pylist()[::5]:
        strategies = [make_strategy(s) for s in row["assignment"].split(" vs ")]
        trace = negotiate(scenario, strategies, AlternatingOffers(rounds=30), seed=row["seed"])
        assert trace.rounds == row["rounds"] and trace.utilities[1] == row["utility"]


def test_each_scenario_is_tabulated_and_analysed_once_per_process(monkeypatch):
    from servanda.tournament import play

    calls = []
    monkeypatch.setattr(play, "analyze", lambda s: calls.append(s) or analyze(s))
    two = SMALL.model_copy(update={"scenarios": [JOB, EXAMPLES / "trade-deal.yaml"]})
    results = two.run(workers=1, chunk_size=3)
    assert results.sessions == (3**2 + 3**3) * 2 and len(calls) == 2


def test_mediation_tournament():
    results = SMALL.model_copy(
        update={"protocol": ProtocolConfig(type="mediation", rounds=10), "repetitions": 1}
    ).run(workers=1)
    assert results.sessions == 9
    assert set(results.table["ending"].to_pylist()) <= {"agreement", "deadline", "walk-away"}


def test_progress_counts_up_to_every_session():
    calls = []
    SMALL.run(workers=1, chunk_size=5, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 18), (5, 18), (10, 18), (15, 18), (18, 18)]


# -- determinism and backends -----------------------------------------------------------
def test_same_table_with_one_worker_two_workers_and_ray(small):
    ray = pytest.importorskip("ray")
    two = SMALL.run(backend="local", workers=2)
    assert two.table.equals(small.table)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        on_ray = SMALL.run(backend="ray", chunk_size=4)
    finally:
        ray.shutdown()
    assert on_ray.table.equals(small.table)


def test_the_ray_backend_without_ray_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(UnsupportedError, match=r"pip install 'servanda\[ray\]'"):
        SMALL.run(backend="ray")


# -- results ----------------------------------------------------------------------------
def test_parquet_round_trip_keeps_the_table_and_the_config(small, tmp_path):
    back = Results.read_parquet(small.write_parquet(tmp_path / "results.parquet"))
    assert back.table.equals(small.table, check_metadata=True)
    assert back.config["strategies"] == SMALL.strategies and back.config["seed"] == 7


def test_reading_other_parquet_is_an_error(tmp_path):
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"x": [1]}), path)
    with pytest.raises(ServandaError, match="missing the columns session"):
        Results.read_parquet(path)


def test_ranking_is_the_pandas_groupby(small):
    frame = small.to_pandas()
    expected = frame.assign(agreement=frame["agreement"].astype(float)).groupby("strategy").agg(
        plays=("session", "count"),
        mean_utility=("utility", "mean"),
        mean_advantage=("advantage", "mean"),
        agreement_rate=("agreement", "mean"),
        mean_rounds=("rounds", "mean"),
        mean_welfare=("welfare", "mean"),
        mean_pareto_distance=("pareto_distance", "mean"),
        mean_nash_distance=("nash_distance", "mean"),
        mean_kalai_distance=("kalai_distance", "mean"),
    )
    ranking = small.ranking().to_pandas().set_index("strategy")
    assert list(ranking["mean_advantage"]) == sorted(ranking["mean_advantage"], reverse=True)
    assert ranking.columns.tolist() == expected.columns.tolist()
    np.testing.assert_allclose(ranking.loc[expected.index].to_numpy(float),
                               expected.to_numpy(float), rtol=1e-12)


def test_box_plots(small, tmp_path):
    pytest.importorskip("matplotlib")
    assert plot_results(small, tmp_path / "box.png").read_bytes()[:4] == b"\x89PNG"


# -- the command ------------------------------------------------------------------------
def run_cli(args, capsys):
    with pytest.raises(SystemExit) as done:
        main(args)
    out, err = capsys.readouterr()
    return done.value.code or 0, out, err


def test_the_command_prints_the_ranking_and_writes_parquet(tmp_path, capsys):
    config = tmp_path / "tour.yaml"
    config.write_text(
        f"scenarios: [{JOB}]\nstrategies: [boulware, hardliner]\nprotocol: {{rounds: 20}}\n",
        encoding="utf-8",
    )
    output = tmp_path / "results.parquet"
    code, out, _ = run_cli(["tournament", str(config), "-o", str(output), "--workers", "2"], capsys)
    assert code == 0 and "ranking over 4 sessions" in out and "hardliner" in out
    assert Results.read_parquet(output).sessions == 4
    code, out, _ = run_cli(["tournament", str(config), "--json", "--workers", "1"], capsys)
    ranking = json.loads(out)
    assert code == 0 and [r["strategy"] for r in ranking] == ["boulware", "hardliner"]


def test_the_command_reports_a_bad_config_in_one_line(tmp_path, capsys):
    config = write_config(tmp_path, "strategies: [bolware]\n")
    code, _, err = run_cli(["tournament", str(config)], capsys)
    assert code == 1 and "line 2 (strategies[0]): unknown strategy 'bolware'" in err
