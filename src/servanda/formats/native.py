"""The native YAML scenario format: load with line-accurate errors, build, dump.

Loading happens in three steps, each naming the place of a problem: YAML parsing (PyYAML's
own line and column), the document's shape (:mod:`servanda.formats.document`, with the
line of the offending key), and what needs the whole scenario (known issue names, a value
for every option, weights summing to one), again with the line.

A party's optional ``uncertainty`` block (ranges and distributions of its weights, option
values and reservation value) is checked whenever a file is read; :func:`load_yaml` gives
the nominal :class:`Scenario`, :func:`load_uncertain_yaml` the
:class:`~servanda.model.uncertainty.UncertainScenario` with the block, and :func:`dump_yaml`
writes either.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from servanda.errors import OutcomeError, ScenarioError, reported_at
from servanda.formats.document import (
    CategoricalIssueDoc,
    ComparisonDoc,
    DirichletDoc,
    IntegerIssueDoc,
    NormalDoc,
    OrdinalIssueDoc,
    PartyDoc,
    PiecewiseDoc,
    PressureDoc,
    RealIssueDoc,
    RedLineDoc,
    ScenarioDoc,
)
from servanda.model import (
    CategoricalIssue,
    IntegerIssue,
    Interaction,
    Issue,
    OrdinalIssue,
    Party,
    Preferences,
    Pressure,
    RealIssue,
    RedLine,
    Representative,
    Scenario,
)
from servanda.model.issues import NumericIssue
from servanda.model.uncertainty import (
    Dirichlet,
    Distribution,
    Interval,
    Normal,
    PartyUncertainty,
    UncertainScenario,
)

Path_ = tuple[str | int, ...]
_WEIGHT_TOLERANCE = 1e-6


# -- reading -----------------------------------------------------------------------------
def load_yaml(path: str | Path) -> Scenario:
    """Read a native scenario file."""
    path = Path(path)
    return loads_yaml(read_text(path), source=str(path))


def read_text(path: Path) -> str:
    """The text of a UTF-8 file, or one clear error."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read the file ({exc.strerror or exc})", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=str(path)) from None


def loads_yaml(text: str, source: str = "<string>") -> Scenario:
    """Build a scenario from the text of a native scenario file (its nominal preferences;
    an ``uncertainty`` block is checked all the same)."""
    return loads_uncertain_yaml(text, source).scenario


def load_uncertain_yaml(path: str | Path) -> UncertainScenario:
    """Read a native scenario file with its parties' uncertainty blocks."""
    path = Path(path)
    return loads_uncertain_yaml(read_text(path), source=str(path))


def loads_uncertain_yaml(text: str, source: str = "<string>") -> UncertainScenario:
    """Build a scenario and its parties' uncertainty from the text of a native file."""
    data, lines = parse_yaml(text, source)
    where = Locator(lines, source)
    try:
        document = ScenarioDoc.model_validate(data)
    except ValidationError as exc:
        raise where.validation_error(exc) from None
    return build_uncertain(document, where)


def from_document(data: Any, source: str = "<document>") -> UncertainScenario:
    """Build a scenario from its plain-data document (parsed JSON, say); errors name the
    key path, e.g. ``parties[1].weights``."""
    where = Locator({}, source)
    try:
        document = ScenarioDoc.model_validate(data)
    except ValidationError as exc:
        raise where.validation_error(exc) from None
    return build_uncertain(document, where)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """The data of a YAML document and the line of every key and item in it; duplicate
    keys and aliases are rejected, every problem is one ScenarioError with its line."""
    try:
        loader = yaml.SafeLoader(text)  # reads the text: a non-printable character fails here
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {' '.join(str(exc).split())}", source=source) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise ScenarioError("the file is empty; expected a scenario mapping", source=source)
        lines: dict[Path_, int] = {}
        _index_lines(root, (), lines, source, set())
        return loader.construct_document(root), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = " ".join(str(exc.problem or exc.context or "unreadable").split())
        raise ScenarioError(f"invalid YAML: {problem}", source=source, location=location) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {' '.join(str(exc).split())}", source=source) from None
    finally:
        loader.dispose()


