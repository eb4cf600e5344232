"""A tournament's configuration: which scenarios, strategies, protocol, repetitions and
seed, and where to run it. A pydantic model, so that a YAML file is checked at the edge
and a bad one gets one :class:`~servanda.errors.ScenarioError` naming the file, the line
and the field.

Example file (paths are relative to the file)::

    scenarios: [job-offer.yaml, trade-deal.yaml]
    strategies: [boulware, linear, conceder, hardliner, tit-for-tat, random]
    protocol: {type: alternating, rounds: 60}
    repetitions: 3
    seed: 0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from servanda.errors import ScenarioError
from servanda.negotiation.protocols import AlternatingOffers, NegotiationProtocol, SingleText
from servanda.negotiation.strategies import make_strategy

if TYPE_CHECKING:
    from servanda.tournament.results import Results

Backend = Literal["local", "ray"]
#: ``progress(done, total)``: sessions played so far, and in all.
ProgressCallback = Callable[[int, int], None]


class _Strict(BaseModel):
    # Unknown fields are typos; NaN and infinity are never meaningful here.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _strategy_spec(spec: str) -> str:
    make_strategy(spec)  # its ValueError names the spec and what was expected
    return spec.strip()


class ProtocolConfig(_Strict):
    """The rules every session is played under."""

    type: Literal["alternating", "mediation"] = Field(
        "alternating",
        description=(
            "alternating: (stacked) alternating offers; mediation: single-negotiating-text "
            "mediation."
        ),
    )
    rounds: int | None = Field(100, ge=1, description="Deadline in rounds.")
    seconds: float | None = Field(
        None,
        gt=0,
        description="Deadline in seconds (results then depend on the machine's speed).",
    )

    @model_validator(mode="after")
    def _has_a_deadline(self) -> ProtocolConfig:
        if self.rounds is None and self.seconds is None:
            raise ValueError("a negotiation needs a deadline: rounds, seconds or both")
        return self

    def build(self) -> NegotiationProtocol:
        """The protocol object of :mod:`servanda.negotiation.protocols`."""
        kind = AlternatingOffers if self.type == "alternating" else SingleText
        return kind(rounds=self.rounds, seconds=self.seconds)


class Tournament(_Strict):
    """Strategies x scenarios x role assignments x repetitions.

    A session is one (scenario, assignment, repetition). For a scenario with ``n`` parties
    and ``S`` strategies, the assignments are all ``S**n`` ordered ways of giving each
    party one of the strategies (so every strategy plays every role against every
    combination of others), or the ``S**n - S`` in which not every party plays the same
    strategy when ``self_play`` is False. Each is played ``repetitions`` times.

    Sessions are numbered scenario by scenario (in the order given), within a scenario
    assignment by assignment (in lexicographic order of the strategies' positions: the
    order of :func:`itertools.product`), and repetition by repetition. Session ``i`` is
    seeded by the ``i``-th child of ``numpy.random.SeedSequence(seed)``, so that its
    result depends on nothing else: not on the backend, nor on the number of workers.

    Parameters
    ----------
    scenarios : list of paths
        Scenario files or folders (any format :func:`servanda.load_scenario` reads);
        relative paths in a YAML config are relative to the config file.
    strategies : list of str
        Specifications for :func:`servanda.negotiation.strategies.make_strategy`, e.g.
        ``"boulware"`` or ``"conceder(e=3)"``; each at most once. A user's strategy takes
        part once its class is in ``STRATEGIES`` (and, for several local worker
        processes, defined in an importable module).
    protocol : ProtocolConfig, default alternating offers, 100 rounds
    repetitions : int, default 1
        Times each assignment is played (with different seeds).
    seed : int, default 0
        Root of every session's seed.
    self_play : bool, default True
        Whether to include the assignments in which every party plays the same strategy.
    backend : {"local", "ray"}, default "local"
        Where to play: processes on this machine, or a Ray cluster (``servanda[ray]``).
    workers : int, optional
        Local processes (default: every core), or Ray tasks at a time (default: the
        cluster's CPUs). One local worker plays in the calling process.
    address : str, optional
        The Ray cluster to connect to (e.g. ``"auto"`` or ``"ray://host:10001"``);
        default: a Ray instance started on this machine for the run.
    """

    name: str = Field("tournament", min_length=1)
    scenarios: list[Path] = Field(min_length=1, description="Scenario files or folders.")
    strategies: list[Annotated[str, AfterValidator(_strategy_spec)]] = Field(
        min_length=1, description="Strategy specifications, e.g. boulware or conceder(e=3)."
    )
    protocol: ProtocolConfig = Field(default_factory=ProtocolConfig)
    repetitions: int = Field(1, ge=1, description="Times each assignment is played.")
    seed: int = Field(0, ge=0, description="Root of every session's seed.")
    self_play: bool = Field(
        True, description="Include the assignments giving every party the same strategy."
    )
    backend: Backend = Field("local", description="local processes, or ray.")
    workers: int | None = Field(None, ge=1, description="Worker processes or Ray tasks at a time.")
    address: str | None = Field(None, description="Ray cluster address (backend ray).")

    @model_validator(mode="after")
    def _playable(self) -> Tournament:
        for field in ("scenarios", "strategies"):
            seen: set[str] = set()
            for position, item in enumerate(getattr(self, field)):
                key = str(item)
                if key in seen:
                    raise _At((field, position), f"'{key}' is listed twice")
                seen.add(key)
        if not self.self_play and len(self.strategies) < 2:
            raise _At(("self_play",), "without self_play a tournament needs two strategies or more")
        return self

    def run(
        self,
        *,
        backend: Backend | None = None,
        workers: int | None = None,
        address: str | None = None,
        progress: ProgressCallback | None = None,
        chunk_size: int | None = None,
    ) -> Results:
        """Play every session; see :func:`servanda.tournament.run`."""
        from servanda.tournament.backends import run

        return run(
            self, backend=backend, workers=workers, address=address, progress=progress,
            chunk_size=chunk_size,
        )


class _At(ValueError):
    """A problem found by a model validator, with the place it is about (pydantic would
    place it on the whole model)."""

    def __init__(self, path: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.path = path
        self.message = message


# -- reading a config file -----------------------------------------------------------------
Path_ = tuple[str | int, ...]


def load_tournament(path: str | Path) -> Tournament:
    """Read a tournament config (YAML); scenario paths become absolute, relative to the
    file's folder, and must exist.

    Raises
    ------
    ScenarioError
        Naming the file, the line and the field, and what was expected.
    """
    from servanda.formats.native import parse_yaml, read_text

    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise ScenarioError("no such file", source=source)
    text = read_text(path)
    try:
        empty = yaml.safe_load(text) is None
    except yaml.YAMLError:
        empty = False  # parse_yaml names the line
    if empty:
        raise ScenarioError("the file is empty; expected tournament settings", source=source)
    data, lines = parse_yaml(text, source)
    if not isinstance(data, dict):
        raise ScenarioError(
            "expected a mapping of tournament settings (scenarios, strategies, ...)",
            source=source, location=_location(lines, ()),
        )
    try:
        tournament = Tournament.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, lines, source) from None
    base = path.resolve().parent
    resolved = []
    for position, scenario in enumerate(tournament.scenarios):
        full = scenario if scenario.is_absolute() else base / scenario
        if not full.exists():
            raise ScenarioError(
                f"no scenario file or folder '{scenario}' (looked for {full})",
                source=source, location=_location(lines, ("scenarios", position)),
            )
        resolved.append(full)
    return tournament.model_copy(update={"scenarios": resolved})


def _validation_error(exc: ValidationError, lines: dict[Path_, int], source: str) -> ScenarioError:
    # One message: the deepest problem; pydantic's own wording, minus its prefixes.
    first = max(exc.errors(), key=lambda error: len(error["loc"]))
    path: Path_ = tuple(first["loc"])
    message = first["msg"]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, _At):
        path, message = path + cause.path, cause.message
    elif first["type"] == "extra_forbidden":
        message = f"unknown field '{path[-1]}'"
    elif first["type"] == "missing":
        message = f"missing field '{path[-1]}'"
    elif first["type"] == "value_error":
        message = message.removeprefix("Value error, ")
    return ScenarioError(message, source=source, location=_location(lines, path))


def _location(lines: dict[Path_, int], path: Sequence[str | int]) -> str | None:
    """``line N (a.b[2])``: the line of the deepest part of ``path`` the file has."""
    path = tuple(path)
    probe = path
    while probe and probe not in lines:
        probe = probe[:-1]
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    line = lines.get(probe)
    if line is None:
        return dotted or None
    return f"line {line} ({dotted})" if dotted else f"line {line}"

