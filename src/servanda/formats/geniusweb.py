"""GeniusWeb JSON profiles: ``LinearAdditiveUtilitySpace`` with its embedded domain.

A profile looks like this (GeniusWeb's Java serialisation; its Python port writes
``DiscreteValueSetUtilities`` and ``NumberValueSetUtilities`` for the two value-set
utilities, and both spellings are accepted)::

    {"LinearAdditiveUtilitySpace": {
        "name": "jobs1",
        "domain": {"name": "jobs", "issuesValues": {
            "salary": {"values": ["2000", "2500", "3000"]},
            "fte": {"range": {"low": 0.6, "high": 1.0, "step": 0.2}}}},
        "issueUtilities": {
            "salary": {"discreteutils": {"valueUtilities": {"2000": 0, "2500": 0.5, "3000": 1}}},
            "fte": {"numberutils": {"lowValue": 0.6, "lowUtility": 0.2,
                                    "highValue": 1.0, "highUtility": 1.0}}},
        "issueWeights": {"salary": 0.6, "fte": 0.4},
        "reservationBid": {"issuevalues": {"salary": "2500", "fte": 0.8}}}}

Semantics follow GeniusWeb: a discrete value missing from ``valueUtilities`` is worth 0; a
number value is worth ``lowUtility`` to ``highUtility`` linearly between ``lowValue`` and
``highValue`` and 0 outside (GeniusWeb rounds this to 8 decimals; Servanda keeps the exact
value); the reservation value is the utility of ``reservationBid`` (0 without one; an issue
the bid leaves out adds 0); weights are kept raw. A number range ``low, low + step, ... <=
high`` becomes an :class:`IntegerIssue` when all three are integers, else a
:class:`RealIssue` over exactly those values.

Every problem raises :class:`~servanda.errors.ScenarioError` naming the file and the JSON
key path, e.g. ``LinearAdditiveUtilitySpace.issueWeights["lease car"]``.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from servanda.errors import OutcomeError, ScenarioError, reported_at
from servanda.model import (
    MAX_RANGE_OPTIONS,
    CategoricalIssue,
    IntegerIssue,
    Issue,
    Party,
    Preferences,
    RealIssue,
    Scenario,
)

_PROFILE = "LinearAdditiveUtilitySpace"
_DISCRETE_UTILITIES = ("discreteutils", "DiscreteValueSetUtilities")
_NUMBER_UTILITIES = ("numberutils", "NumberValueSetUtilities")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_Keys = tuple[str | int, ...]


def load_geniusweb_profiles(paths: Sequence[Path | str], name: str | None = None) -> Scenario:
    """Read GeniusWeb ``LinearAdditiveUtilitySpace`` profiles (one per party) that share a
    domain into a :class:`Scenario`.

    Parameters
    ----------
    paths : sequence of Path
        The profile files. A party is named by the profile's ``name``, else the file stem.
    name : str, optional
        Scenario name; default: the domain's ``name``, else the first file's stem.
    """
    if not paths:
        raise ScenarioError("expected at least one GeniusWeb profile file")
    documents = [_Document.read(Path(p)) for p in paths]
    spaces = [doc.profile() for doc in documents]
    first = documents[0]
    domain_name, issues = _read_domain(first, spaces[0])
    parties: list[Party] = []
    for doc, space in zip(documents, spaces):
        if doc is not first:
            _check_same_domain(doc, space, issues, first)
        party = _read_party(doc, space, issues)
        if any(p.name == party.name for p in parties):
            raise doc.error(
                (_PROFILE, "name"), f"a second profile for party '{party.name}'; expected one each"
            )
        parties.append(party)
    scenario_name = name or domain_name or Path(paths[0]).stem
    try:
        return Scenario(scenario_name, issues, tuple(parties))
    except ScenarioError as exc:
        raise exc.at(first.source) from None


# --------------------------------------------------------------------------- JSON access
def _key_path(keys: _Keys) -> str:
    """``a.b["key with spaces"][3]``: a JSON key path a reader can follow."""
    text = ""
    for key in keys:
        if isinstance(key, int):
            text += f"[{key}]"
        elif _IDENTIFIER.fullmatch(key):
            text += f".{key}" if text else key
        else:
            text += f"[{json.dumps(key)}]"
    return text or "(top level)"


def _type_name(value: Any) -> str:
    """How a JSON value reads in a message: ``null``, ``the string 'x'``, ``a list``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"in [{low:g}, {high:g}]"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