def _index_lines(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], source: str, seen: set[int]
) -> None:
    """Record the line of every key and item, and reject duplicate keys (which PyYAML
    would otherwise resolve silently by keeping the last) and aliases (which a scenario
    never needs and which can make a small file expand without bound)."""
    if isinstance(node, yaml.CollectionNode):
        # An alias is the very node of its anchor, met a second time.
        if id(node) in seen:
            raise ScenarioError(
                "aliases (*name) are not supported; write the value out",
                source=source,
                location=f"line {node.start_mark.line + 1}",
            )
        seen.add(id(node))
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in keys:
                raise ScenarioError(
                    f"duplicate key '{key}'",
                    source=source,
                    location=f"line {key_node.start_mark.line + 1}",
                )
            keys.add(key)
            _index_lines(value_node, path + (key,), lines, source, seen)
            lines[path + (key,)] = key_node.start_mark.line + 1  # the key's line, not the value's
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, path + (i,), lines, source, seen)


class Locator:
    """Turns a path inside the document into ``line N (a.b[2].c)``."""

    def __init__(self, lines: Mapping[Path_, int], source: str):
        self.lines = lines
        self.source = source

    def error(self, path: Sequence[str | int], message: str) -> ScenarioError:
        return ScenarioError(message, source=self.source, location=self.location(path))

    def location(self, path: Sequence[str | int]) -> str:
        path = tuple(path)
        probe = path
        while probe not in self.lines and probe:
            probe = probe[:-1]
        dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        line = self.lines.get(probe)
        return f"line {line} ({dotted})" if line and dotted else f"line {line}" if line else dotted

    def validation_error(self, exc: ValidationError) -> ScenarioError:
        # One message: the deepest error, which for a union (a value table or a piecewise
        # function, say) is the branch that matched furthest.
        errors = exc.errors()
        first = max(errors, key=lambda error: len(error["loc"]))
        # Drop pydantic's union-member tags (e.g. 'categorical', 'list[...]') from the path.
        path = tuple(p for p in first["loc"] if isinstance(p, int) or not _is_tag(p))
        message = first["msg"]
        loc = first["loc"]
        if "range[low, high]" in loc and first["type"] in _NOT_A_RANGE:
            message = "expected a range [low, high] (two numbers) or {normal: [mean, sd]}"
            path = tuple(p for p in path if not isinstance(p, int) or p != loc[-1] or loc[-2] != "range[low, high]")
        elif "DirichletDoc" in loc and loc[-1] in ("float", "dict[str,float]"):
            message = "expected a concentration (a number > 0) or {issue: alpha, ...} for two or more issues"
            path = tuple(p for p in path if p not in ("float", "dict[str,float]"))
        elif first["type"] == "extra_forbidden":
            message = f"unknown field '{path[-1]}'"
        elif first["type"] == "missing":
            message = f"missing field '{path[-1]}'"
        elif first["type"] == "union_tag_invalid":
            message = "unknown issue type; expected one of categorical, ordinal, integer, real"
        elif isinstance(first.get("input"), bool):
            message += " (YAML reads yes/no/on/off as true/false: put the name in quotes)"
        return self.error(path, message)


_NOT_A_RANGE = {"tuple_type", "missing", "too_long", "too_short"}


def _is_tag(part: str) -> bool:
    return part in {
        "categorical", "ordinal", "integer", "real", "PiecewiseDoc", "ComparisonDoc", "NormalDoc",
        "DirichletDoc",
    } or ("[" in part and "]" in part)


