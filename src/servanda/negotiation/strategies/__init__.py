"""Built-in strategies, one family per module, and a registry that builds them from short
specifications such as ``"boulware"``, ``"boulware(e=0.1)"`` or ``"tit-for-tat"``.

A user's strategy joins the registry by adding its class: ``STRATEGIES["mine"] = Mine``.
"""

from __future__ import annotations

import functools
import inspect
import re

from servanda.negotiation.strategies.acceptance import (
    DEFAULT_ACCEPTANCE,
    AcceptanceCondition,
    ac_const,
    ac_next,
    ac_rational,
    ac_time,
)
from servanda.negotiation.strategies.base import BiddingStrategy
from servanda.negotiation.strategies.hardliner import Hardliner
from servanda.negotiation.strategies.model_based import (
    BayesianFrontier,
    FrequencyFrontier,
    ModelBased,
)
from servanda.negotiation.strategies.random_acceptable import RandomAcceptable
from servanda.negotiation.strategies.tit_for_tat import (
    AbsoluteTitForTat,
    RelativeTitForTat,
    TitForTat,
)
from servanda.negotiation.strategies.time_dependent import (
    Boulware,
    Conceder,
    Linear,
    TimeDependent,
)
from servanda.negotiation.strategy import Strategy

#: Strategy classes by short name; :func:`make_strategy` builds them from a specification.
STRATEGIES: dict[str, type[Strategy]] = {
    "boulware": Boulware,
    "linear": Linear,
    "conceder": Conceder,
    "time-dependent": TimeDependent,
    "hardliner": Hardliner,
    "tit-for-tat": RelativeTitForTat,
    "absolute-tit-for-tat": AbsoluteTitForTat,
    "random": RandomAcceptable,
    "frontier-frequency": FrequencyFrontier,
    "frontier-bayesian": BayesianFrontier,
}

_SPEC = re.compile(r"\s*([A-Za-z][\w-]*)\s*(?:\((.*)\))?\s*", re.DOTALL)
_ARGUMENT = re.compile(r"\s*([A-Za-z_]\w*)\s*=\s*(\S.*?)\s*")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def make_strategy(spec: str) -> Strategy:
    """A new strategy from a specification ``NAME`` or ``NAME(key=number, ...)``, where
    ``NAME`` is a key of :data:`STRATEGIES` and the keys are parameters of its class (its
    acceptance condition excepted); e.g. ``"boulware(e=0.1)"``, ``"conceder(e=3)"``.

    The built-in strategies' names are specifications of themselves, so
    ``make_strategy(s.name)`` rebuilds ``s``.

    Raises
    ------
    ValueError
        Naming the specification, and the known names or the accepted parameters.
    """
    match = _SPEC.fullmatch(spec) if isinstance(spec, str) else None
    if match is None:
        raise ValueError(
            f"cannot read the strategy {spec!r}: expected NAME or NAME(key=number, ...), "
            f"with NAME one of {_known()}"
        )
    name, arguments = match.group(1).lower(), match.group(2)
    if name not in STRATEGIES:
        where = "" if name == spec.strip() else f" in {spec!r}"
        raise ValueError(f"unknown strategy {name!r}{where}; known: {_known()}")
    cls = STRATEGIES[name]
    accepted = _parameters(cls)
    kwargs: dict[str, int | float] = {}
    for argument in _split(arguments):
        pair = _ARGUMENT.fullmatch(argument)
        if pair is None or not _NUMBER.fullmatch(pair.group(2)):
            raise ValueError(
                f"cannot read {argument.strip()!r} in the strategy {spec!r}: "
                f"expected key=number, e.g. {name}({accepted[0] if accepted else 'e'}=0.5)"
            )
        key, text = pair.groups()
        if key not in accepted:
            takes = f"its parameters are {', '.join(accepted)}" if accepted else "it takes none"
            raise ValueError(f"strategy {spec!r}: {name} has no parameter {key!r}; {takes}")
        if key in kwargs:
            raise ValueError(f"strategy {spec!r}: parameter {key!r} given twice")
        kwargs[key] = int(text) if text.lstrip("+-").isdigit() else float(text)
    missing = [key for key in _parameters(cls, required=True) if key not in kwargs]
    if missing:
        raise ValueError(
            f"strategy {spec!r}: {name} needs {', '.join(missing)}, e.g. {name}({missing[0]}=1)"
        )
    try:
        return cls(**kwargs)
    except ValueError as error:
        raise ValueError(f"strategy {spec!r}: {error}") from error


def _known() -> str:
    return ", ".join(sorted(STRATEGIES))


@functools.cache
def _parameters(cls: type[Strategy], required: bool = False) -> tuple[str, ...]:
    """The constructor's parameters a specification may set (or must, if ``required``):
    all but the acceptance condition (not a number) and ``*args``/``**kwargs``. Cached:
    tournaments build strategies by the thousand."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(
        p.name
        for p in inspect.signature(cls).parameters.values()
        if p.kind in kinds
        and p.name != "acceptance"
        and (not required or p.default is inspect.Parameter.empty)
    )


def _split(arguments: str | None) -> list[str]:
    """``"e=1, k=0"`` -> ``["e=1", " k=0"]``; nothing (or only blanks) -> ``[]``."""
    if arguments is None or not arguments.strip():
        return []
    return arguments.split(",")


__all__ = [
    "DEFAULT_ACCEPTANCE",
    "STRATEGIES",
    "AbsoluteTitForTat",
    "AcceptanceCondition",
    "BayesianFrontier",
    "BiddingStrategy",
    "Boulware",
    "Conceder",
    "FrequencyFrontier",
    "Hardliner",
    "Linear",
    "ModelBased",
    "RandomAcceptable",
    "RelativeTitForTat",
    "Strategy",
    "TimeDependent",
    "TitForTat",
    "ac_const",
    "ac_next",
    "ac_rational",
    "ac_time",
    "make_strategy",
]
