"""Tournaments: many sessions over strategies x scenarios x role assignments x repetitions,
on local processes or a Ray cluster, with the field's standard metrics as an Arrow table.

>>> from servanda.tournament import load_tournament
>>> results = load_tournament("examples/tournament.yaml").run(workers=2)  # doctest: +SKIP
>>> results.ranking().to_pandas()  # doctest: +SKIP
"""

from servanda.tournament.backends import run
from servanda.tournament.config import ProtocolConfig, Tournament, load_tournament
from servanda.tournament.plot import plot_results, results_figure
from servanda.tournament.results import SCHEMA, Results

__all__ = [
    "SCHEMA",
    "ProtocolConfig",
    "Results",
    "Tournament",
    "load_tournament",
    "plot_results",
    "results_figure",
    "run",
]