# -- building the model --------------------------------------------------------------------
def build(document: ScenarioDoc, where: Locator | None = None) -> Scenario:
    """Turn a validated document into a :class:`Scenario`, checking cross-references."""
    where = where or Locator({}, "<document>")
    issues = tuple(_issue(doc, ("issues", i), where) for i, doc in enumerate(document.issues))
    _require_unique([i.name for i in issues], "issue", ("issues",), where)
    _require_unique([p.name for p in document.parties], "party", ("parties",), where)
    parties = tuple(
        _party(doc, issues, ("parties", j), where) for j, doc in enumerate(document.parties)
    )
    with reported_at(where.source):
        return Scenario(document.name, issues, parties, document.description)


def build_uncertain(document: ScenarioDoc, where: Locator | None = None) -> UncertainScenario:
    """:func:`build`, plus every party's ``uncertainty`` block, checked against the
    scenario with the line of each problem."""
    where = where or Locator({}, "<document>")
    scenario = build(document, where)
    parties = tuple(
        _uncertainty(doc, party, scenario.issues, ("parties", j), where)
        for j, (doc, party) in enumerate(zip(document.parties, scenario.parties))
    )
    with reported_at(where.source):
        return UncertainScenario(scenario, parties)


def _issue(doc: Any, path: Path_, where: Locator) -> Issue:
    if isinstance(doc, (CategoricalIssueDoc, OrdinalIssueDoc)):
        if not doc.options:
            raise where.error(path + ("options",), f"issue '{doc.name}' has no options; expected at least one")
        _require_unique(doc.options, f"option of issue '{doc.name}'", path + ("options",), where)
        cls = OrdinalIssue if isinstance(doc, OrdinalIssueDoc) else CategoricalIssue
        with reported_at(where.source, where.location(path + ("options",))):
            return cls(doc.name, tuple(doc.options))
    if doc.min > doc.max:
        raise where.error(path + ("min",), f"issue '{doc.name}': min {doc.min} is above max {doc.max}")
    _require_unique(doc.extra, f"extra option of issue '{doc.name}'", path + ("extra",), where)
    with reported_at(where.source, where.location(path)):
        if isinstance(doc, IntegerIssueDoc):
            return IntegerIssue(doc.name, doc.min, doc.max, tuple(doc.extra), step=doc.step)
        assert isinstance(doc, RealIssueDoc)
        return RealIssue(doc.name, doc.min, doc.max, tuple(doc.extra), steps=doc.steps)


def _party(doc: PartyDoc, issues: tuple[Issue, ...], path: Path_, where: Locator) -> Party:
    names = [issue.name for issue in issues]
    for key in ("weights", "values"):
        for name in getattr(doc, key):
            if name not in names:
                raise where.error(
                    path + (key, name),
                    f"party '{doc.name}' names unknown issue '{name}'; issues: {', '.join(names)}",
                )
    missing = [n for n in names if n not in doc.weights]
    if missing:
        raise where.error(path + ("weights",), f"party '{doc.name}' gives no weight for issue(s) {', '.join(missing)}")
    missing = [n for n in names if n not in doc.values]
    if missing:
        raise where.error(path + ("values",), f"party '{doc.name}' gives no values for issue(s) {', '.join(missing)}")
    weights = np.array([doc.weights[n] for n in names], dtype=float)
    _check_weights(doc, weights, path + ("weights",), where)
    if doc.weights_sum == "normalize":
        weights = weights / weights.sum()
    raw = doc.weights_sum == "free"  # GENIUS-style: option values are not confined to [0, 1]
    tables = tuple(
        _table(doc.values[issue.name], issue, path + ("values", issue.name), where, raw)
        for issue in issues
    )
    interactions = _interactions(doc, issues, path + ("interactions",), where)
    red_lines = tuple(
        _red_line(line, issues, path + ("red_lines", k), where) for k, line in enumerate(doc.red_lines)
    )
    _require_unique([r.name for r in red_lines], f"red line of party '{doc.name}'", path + ("red_lines",), where)
    pressure = tuple(
        _pressure(event, issues, path + ("pressure", k), where) for k, event in enumerate(doc.pressure)
    )
    with reported_at(where.source, where.location(path)):
        return Party(
            name=doc.name,
            preferences=Preferences(weights, tables, interactions),
            reservation=doc.reservation,
            red_lines=red_lines,
            representatives=tuple(
                Representative(r.name, r.role, r.title) for r in doc.representatives
            ),
            description=doc.description,
            discount=doc.discount,
            pressure=pressure,
        )