@dataclass(frozen=True)
class _Document:
    """One parsed JSON file, able to name the place of a problem inside it."""

    path: Path
    data: Any

    @classmethod
    def read(cls, path: Path) -> _Document:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise ScenarioError(
                f"cannot read the file: {exc.strerror or exc}", source=str(path)
            ) from None
        except UnicodeDecodeError:
            raise ScenarioError(
                "not UTF-8 text; expected a GeniusWeb JSON profile", source=str(path)
            ) from None
        try:
            return cls(path, json.loads(text))
        except RecursionError:
            raise ScenarioError(
                "JSON nested too deeply; expected a GeniusWeb JSON profile", source=str(path)
            ) from None
        except json.JSONDecodeError as exc:
            raise ScenarioError(
                f"not valid JSON ({exc.msg}); expected a GeniusWeb JSON profile",
                source=str(path),
                location=f"line {exc.lineno}, column {exc.colno}",
            ) from None

    @property
    def source(self) -> str:
        return str(self.path)

    def error(self, keys: _Keys, message: str) -> ScenarioError:
        return ScenarioError(message, source=self.source, location=_key_path(keys))

    def profile(self) -> dict[str, Any]:
        """The body of the ``LinearAdditiveUtilitySpace`` wrapper."""
        top = self.object(self.data, ())
        if _PROFILE not in top:
            found = ", ".join(map(repr, top)) or "nothing"
            raise self.error((), f'expected a {{"{_PROFILE}": ...}} profile, found {found}')
        return self.object(top[_PROFILE], (_PROFILE,))

    def object(self, value: Any, keys: _Keys) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(keys, f"expected a JSON object, got {_type_name(value)}")
        return value

    def member(self, obj: Mapping[str, Any], keys: _Keys, key: str) -> Any:
        if key not in obj:
            raise self.error(keys, f"missing key '{key}'")
        return obj[key]

    def number(
        self, value: Any, keys: _Keys, *, low: float | None = None, high: float | None = None
    ) -> float:
        """A finite JSON number, optionally within ``[low, high]``."""
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not abs(value) <= sys.float_info.max  # also rejects NaN, inf, huge integers
        ):
            raise self.error(keys, f"expected a number, got {_type_name(value)}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.error(keys, f"expected a number {_range_text(low, high)}, got {value:g}")
        return float(value)

    def string(self, value: Any, keys: _Keys) -> str:
        if not isinstance(value, str):
            raise self.error(keys, f"expected a string, got {_type_name(value)}")
        return value


# --------------------------------------------------------------------------- domain
def _read_domain(doc: _Document, space: dict[str, Any]) -> tuple[str | None, tuple[Issue, ...]]:
    keys: _Keys = (_PROFILE, "domain")
    domain = doc.object(doc.member(space, (_PROFILE,), "domain"), keys)
    name = domain.get("name")
    if name is not None:
        name = doc.string(name, keys + ("name",))
    values = doc.object(doc.member(domain, keys, "issuesValues"), keys + ("issuesValues",))
    if not values:
        raise doc.error(keys + ("issuesValues",), "the domain has no issues")
    issues = tuple(
        _read_issue(doc, issue, spec, keys + ("issuesValues", issue))
        for issue, spec in values.items()
    )
    return name, issues


def _read_issue(doc: _Document, name: str, spec: Any, keys: _Keys) -> Issue:
    spec = doc.object(spec, keys)
    if "values" in spec:
        raw = spec["values"]
        if not isinstance(raw, list) or not raw:
            raise doc.error(
                keys + ("values",), f"expected a non-empty list of values, got {_type_name(raw)}"
            )
        options = [doc.string(v, keys + ("values", i)) for i, v in enumerate(raw)]
        for i, option in enumerate(options):
            if option in options[:i]:
                raise doc.error(
                    keys + ("values", i), f"duplicate value '{option}' of issue '{name}'"
                )
        with reported_at(doc.source, _key_path(keys)):
            return CategoricalIssue(name, tuple(options))
    if "range" in spec:
        return _range_issue(
            doc, name, doc.object(spec["range"], keys + ("range",)), keys + ("range",)
        )
    raise doc.error(keys, "expected 'values' (a discrete issue) or 'range' (a number issue)")


def _range_issue(doc: _Document, name: str, spec: dict[str, Any], keys: _Keys) -> Issue:
    low = doc.number(doc.member(spec, keys, "low"), keys + ("low",))
    high = doc.number(doc.member(spec, keys, "high"), keys + ("high",))
    step = doc.number(doc.member(spec, keys, "step"), keys + ("step",))
    if step <= 0:
        raise doc.error(keys + ("step",), f"expected a positive step, got {step:g}")
    if high < low:
        raise doc.error(keys, f"low {low:g} is above high {high:g}")
    count = (high - low) / step
    if not count < MAX_RANGE_OPTIONS:
        raise doc.error(keys, f"the range has over {MAX_RANGE_OPTIONS:,} values; expected fewer")
    with reported_at(doc.source, _key_path(keys)):
        if all(float(v).is_integer() for v in (low, high, step)):
            return IntegerIssue(name, int(low), int(high), step=int(step))
        # The range holds low + k*step up to high; a tiny slack absorbs decimal-to-float error.
        last = math.floor(count + 1e-9)
        return RealIssue(name, low, low + last * step, steps=last + 1)


def _same_issue(a: Issue, b: Issue) -> bool:
    """Same kind and values (discrete values in any order: bids name them)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (IntegerIssue, RealIssue)) and isinstance(b, (IntegerIssue, RealIssue)):
        return a.size == b.size and np.allclose(a.numeric_values, b.numeric_values, atol=1e-12)
    return set(a.options) == set(b.options)


def _check_same_domain(
    doc: _Document, space: dict[str, Any], issues: Sequence[Issue], first: _Document
) -> None:
    _, own = _read_domain(doc, space)
    keys: _Keys = (_PROFILE, "domain", "issuesValues")
    expected = {issue.name: issue for issue in issues}
    for issue in own:
        if issue.name not in expected or not _same_issue(issue, expected[issue.name]):
            raise doc.error(
                keys + (issue.name,),
                f"issue '{issue.name}' differs from the domain in {first.source}",
            )
    missing = [name for name in expected if name not in {issue.name for issue in own}]
    if missing:
        raise doc.error(
            keys, f"issue(s) {', '.join(missing)} of the domain in {first.source} are missing"
        )


# --------------------------------------------------------------------------- profile
def _read_party(doc: _Document, space: dict[str, Any], issues: Sequence[Issue]) -> Party:
    tables = _read_utilities(doc, space, issues)
    weights = _read_weights(doc, space, issues)
    name = space.get("name")
    name = doc.string(name, (_PROFILE, "name")) if name is not None else ""
    with reported_at(doc.source, _PROFILE):
        return Party(
            name=name or doc.path.stem,
            preferences=Preferences(weights, tables),
            reservation=_reservation(doc, space, issues, weights, tables),
        )


def _known(
    doc: _Document, mapping: Mapping[str, Any], keys: _Keys, issues: Sequence[Issue]
) -> None:
    names = {issue.name for issue in issues}
    for key in mapping:
        if key not in names:
            raise doc.error(
                keys + (key,),
                f"issue '{key}' is not in the domain; issues: {', '.join(sorted(names))}",
            )


def _read_utilities(
    doc: _Document, space: dict[str, Any], issues: Sequence[Issue]
) -> tuple[np.ndarray, ...]:
    keys: _Keys = (_PROFILE, "issueUtilities")
    utilities = doc.object(doc.member(space, (_PROFILE,), "issueUtilities"), keys)
    _known(doc, utilities, keys, issues)
    tables = []
    for issue in issues:
        if issue.name not in utilities:
            raise doc.error(keys, f"no utilities for issue '{issue.name}'")
        tables.append(_issue_utilities(doc, issue, utilities[issue.name], keys + (issue.name,)))
    return tuple(tables)


def _issue_utilities(doc: _Document, issue: Issue, spec: Any, keys: _Keys) -> np.ndarray:
    spec = doc.object(spec, keys)
    if len(spec) != 1:
        raise doc.error(keys, "expected exactly one of 'discreteutils' or 'numberutils'")
    ((kind, body),) = spec.items()
    keys = keys + (kind,)
    body = doc.object(body, keys)
    if kind in _DISCRETE_UTILITIES:
        if not isinstance(issue, CategoricalIssue):
            raise doc.error(keys, f"issue '{issue.name}' is a number issue; expected 'numberutils'")
        return _discrete_utilities(doc, issue, body, keys)
    if kind in _NUMBER_UTILITIES:
        if not isinstance(issue, (IntegerIssue, RealIssue)):
            raise doc.error(keys, f"issue '{issue.name}' is discrete; expected 'discreteutils'")
        return _number_utilities(doc, issue, body, keys)
    raise doc.error(
        keys, f"unknown value-set utilities '{kind}'; expected 'discreteutils' or 'numberutils'"
    )


def _discrete_utilities(
    doc: _Document, issue: Issue, body: dict[str, Any], keys: _Keys
) -> np.ndarray:
    keys = keys + ("valueUtilities",)
    values = doc.object(doc.member(body, keys[:-1], "valueUtilities"), keys)
    table = np.zeros(issue.size)  # GeniusWeb: a value without a utility is worth 0
    for label, utility in values.items():
        if label not in issue.options:
            raise doc.error(
                keys + (label,),
                f"'{label}' is not a value of issue '{issue.name}'; values: "
                + ", ".join(map(str, issue.options)),
            )
        table[issue.options.index(label)] = doc.number(utility, keys + (label,), low=0.0, high=1.0)
    return table


def _number_utilities(
    doc: _Document, issue: IntegerIssue | RealIssue, body: dict[str, Any], keys: _Keys
) -> np.ndarray:
    def read(key: str, **bounds: float) -> float:
        return doc.number(doc.member(body, keys, key), keys + (key,), **bounds)

    low_value, high_value = read("lowValue"), read("highValue")
    low_utility, high_utility = (
        read("lowUtility", low=0.0, high=1.0),
        read("highUtility", low=0.0, high=1.0),
    )
    if high_value <= low_value:
        raise doc.error(keys + ("highValue",), f"highValue must be above lowValue {low_value:g}")
    x = issue.numeric_values
    table = low_utility + (high_utility - low_utility) * (x - low_value) / (high_value - low_value)
    return np.where((x >= low_value) & (x <= high_value), table, 0.0)


def _read_weights(doc: _Document, space: dict[str, Any], issues: Sequence[Issue]) -> np.ndarray:
    keys: _Keys = (_PROFILE, "issueWeights")
    weights = doc.object(doc.member(space, (_PROFILE,), "issueWeights"), keys)
    _known(doc, weights, keys, issues)
    missing = [issue.name for issue in issues if issue.name not in weights]
    if missing:
        raise doc.error(keys, f"no weight for issue(s) {', '.join(missing)}")
    return np.array([doc.number(weights[i.name], keys + (i.name,), low=0.0) for i in issues])


def _reservation(
    doc: _Document,
    space: dict[str, Any],
    issues: Sequence[Issue],
    weights: np.ndarray,
    tables: Sequence[np.ndarray],
) -> float:
    """Utility of the reservation bid (0 without one)."""
    bid = space.get("reservationBid")
    if bid is None:
        return 0.0
    keys: _Keys = (_PROFILE, "reservationBid", "issuevalues")
    values = doc.object(doc.member(doc.object(bid, keys[:-1]), keys[:-1], "issuevalues"), keys)
    _known(doc, values, keys, issues)
    total = 0.0
    for position, issue in enumerate(issues):
        if issue.name not in values:
            continue
        value = values[issue.name]
        if isinstance(issue, CategoricalIssue):
            value = doc.string(value, keys + (issue.name,))
        else:
            value = doc.number(value, keys + (issue.name,))
        try:
            k = issue.index_of(value)
        except OutcomeError as exc:
            raise doc.error(keys + (issue.name,), str(exc)) from None
        total += float(weights[position] * tables[position][k])
    return total


__all__ = ["load_geniusweb_profiles"]
