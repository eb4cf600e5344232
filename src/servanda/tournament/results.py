"""A tournament's results: one row per (session, party) in an Arrow table, and the
per-strategy ranking computed from it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from servanda.errors import ServandaError, UnsupportedError

if TYPE_CHECKING:
    import pandas

#: The columns of :attr:`Results.table`, one row per party of every session.
SCHEMA = pa.schema(
    [
        pa.field("session", pa.int64(), nullable=False),  # index in the tournament
        pa.field("scenario", pa.string(), nullable=False),  # the scenario's name
        pa.field("repetition", pa.int32(), nullable=False),  # 0 .. repetitions - 1
        pa.field("seed", pa.int64(), nullable=False),  # negotiate(..., seed=seed) replays it
        pa.field("assignment", pa.string(), nullable=False),  # every party's strategy, "a vs b"
        pa.field("role", pa.int32(), nullable=False),  # the party's position in the scenario
        pa.field("party", pa.string(), nullable=False),  # the party's name
        pa.field("strategy", pa.string(), nullable=False),  # the party's strategy (its spec)
        pa.field("agreement", pa.bool_(), nullable=False),
        pa.field("ending", pa.string(), nullable=False),  # agreement, deadline, walk-away
        pa.field("rounds", pa.int32(), nullable=False),
        pa.field("utility", pa.float64(), nullable=False),  # of the result (reservation if none)
        pa.field("advantage", pa.float64(), nullable=False),  # utility minus reservation value
        pa.field("welfare", pa.float64(), nullable=False),  # sum of the parties' utilities
        pa.field("pareto_distance", pa.float64()),  # null where the point does not exist
        pa.field("nash_distance", pa.float64()),
        pa.field("kalai_distance", pa.float64()),
    ]
)

#: Schema metadata key holding the tournament's configuration (JSON).
CONFIG_KEY = b"servanda.tournament"

#: (ranking column, results column, aggregation) of :meth:`Results.ranking`, in order.
_RANKING = (
    ("plays", "session", "count"),
    ("mean_utility", "utility", "mean"),
    ("mean_advantage", "advantage", "mean"),
    ("agreement_rate", "agreement", "mean"),
    ("mean_rounds", "rounds", "mean"),
    ("mean_welfare", "welfare", "mean"),
    ("mean_pareto_distance", "pareto_distance", "mean"),
    ("mean_nash_distance", "nash_distance", "mean"),
    ("mean_kalai_distance", "kalai_distance", "mean"),
)


@dataclass(frozen=True, eq=False)
class Results:
    """The results of a tournament.

    ``table`` has the columns of :data:`SCHEMA`, one row per party of every session, in
    the order of session and then role; its schema metadata records the configuration
    the tournament was run with (key :data:`CONFIG_KEY`).
    """

    table: pa.Table

    @classmethod
    def from_batches(
        cls, batches: list[pa.RecordBatch], config: dict[str, Any] | None = None
    ) -> Results:
        """The results from the record batches of consecutive chunks of sessions, in
        order; ``config`` (JSON-ready) is recorded in the schema metadata."""
        metadata = None if config is None else {CONFIG_KEY: json.dumps(config)}
        schema = SCHEMA.with_metadata(metadata)
        return cls(pa.Table.from_batches(batches, schema=schema).combine_chunks())

    @property
    def sessions(self) -> int:
        """How many sessions were played."""
        return int(pc.count_distinct(self.table["session"]).as_py())

    @property
    def config(self) -> dict[str, Any] | None:
        """The configuration the tournament was run with, if recorded."""
        metadata = self.table.schema.metadata or {}
        return json.loads(metadata[CONFIG_KEY]) if CONFIG_KEY in metadata else None

    def to_pandas(self) -> pandas.DataFrame:
        """The table as a pandas DataFrame (needs pandas)."""
        try:
            import pandas  # noqa: F401
        except ImportError:
            raise UnsupportedError("to_pandas needs pandas: pip install pandas") from None
        return self.table.to_pandas()

    def write_parquet(self, path: str | Path) -> Path:
        """Write the table (with its metadata) to a Parquet file."""
        path = Path(path)
        pq.write_table(self.table, path)
        return path

    @classmethod
    def read_parquet(cls, path: str | Path) -> Results:
        """Read results written by :meth:`write_parquet`.

        Raises
        ------
        ServandaError
            When the file is not Parquet or lacks some column of :data:`SCHEMA`.
        """
        try:
            table = pq.read_table(path)
        except pa.ArrowInvalid as exc:
            raise ServandaError(f"{path}: not a Parquet file ({exc})") from None
        missing = [name for name in SCHEMA.names if name not in table.column_names]
        if missing:
            raise ServandaError(
                f"{path}: not tournament results; missing the columns {', '.join(missing)}"
            )
        schema = SCHEMA.with_metadata(table.schema.metadata)
        return cls(table.select(SCHEMA.names).cast(schema))

    def ranking(self) -> pa.Table:
        """Per strategy, over every (session, party) it played: ``plays`` (how many), the
        mean utility, advantage, rounds, welfare and distances to the Pareto frontier,
        the Nash point and the Kalai point (sessions where a point does not exist left
        out), and the agreement rate; best mean advantage first (ties by name)."""
        table = self.table.set_column(
            self.table.column_names.index("agreement"),
            "agreement",
            pc.cast(self.table["agreement"], pa.float64()),
        )
        # One thread: the same sums in the same order on every run.
        grouped = table.group_by("strategy", use_threads=False).aggregate(
            [(column, how) for _, column, how in _RANKING]
        )
        ranking = pa.table(
            {"strategy": grouped["strategy"]}
            | {name: grouped[f"{column}_{how}"] for name, column, how in _RANKING}
        )
        return ranking.sort_by([("mean_advantage", "descending"), ("strategy", "ascending")])