def _check_weights(doc: PartyDoc, weights: np.ndarray, path: Path_, where: Locator) -> None:
    for name, w in doc.weights.items():
        if not math.isfinite(w) or w < 0:
            raise where.error(path + (name,), f"weight of issue '{name}' is {w}; expected a number >= 0")
    total = float(weights.sum())
    if doc.weights_sum == "one" and abs(total - 1) > _WEIGHT_TOLERANCE:
        raise where.error(
            path,
            f"the weights of party '{doc.name}' sum to {total:.6g}; expected 1 (set "
            "'weights_sum: normalize' to have them divided by their sum)",
        )
    if doc.weights_sum == "normalize" and total <= 0:
        raise where.error(path, f"the weights of party '{doc.name}' sum to 0; cannot normalise")


def _table(spec: Any, issue: Issue, path: Path_, where: Locator, raw: bool) -> np.ndarray:
    if isinstance(spec, PiecewiseDoc):
        return _piecewise(spec, issue, path, where)
    table = np.full(issue.size, np.nan)
    for option, value in spec.items():
        try:
            position = issue.index_of(option)
        except OutcomeError as exc:
            raise where.error(path + (option,), str(exc)) from None
        if not np.isnan(table[position]):
            raise where.error(
                path + (option,), f"option {issue.options[position]!r} is given a value twice"
            )
        if not raw:
            _check_value(value, path + (option,), where)
        table[position] = value
    missing = [str(o) for o, v in zip(issue.options, table) if np.isnan(v)]
    if missing:
        shown = ", ".join(missing[:6]) + (", ..." if len(missing) > 6 else "")
        raise where.error(path, f"no value for option(s) {shown} of issue '{issue.name}'")
    return table


def _piecewise(spec: PiecewiseDoc, issue: Issue, path: Path_, where: Locator) -> np.ndarray:
    if not isinstance(issue, NumericIssue):
        raise where.error(path, f"issue '{issue.name}' is not numeric; give a value per option")
    xs = np.array([p[0] for p in spec.points])
    vs = np.array([p[1] for p in spec.points])
    if np.any(np.diff(xs) <= 0):
        raise where.error(path + ("points",), "the points' x values must increase strictly")
    for k, v in enumerate(vs):
        _check_value(float(v), path + ("points", k), where)
    table = np.interp(issue.grid.astype(float), xs, vs)
    extra = np.full(len(issue.extra), np.nan)
    for name, value in spec.extra.items():
        if name not in issue.extra:
            raise where.error(path + ("extra", name), f"issue '{issue.name}' has no extra option '{name}'")
        _check_value(value, path + ("extra", name), where)
        extra[issue.extra.index(name)] = value
    if np.isnan(extra).any():
        missing = [n for n, v in zip(issue.extra, extra) if np.isnan(v)]
        raise where.error(path + ("extra",), f"no value for extra option(s) {', '.join(missing)}")
    return np.concatenate([table, extra])


def _check_value(value: float, path: Path_, where: Locator) -> None:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise where.error(path, f"option value {value} is out of range; expected a number in [0, 1]")


def _interactions(doc: PartyDoc, issues: tuple[Issue, ...], path: Path_, where: Locator) -> tuple[Interaction, ...]:
    names = [i.name for i in issues]
    matrices: dict[tuple[int, int], np.ndarray] = {}
    for k, term in enumerate(doc.interactions):
        if len(term.when) != 2:
            raise where.error(path + (k, "when"), f"an interaction names exactly two issues, not {len(term.when)}")
        positions = []
        for name, option in term.when.items():
            if name not in names:
                raise where.error(path + (k, "when", name), f"unknown issue '{name}'")
            issue = issues[names.index(name)]
            try:
                positions.append((names.index(name), issue.index_of(option)))
            except OutcomeError as exc:
                raise where.error(path + (k, "when", name), str(exc)) from None
        (a, x), (b, y) = sorted(positions)
        matrix = matrices.setdefault((a, b), np.zeros((issues[a].size, issues[b].size)))
        matrix[x, y] += term.value
    return tuple(Interaction(a, b, m) for (a, b), m in sorted(matrices.items()))


def _red_line(doc: RedLineDoc, issues: tuple[Issue, ...], path: Path_, where: Locator) -> RedLine:
    if (doc.never is None) == (doc.only is None):
        raise where.error(path, f"red line '{doc.name}' needs exactly one of 'never' and 'only'")
    key = "never" if doc.never is not None else "only"
    spec = doc.never if doc.never is not None else doc.only
    assert spec is not None
    if not spec:
        raise where.error(path + (key,), f"red line '{doc.name}' names no issue")
    names = [i.name for i in issues]
    conditions = []
    for name, selection in spec.items():
        if name not in names:
            raise where.error(path + (key, name), f"red line '{doc.name}' names unknown issue '{name}'")
        position = names.index(name)
        mask = _select(selection, issues[position], path + (key, name), where)
        conditions.append((position, mask if key == "never" else ~mask))
    boxes = (tuple(conditions),) if key == "never" else tuple((c,) for c in conditions)
    return RedLine(doc.name, boxes, doc.description)


def _pressure(doc: PressureDoc, issues: tuple[Issue, ...], path: Path_, where: Locator) -> Pressure:
    names = [i.name for i in issues]
    conditions = []
    for name, selection in doc.while_on_table.items():
        if name not in names:
            raise where.error(path + ("while_on_table", name), f"pressure '{doc.name}' names unknown issue '{name}'")
        position = names.index(name)
        conditions.append((position, _select(selection, issues[position], path + ("while_on_table", name), where)))
    weights = []
    for name, weight in doc.weights.items():
        if name not in names:
            raise where.error(
                path + ("weights", name), f"pressure '{doc.name}' names unknown issue '{name}'"
            )
        if not math.isfinite(weight) or weight < 0:
            raise where.error(
                path + ("weights", name),
                f"pressure '{doc.name}': the weight of '{name}' must be a finite number >= 0, "
                f"got {weight}",
            )
        weights.append((names.index(name), weight))
    if weights and conditions:
        raise where.error(
            path + ("while_on_table",),
            f"pressure '{doc.name}' changes weights, so it may not have while_on_table "
            "(a party's preferences may depend on the round only, not on the offer on the table)",
        )
    with reported_at(where.source, where.location(path)):
        return Pressure(
            doc.name, doc.change, doc.from_round, doc.until_round, tuple(conditions),
            doc.description, tuple(weights),
        )


def _select(selection: Any, issue: Issue, path: Path_, where: Locator) -> np.ndarray:
    """Boolean mask of the options a red-line condition selects."""
    if isinstance(selection, ComparisonDoc):
        if not isinstance(issue, NumericIssue):
            raise where.error(path, f"issue '{issue.name}' is not numeric; list its options instead")
        values = issue.numeric_values
        mask = ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            for bound, test in (
                (selection.below, np.less),
                (selection.at_most, np.less_equal),
                (selection.above, np.greater),
                (selection.at_least, np.greater_equal),
            ):
                if bound is not None:
                    mask &= test(values, bound)
        return mask
    mask = np.zeros(issue.size, dtype=bool)
    for option in selection:
        try:
            mask[issue.index_of(option)] = True
        except OutcomeError as exc:
            raise where.error(path, str(exc)) from None
    return mask


def _uncertainty(
    doc: PartyDoc, party: Party, issues: tuple[Issue, ...], path: Path_, where: Locator
) -> PartyUncertainty:
    """A party's uncertainty block as the model's :class:`PartyUncertainty`."""
    block = doc.uncertainty
    if block is None:
        return PartyUncertainty()
    path = path + ("uncertainty",)
    names = [issue.name for issue in issues]
    prefs = party.preferences
    free = doc.weights_sum == "free"
    # Ranges are written on the file's scale; with 'normalize' the weights were divided by
    # their sum, and so are the ranges (renormalised draws are the same either way).
    scale = 1.0
    if doc.weights_sum == "normalize":
        scale = 1.0 / float(sum(doc.weights.values()))

    def issue_at(key: str, where_path: Path_) -> int:
        if key not in names:
            raise where.error(
                where_path, f"party '{doc.name}' names unknown issue '{key}'; issues: {', '.join(names)}"
            )
        return names.index(key)

    weights: list[tuple[int, Distribution]] = []
    dirichlet = None
    if isinstance(block.weights, DirichletDoc):
        dirichlet = _dirichlet(block.weights, doc, prefs.weights, issue_at, path + ("weights", "dirichlet"), where)
    else:
        for key, spec in block.weights.items():
            here = path + ("weights", key)
            i = issue_at(key, here)
            dist = _spread(spec, (0.0, math.inf), here, where, scale=scale)
            _require_inside(dist, float(prefs.weights[i]), f"the weight of '{key}'", here, where, scale)
            weights.append((i, dist))
        if weights and not float(prefs.weights.sum()) > 0:
            raise where.error(path + ("weights",), "uncertain weights need nominal weights with a positive sum")
    values: list[tuple[int, int, Distribution]] = []
    for key, options in block.values.items():
        i = issue_at(key, path + ("values", key))
        issue = issues[i]
        seen: dict[int, Any] = {}
        for option, spec in options.items():
            here = path + ("values", key, option)
            try:
                o = issue.index_of(option)
            except OutcomeError as exc:
                raise where.error(here, str(exc)) from None
            if o in seen:
                raise where.error(here, f"option {issue.options[o]!r} is made uncertain twice")
            seen[o] = option
            domain = (-math.inf, math.inf) if free else (0.0, 1.0)
            dist = _spread(spec, domain, here, where)
            nominal = float(prefs.tables[i][o])
            _require_inside(dist, nominal, f"the value of {issue.options[o]!r}", here, where)
            values.append((i, o, dist))
    reservation = None
    if block.reservation is not None:
        here = path + ("reservation",)
        reservation = _spread(block.reservation, (-math.inf, math.inf), here, where)
        _require_inside(reservation, party.reservation, "the reservation value", here, where)
    with reported_at(where.source, where.location(path)):
        return PartyUncertainty(tuple(weights), dirichlet, tuple(values), reservation, block.description)


def _spread(
    spec: Any, domain: tuple[float, float], path: Path_, where: Locator, scale: float = 1.0
) -> Distribution:
    """A range or a normal distribution inside ``domain`` (a normal is truncated to it)."""
    low, high = domain
    if isinstance(spec, NormalDoc):
        mean, sd = spec.normal
        if not sd > 0:
            raise where.error(path, f"the standard deviation is {sd:g}; expected a number > 0")
        with reported_at(where.source, where.location(path)):
            return Normal(mean * scale, sd * scale, low, high)
    a, b = spec
    if a > b:
        raise where.error(path, f"range [{a:g}, {b:g}]: low is above high")
    if a < low or b > high:
        raise where.error(path, f"range [{a:g}, {b:g}] leaves the domain [{low:g}, {high:g}]")
    return Interval(a * scale, b * scale)


def _require_inside(dist: Distribution, nominal: float, what: str, path: Path_, where: Locator, scale: float = 1.0) -> None:
    """A range must contain the nominal value (the point estimate the file gives)."""
    if isinstance(dist, Interval) and not dist.low - 1e-12 <= nominal <= dist.high + 1e-12:
        raise where.error(
            path,
            f"range [{dist.low / scale:g}, {dist.high / scale:g}] does not contain {what} given "
            f"above ({nominal / scale:g}); a range must contain the point estimate",
        )


def _dirichlet(spec: DirichletDoc, doc: PartyDoc, nominal: np.ndarray, issue_at: Any, path: Path_, where: Locator) -> Dirichlet:
    if isinstance(spec.dirichlet, dict):
        pairs = []
        for key, alpha in spec.dirichlet.items():
            i = issue_at(key, path + (key,))
            if not (math.isfinite(alpha) and alpha > 0):
                raise where.error(path + (key,), f"alpha {alpha:g}; expected a number > 0")
            pairs.append((i, alpha))
        if len(pairs) < 2:
            raise where.error(path, "a Dirichlet over the weights needs at least two issues")
        if not float(nominal[[i for i, _ in pairs]].sum()) > 0:
            raise where.error(path, f"the Dirichlet's issues have no weight to share (party '{doc.name}')")
        return Dirichlet(tuple(i for i, _ in pairs), tuple(a for _, a in pairs))
    concentration = spec.dirichlet
    if not (math.isfinite(concentration) and concentration > 0):
        raise where.error(path, f"concentration {concentration:g}; expected a number > 0")
    if int(np.count_nonzero(nominal > 0)) < 2:
        raise where.error(path, "a Dirichlet over the weights needs at least two issues of positive weight")
    return Dirichlet.around(nominal, concentration)


def _require_unique(names: Sequence[Any], what: str, path: Path_, where: Locator) -> None:
    seen: set[str] = set()
    for k, name in enumerate(names):
        if str(name) in seen:
            raise where.error(path + (k,), f"duplicate {what} name '{name}'")
        seen.add(str(name))


# -- writing -------------------------------------------------------------------------------
def to_document(scenario: Scenario | UncertainScenario) -> dict[str, Any]:
    """The scenario as a plain dictionary in the native format (lossless), with the
    parties' uncertainty blocks when given an :class:`UncertainScenario`."""
    model = scenario if isinstance(scenario, UncertainScenario) else UncertainScenario.exact(scenario)
    scenario = model.scenario
    parties = []
    for party, unc in zip(scenario.parties, model.parties):
        doc = _party_doc(party, scenario.issues, _free_values(unc))
        if not unc.is_exact or unc.note:
            doc["uncertainty"] = _uncertainty_doc(unc, scenario.issues)
        parties.append(doc)
    return {
        "name": scenario.name,
        "description": scenario.description,
        "issues": [_issue_doc(issue) for issue in scenario.issues],
        "parties": parties,
    }


def dump_yaml(scenario: Scenario | UncertainScenario, path: str | Path | None = None) -> str:
    """The scenario (with its uncertainty, if given one) in the native format; written to
    ``path`` when given."""
    text = yaml.dump(to_document(scenario), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def _issue_doc(issue: Issue) -> dict[str, Any]:
    if isinstance(issue, IntegerIssue):
        return {"name": issue.name, "type": "integer", "min": int(issue.low), "max": int(issue.high),
                "step": int(issue.step), "extra": list(issue.extra)}
    if isinstance(issue, RealIssue):
        return {"name": issue.name, "type": "real", "min": float(issue.low), "max": float(issue.high),
                "steps": int(issue.steps), "extra": list(issue.extra)}
    return {"name": issue.name, "type": issue.kind, "options": [str(o) for o in issue.options]}


def _free_values(uncertainty) -> bool:
    """Whether uncertain option values reach outside [0, 1] (read back only with
    ``weights_sum: free``, whose values are unbounded)."""
    return any(dist.low < 0 or dist.high > 1 for _, _, dist in uncertainty.values)


def _party_doc(party: Party, issues: tuple[Issue, ...], free_values: bool = False) -> dict[str, Any]:
    prefs = party.preferences
    free = free_values or abs(float(prefs.weights.sum()) - 1) > 1e-9 or any(
        t.min() < 0 or t.max() > 1 for t in prefs.tables
    )
    doc: dict[str, Any] = {
        "name": party.name,
        "description": party.description,
        "representatives": [
            {"name": r.name, "role": r.role.value, "title": r.title} for r in party.representatives
        ],
        "reservation": float(party.reservation),
        "weights": {i.name: float(w) for i, w in zip(issues, prefs.weights)},
        "weights_sum": "free" if free else "one",
        "values": {
            i.name: {o: float(v) for o, v in zip(i.options, t)} for i, t in zip(issues, prefs.tables)
        },
    }
    if party.discount is not None:
        doc["discount"] = float(party.discount)
    if prefs.interactions:
        doc["interactions"] = [
            {"when": {issues[t.first].name: issues[t.first].options[x],
                      issues[t.second].name: issues[t.second].options[y]},
             "value": float(t.matrix[x, y])}
            for t in prefs.interactions
            for x, y in zip(*np.nonzero(t.matrix))
        ]
    if party.red_lines:
        doc["red_lines"] = [_red_line_doc(line, issues) for line in party.red_lines]
    if party.pressure:
        doc["pressure"] = [_pressure_doc(event, issues) for event in party.pressure]
    return doc


class _Pair(list):
    """Two numbers written inline, ``[low, high]``, as people write ranges."""


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, with ranges and distribution parameters written inline."""


_Dumper.add_representer(
    _Pair, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
)


def _spread_doc(dist: Distribution) -> Any:
    if isinstance(dist, Normal):
        return {"normal": _Pair([float(dist.mean), float(dist.sd)])}
    return _Pair([float(dist.low), float(dist.high)])


def _uncertainty_doc(unc: PartyUncertainty, issues: tuple[Issue, ...]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if unc.dirichlet is not None:
        d = unc.dirichlet
        doc["weights"] = {"dirichlet": float(d.concentration) if d.concentration is not None else {
            issues[i].name: float(a) for i, a in zip(d.issues, d.alphas)
        }}
    elif unc.weights:
        doc["weights"] = {issues[i].name: _spread_doc(dist) for i, dist in unc.weights}
    if unc.values:
        values: dict[str, dict[Any, Any]] = {}
        for i, o, dist in unc.values:
            values.setdefault(issues[i].name, {})[issues[i].options[o]] = _spread_doc(dist)
        doc["values"] = values
    if unc.reservation is not None:
        doc["reservation"] = _spread_doc(unc.reservation)
    if unc.note:
        doc["description"] = unc.note
    return doc


def _pressure_doc(event: Pressure, issues: tuple[Issue, ...]) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": event.name, "change": float(event.change), "from_round": event.from_round}
    if event.until_round is not None:
        doc["until_round"] = event.until_round
    if event.while_on_table:
        doc["while_on_table"] = {
            issues[p].name: [issues[p].options[k] for k in np.flatnonzero(m)] for p, m in event.while_on_table
        }
    if event.weights:
        doc["weights"] = {issues[p].name: float(w) for p, w in event.weights}
    if event.description:
        doc["description"] = event.description
    return doc


def _red_line_doc(line: RedLine, issues: tuple[Issue, ...]) -> dict[str, Any]:
    def options(position: int, mask: np.ndarray) -> list[Any]:
        return [issues[position].options[k] for k in np.flatnonzero(mask)]

    doc: dict[str, Any] = {"name": line.name}
    if len(line.boxes) == 1:
        doc["never"] = {issues[p].name: options(p, m) for p, m in line.boxes[0]}
    elif all(len(box) == 1 for box in line.boxes) and len({box[0][0] for box in line.boxes}) == len(line.boxes):
        doc["only"] = {issues[p].name: options(p, ~m) for (p, m), in line.boxes}
    else:
        raise ScenarioError(f"red line '{line.name}' has a shape the native format cannot write")
    if line.description:
        doc["description"] = line.description
    return doc
