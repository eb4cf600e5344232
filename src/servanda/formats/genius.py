"""GENIUS XML: domains and utility profiles, read and written with GENIUS's own semantics.

A GENIUS scenario is one domain file (root ``<negotiation_template>``: the issues) and one
profile per party (root ``<utility_space>``: evaluations, weights, reservation value and
discount factor). Where GENIUS and NegMAS disagree we follow GENIUS
(``negotiator.utility`` evaluators):

- discrete evaluations: when an issue's largest evaluation, rounded to an integer, is above
  1, every evaluation of that issue is rounded to an integer and divided by that largest one
  (``EvaluatorDiscrete.getEvaluation``); otherwise the raw numbers are used. An option the
  profile does not list evaluates to 0.
- weights are kept raw, never normalised, and matched to issues by their ``index``.
- integer issues: ``clamp(offset + slope * (x - lowerbound), 0, 1)``
  (``EvaluatorInteger.getEvaluation``: the slope applies from the lower bound; ``ftype`` is
  ignored, as in GENIUS, and a missing evaluator means slope = offset = 0).
- real issues: ``ftype="linear"`` is ``clamp(parameter1 * x + parameter0, 0, 1)`` (not
  shifted by the lower bound), ``ftype="constant"`` is ``parameter0``
  (``EvaluatorReal.getEvaluation`` with ``EVALFUNCTYPE.evalLinear``). Servanda enumerates a
  real range as ``real_steps`` evenly spaced values.
- a discount factor outside ``(0, 1)`` means no discounting (``Party.discount = None``).

Every problem in a file raises :class:`~servanda.errors.ScenarioError` naming the file and
the place, such as ``line 12, /utility_space/objective[@name='Car']/issue[@name='Price']``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lxml import etree

from servanda.errors import ScenarioError, UnsupportedError, reported_at
from servanda.model import (
    CategoricalIssue,
    IntegerIssue,
    Issue,
    Party,
    Preferences,
    RealIssue,
    Scenario,
)

#: Default number of evenly spaced values a GENIUS real issue is enumerated with.
REAL_STEPS = 11

#: Largest deviation from an affine function a numeric value table may have to be exported.
AFFINE_TOLERANCE = 1e-12

_DOMAIN_ROOT = "negotiation_template"
_PROFILE_ROOT = "utility_space"
_KINDS = ("discrete", "integer", "real")
# Attribute that best identifies an element of each tag in an error location.
_KEY_ATTRIBUTE = {"item": "value", "weight": "index"}


# --------------------------------------------------------------------------- public API
def load_genius(
    domain: Path | str,
    profiles: Sequence[Path | str],
    name: str | None = None,
    *,
    real_steps: int = REAL_STEPS,
) -> Scenario:
    """Read a GENIUS domain file and its utility profiles into a :class:`Scenario`.

    Parameters
    ----------
    domain : Path
        The domain file (root ``<negotiation_template>``).
    profiles : sequence of Path
        One profile per party (root ``<utility_space>``); a party is named by its file stem.
    name : str, optional
        Scenario name; default: the domain file stem without a ``domain`` suffix.
    real_steps : int, default 11
        Number of evenly spaced values a real issue is enumerated with.
    """
    domain_file = _XmlFile.read(Path(domain))
    profile_files = [_XmlFile.read(Path(p)) for p in profiles]
    return _build(domain_file, profile_files, name or _scenario_name(Path(domain)), real_steps)


def load_genius_folder(folder: Path | str, *, real_steps: int = REAL_STEPS) -> Scenario:
    """Read a folder holding one GENIUS domain and its profiles; the scenario is named
    after the folder.

    The domain is the XML file whose root is ``<negotiation_template>`` or, failing that,
    the one whose name contains ``domain``; the profiles are the ``<utility_space>`` files
    that carry weights. Other XML files are ignored.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError("expected a folder holding GENIUS XML files", source=str(folder))
    files = [_XmlFile.read(p) for p in sorted(folder.iterdir()) if _is_xml(p)]
    domain = _find_domain(folder, files)
    profiles = [f for f in files if f is not domain and f.is_profile]
    if not profiles:
        raise ScenarioError(
            "no GENIUS profile found: expected XML files with a <utility_space> root and "
            "<weight> elements",
            source=str(folder),
        )
    return _build(domain, profiles, folder.name, real_steps)


def dump_genius(scenario: Scenario, folder: Path | str) -> list[Path]:
    """Write ``scenario`` as GENIUS XML: ``<name>_domain.xml`` and one ``<party>.xml`` each.

    Evaluations are written with full float precision and weights raw. A discrete table
    that GENIUS would renormalise on reading (largest value rounding above 1), or a numeric
    one above 1, is divided by its largest value and that factor moved into the weight, so
    every utility is preserved. Raises :class:`UnsupportedError`, before writing anything,
    for what GENIUS cannot express: interaction terms, red lines, negative values or
    weights, numeric issues with named extra options or a step other than 1, and numeric
    value tables that are not affine on the grid. Returns the written paths, domain first.
    """
    for issue in scenario.issues:
        _check_exportable_issue(issue)
    domain = _domain_tree(scenario)
    profiles = [_profile_tree(scenario, party) for party in scenario.parties]
    names = _file_names(scenario)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / file_name for file_name in names]
    for path, tree in zip(paths, [domain, *profiles]):
        tree.write(str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return paths


# --------------------------------------------------------------------------- XML access
@dataclass(frozen=True)
class _XmlFile:
    """One parsed XML file, able to name the place of a problem inside it."""

    path: Path
    root: etree._Element

    @classmethod
    def read(cls, path: Path) -> _XmlFile:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ScenarioError(
                f"cannot read the file: {exc.strerror or exc}", source=str(path)
            ) from None
        # No entity expansion and no network: a profile must not be able to pull in text.
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True
        )
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            raise ScenarioError(
                f"not well-formed XML ({exc.msg}); expected a GENIUS XML file",
                source=str(path),
                location=f"line {exc.lineno}" if exc.lineno else None,
            ) from None
        return cls(path, root)

    @property
    def source(self) -> str:
        return str(self.path)

    @property
    def is_profile(self) -> bool:
        """A ``<utility_space>`` root with weights: a party's preferences."""
        return self.root.tag == _PROFILE_ROOT and next(self.root.iter("weight"), None) is not None

    def error(self, element: etree._Element, message: str) -> ScenarioError:
        return ScenarioError(message, source=self.source, location=_location(element))

    def text(self, element: etree._Element, attribute: str) -> str:
        """A required attribute."""
        value = element.get(attribute)
        if value is None:
            raise self.error(element, f"<{element.tag}> needs a '{attribute}' attribute")
        return value

    def number(
        self, element: etree._Element, attribute: str, *, minimum: float | None = None
    ) -> float:
        """A required attribute holding a finite number (at least ``minimum``)."""
        text = self.text(element, attribute)
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise self.error(element, f"'{attribute}' must be a finite number, got {text!r}")
        if minimum is not None and value < minimum:
            raise self.error(element, f"'{attribute}' must be at least {minimum:g}, got {text!r}")
        return value

    def integer(self, element: etree._Element, attribute: str) -> int:
        """A required attribute holding an integer (``"3"`` or ``"3.0"``)."""
        text = self.text(element, attribute)
        try:
            return int(text)
        except ValueError:
            pass
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not value.is_integer():
            raise self.error(element, f"'{attribute}' must be an integer, got {text!r}")
        return int(value)

    def optional_number(self, parent: etree._Element, tag: str) -> float | None:
        """The ``value`` of the child ``<tag>`` of ``parent``, if there is one."""
        child = parent.find(tag)
        return None if child is None else self.number(child, "value")


def _location(element: etree._Element) -> str:
    """``"line N, /root/child[@name='x']/..."``: where an element sits in its file."""
    steps = []
    node: etree._Element | None = element
    while node is not None:
        steps.append(_step(node))
        node = node.getparent()
    return f"line {element.sourceline}, /" + "/".join(reversed(steps))


def _step(node: etree._Element) -> str:
    for attribute in (_KEY_ATTRIBUTE.get(node.tag), "name", "index"):
        if attribute and node.get(attribute) is not None:
            return f"{node.tag}[@{attribute}={node.get(attribute)!r}]"
    parent = node.getparent()
    siblings = parent.findall(node.tag) if parent is not None else [node]
    return f"{node.tag}[{siblings.index(node) + 1}]" if len(siblings) > 1 else str(node.tag)


def _is_xml(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".xml"


# --------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class _DomainIssue:
    """An issue of the domain with the GENIUS number that profile weights refer to."""

    issue: Issue
    index: int
    kind: str


def _build(domain: _XmlFile, profiles: Sequence[_XmlFile], name: str, real_steps: int) -> Scenario:
    if real_steps < 2:
        raise ValueError(f"real_steps must be at least 2, got {real_steps}")
    issues = _read_domain(domain, real_steps)
    parties = []
    seen: dict[str, _XmlFile] = {}
    for profile in profiles:
        party = _read_profile(profile, domain, issues)
        if party.name in seen:
            raise ScenarioError(
                f"two profiles would both be party '{party.name}' (parties are named by file "
                f"stem; the other is {seen[party.name].source})",
                source=profile.source,
            )
        seen[party.name] = profile
        parties.append(party)
    try:
        return Scenario(name, tuple(d.issue for d in issues), tuple(parties))
    except ScenarioError as exc:  # a constraint the file checks above did not anticipate
        raise exc.at(domain.source) from None


def _find_domain(folder: Path, files: Sequence[_XmlFile]) -> _XmlFile:
    templates = [f for f in files if f.root.tag == _DOMAIN_ROOT]
    if not templates:  # fall back on the file name, for domains without the template root
        templates = [f for f in files if "domain" in f.path.name.lower() and not f.is_profile]
    if len(templates) == 1:
        return templates[0]
    if not templates:
        raise ScenarioError(
            "no GENIUS domain found: expected an XML file with a <negotiation_template> root "
            "(or with 'domain' in its name)",
            source=str(folder),
        )
    raise ScenarioError(
        "several GENIUS domain files: "
        + ", ".join(f.path.name for f in templates)
        + "; expected exactly one",
        source=str(folder),
    )


def _scenario_name(domain: Path) -> str:
    stem = re.sub(r"[-_ ]?domain$", "", domain.stem, flags=re.IGNORECASE)
    return stem or domain.parent.name or domain.stem


def _objective(file: _XmlFile, expected_roots: tuple[str, ...], what: str) -> etree._Element:
    """The ``<objective>`` holding the issues, checking the root on the way."""
    root = file.root
    if root.tag not in expected_roots:
        roots = " or ".join(f"<{tag}>" for tag in expected_roots)
        raise file.error(root, f"expected a GENIUS {what} with a {roots} root, got <{root.tag}>")
    space = root.find(_PROFILE_ROOT) if root.tag == _DOMAIN_ROOT else root
    if space is None:
        raise file.error(root, f"expected a <{_PROFILE_ROOT}> element inside <{root.tag}>")
    objective = space.find("objective")
    if objective is None:
        raise file.error(space, "expected an <objective> element holding the issues")
    nested = objective.find("objective")
    if nested is not None:
        raise file.error(nested, "nested objectives are not supported; expected issues only")
    return objective


def _declared_kind(file: _XmlFile, element: etree._Element) -> str | None:
    """The issue type an element declares, resolved like GENIUS does (``vtype`` wins over a
    different ``type``; ``etype`` as a last resort)."""
    kind, vtype = element.get("type"), element.get("vtype")
    if vtype is not None and kind != vtype:
        kind = vtype
    kind = kind if kind is not None else element.get("etype")
    if kind is not None and kind.lower() not in _KINDS:
        raise file.error(
            element, f"unknown issue type {kind!r}; expected one of {', '.join(_KINDS)}"
        )
    return kind.lower() if kind is not None else None


def _read_domain(file: _XmlFile, real_steps: int) -> tuple[_DomainIssue, ...]:
    if file.is_profile:  # a bare <utility_space> may be a domain, but not one with weights
        raise file.error(
            file.root,
            f"this is a utility profile (it has weights); expected a GENIUS domain "
            f"with a <{_DOMAIN_ROOT}> root",
        )
    objective = _objective(file, (_DOMAIN_ROOT, _PROFILE_ROOT), "domain")
    issues: list[_DomainIssue] = []
    names: set[str] = set()
    indices: set[int] = set()
    for element in objective.findall("issue"):
        issue = _read_domain_issue(file, element, real_steps)
        if issue.issue.name in names:
            raise file.error(element, f"duplicate issue name '{issue.issue.name}'")
        if issue.index in indices:
            raise file.error(element, f"duplicate issue index {issue.index}")
        names.add(issue.issue.name)
        indices.add(issue.index)
        issues.append(issue)
    if not issues:
        raise file.error(objective, "the domain has no <issue> elements")
    return tuple(issues)


def _read_domain_issue(file: _XmlFile, element: etree._Element, real_steps: int) -> _DomainIssue:
    name = file.text(element, "name")
    index = file.integer(element, "index")
    kind = _declared_kind(file, element) or "discrete"  # GENIUS's default
    if kind == "discrete":
        items = _ordered_items(file, element)
        if not items:
            raise file.error(element, f"discrete issue '{name}' has no <item> options")
        options: list[str] = []
        for item in items:
            option = file.text(item, "value")
            if option in options:
                raise file.error(item, f"duplicate option '{option}' of issue '{name}'")
            options.append(option)
        with reported_at(file.source, _location(element)):
            issue: Issue = CategoricalIssue(name, tuple(options))
    elif kind == "integer":
        low, high = _bounds(file, element, integer=True)
        with reported_at(file.source, _location(element)):
            issue = IntegerIssue(name, low, high, step=1)
    else:
        low, high = _bounds(file, element, integer=False)
        with reported_at(file.source, _location(element)):
            issue = RealIssue(name, low, high, steps=real_steps if high > low else 1)
    return _DomainIssue(issue, index, kind)


def _ordered_items(file: _XmlFile, issue: etree._Element) -> list[etree._Element]:
    """The ``<item>`` children in ``index`` order (document order where it is missing)."""
    items = issue.findall("item")
    keys = [
        file.integer(item, "index") if item.get("index") is not None else position + 1
        for position, item in enumerate(items)
    ]
    order = sorted(range(len(items)), key=lambda i: (keys[i], i))
    return [items[i] for i in order]


def _bounds(
    file: _XmlFile,
    element: etree._Element,
    *,
    integer: bool,
    default: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """``lowerbound``/``upperbound`` from the issue's attributes or its ``<range>`` child."""
    holder = element
    if element.get("lowerbound") is None and element.get("upperbound") is None:
        holder = element.find("range")
        if holder is None:
            if default is not None:
                return default
            raise file.error(
                element,
                f"{'integer' if integer else 'real'} issue needs 'lowerbound' and 'upperbound' "
                "attributes or a <range lowerbound=... upperbound=...> child",
            )
    read = file.integer if integer else file.number
    low, high = read(holder, "lowerbound"), read(holder, "upperbound")
    if low > high:
        raise file.error(holder, f"lowerbound {low} is above upperbound {high}")
    return low, high


def _read_profile(file: _XmlFile, domain: _XmlFile, issues: Sequence[_DomainIssue]) -> Party:
    objective = _objective(file, (_PROFILE_ROOT,), "utility profile")
    by_name = {d.issue.name: position for position, d in enumerate(issues)}
    tables = [np.zeros(d.issue.size) for d in issues]  # an issue the profile omits adds 0
    evaluated: dict[int, etree._Element] = {}
    for element in objective.findall("issue"):
        name = file.text(element, "name")
        if name not in by_name:
            raise file.error(
                element,
                f"issue '{name}' is not in the domain {domain.path.name}; domain issues: "
                + ", ".join(d.issue.name for d in issues),
            )
        position = by_name[name]
        if position in evaluated:
            raise file.error(element, f"issue '{name}' is evaluated twice")
        declared = _declared_kind(file, element)
        if declared is not None and declared != issues[position].kind:
            raise file.error(
                element,
                f"issue '{name}' is {issues[position].kind} in the domain but {declared} here",
            )
        tables[position] = _evaluations(file, element, issues[position])
        evaluated[position] = element
    weights = _weights(file, objective, issues, evaluated)
    with reported_at(file.source, _location(objective)):
        return Party(
            name=file.path.stem,
            preferences=Preferences(weights, tuple(tables)),
            reservation=file.optional_number(file.root, "reservation") or 0.0,
            discount=_discount(file.optional_number(file.root, "discount_factor")),
        )


def _discount(value: float | None) -> float | None:
    """GENIUS reads a discount factor <= 0 or >= 1 as no discounting."""
    return value if value is not None and 0.0 < value < 1.0 else None


def _weights(
    file: _XmlFile,
    objective: etree._Element,
    issues: Sequence[_DomainIssue],
    evaluated: dict[int, etree._Element],
) -> np.ndarray:
    """Raw weights, matched to issues by ``index``; an issue the profile omits weighs 0."""
    position_of = {d.index: position for position, d in enumerate(issues)}
    weights = np.zeros(len(issues))
    weighted: set[int] = set()
    for element in objective.findall("weight"):
        index = file.integer(element, "index")
        value = file.number(element, "value")
        if value < 0:
            raise file.error(element, f"weight must not be negative, got {value:g}")
        if index not in position_of:
            raise file.error(
                element,
                f"weight index {index} matches no issue of the domain; issue indices: "
                + ", ".join(str(d.index) for d in issues),
            )
        if position_of[index] in weighted:
            raise file.error(element, f"two weights for issue index {index}")
        weights[position_of[index]] = value
        weighted.add(position_of[index])
    for position, element in evaluated.items():
        if position not in weighted:
            raise file.error(
                element,
                f'no <weight index="{issues[position].index}"> for issue '
                f"'{issues[position].issue.name}'",
            )
    return weights


def _evaluations(file: _XmlFile, element: etree._Element, issue: _DomainIssue) -> np.ndarray:
    if issue.kind == "discrete":
        return _discrete_values(file, element, issue.issue)
    if issue.kind == "integer":
        return _integer_values(file, element, issue.issue)
    return _real_values(file, element, issue.issue)


def _discrete_values(file: _XmlFile, element: etree._Element, issue: Issue) -> np.ndarray:
    raw = np.zeros(issue.size)
    listed: set[int] = set()
    for item in element.findall("item"):
        value = file.text(item, "value")
        try:
            k = issue.options.index(value)
        except ValueError:
            shown = ", ".join(map(str, issue.options[:10])) + (", ..." if issue.size > 10 else "")
            raise file.error(
                item,
                f"'{value}' is not an option of issue '{issue.name}' in the domain; "
                f"options: {shown}",
            ) from None
        if k in listed:
            raise file.error(item, f"option '{value}' of issue '{issue.name}' is listed twice")
        listed.add(k)
        # GENIUS skips an item without an evaluation, so it evaluates like an unlisted one.
        if item.get("evaluation") not in (None, "null"):
            raw[k] = file.number(item, "evaluation", minimum=0.0)
    return _genius_discrete(raw)


def _java_round(values: np.ndarray | float) -> np.ndarray:
    """``Math.round``: halves round up, unlike numpy's round-half-to-even."""
    return np.floor(np.asarray(values, dtype=float) + 0.5)


def _genius_discrete(raw: np.ndarray) -> np.ndarray:
    """GENIUS's reading of discrete evaluations: rounded and scaled by the rounded maximum
    when that maximum is above 1, raw otherwise (``EvaluatorDiscrete.getEvaluation``)."""
    top = float(_java_round(raw.max())) if raw.size else 0.0
    return _java_round(raw) / top if top > 1 else raw


def _integer_values(file: _XmlFile, element: etree._Element, issue: IntegerIssue) -> np.ndarray:
    # The profile's own lower bound anchors the slope; the domain's is the fallback.
    low, _ = _bounds(file, element, integer=True, default=(issue.low, issue.high))
    evaluator = element.find("evaluator")
    if evaluator is None:  # EvaluatorInteger's defaults: slope = offset = 0
        return np.zeros(issue.size)
    slope = file.number(evaluator, "slope")
    offset = file.number(evaluator, "offset")
    return np.clip(offset + slope * (issue.grid - low), 0.0, 1.0)


def _real_values(file: _XmlFile, element: etree._Element, issue: RealIssue) -> np.ndarray:
    evaluator = element.find("evaluator")
    if evaluator is None:
        raise file.error(
            element,
            f"real issue '{issue.name}' needs an <evaluator ftype=\"linear\" parameter0=... "
            "parameter1=...> child",
        )
    ftype = (evaluator.get("ftype") or "").lower()
    x = issue.grid.astype(float)
    if ftype == "linear":
        constant = file.number(evaluator, "parameter0")
        slope = file.number(evaluator, "parameter1")
        return np.clip(slope * x + constant, 0.0, 1.0)
    if ftype == "constant":
        return np.full(x.shape, file.number(evaluator, "parameter0"))
    raise file.error(
        evaluator,
        f"unsupported evaluator ftype {evaluator.get('ftype')!r} for real issue "
        f"'{issue.name}'; expected 'linear' or 'constant'",
    )


# --------------------------------------------------------------------------- writing
def _kind(issue: Issue) -> str:
    if isinstance(issue, CategoricalIssue):
        return "discrete"
    if isinstance(issue, IntegerIssue):
        return "integer"
    if isinstance(issue, RealIssue):
        return "real"
    raise UnsupportedError(f"issue '{issue.name}' of kind {issue.kind} has no GENIUS equivalent")


def _check_exportable_issue(issue: Issue) -> None:
    _kind(issue)
    if isinstance(issue, (IntegerIssue, RealIssue)) and issue.extra:
        raise UnsupportedError(
            f"issue '{issue.name}' has named options ({', '.join(issue.extra)}) beside its "
            "numeric range, which GENIUS cannot express; make it categorical to export it"
        )
    if isinstance(issue, IntegerIssue) and int(issue.step) != 1:
        raise UnsupportedError(
            f"GENIUS integer issues take every integer of their range, but issue "
            f"'{issue.name}' has step {issue.step}; make it categorical to export it"
        )


def _issue_attributes(number: int, issue: Issue) -> dict[str, str]:
    kind = _kind(issue)
    return {"index": str(number), "etype": kind, "type": kind, "vtype": kind, "name": issue.name}


def _objective_element(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(
        parent,
        "objective",
        index="0",
        etype="objective",
        type="objective",
        description="",
        name=name,
    )


def _domain_tree(scenario: Scenario) -> etree._ElementTree:
    root = etree.Element(_DOMAIN_ROOT)
    space = etree.SubElement(root, _PROFILE_ROOT, number_of_issues=str(len(scenario.issues)))
    objective = _objective_element(space, scenario.name)
    for number, issue in enumerate(scenario.issues, start=1):
        element = etree.SubElement(objective, "issue", _issue_attributes(number, issue))
        _write_bounds(element, issue)
        if isinstance(issue, CategoricalIssue):
            for k, option in enumerate(issue.options, start=1):
                etree.SubElement(element, "item", index=str(k), value=str(option))
    return etree.ElementTree(root)


def _write_bounds(element: etree._Element, issue: Issue) -> None:
    """Integer bounds as attributes (as the ANAC files have them), real ones as a
    ``<range>`` child (where GENIUS's ``EvaluatorReal`` reads them)."""
    if isinstance(issue, IntegerIssue):
        element.set("lowerbound", str(int(issue.low)))
        element.set("upperbound", str(int(issue.high)))
    elif isinstance(issue, RealIssue):
        etree.SubElement(
            element, "range", lowerbound=repr(float(issue.low)), upperbound=repr(float(issue.high))
        )


def _profile_tree(scenario: Scenario, party: Party) -> etree._ElementTree:
    _check_exportable_party(party)
    root = etree.Element(_PROFILE_ROOT)
    objective = _objective_element(root, scenario.name)
    preferences = party.preferences
    weights = []
    for number, (issue, weight, table) in enumerate(
        zip(scenario.issues, preferences.weights, preferences.tables), start=1
    ):
        if weight < 0:
            raise UnsupportedError(
                f"party '{party.name}', issue '{issue.name}': GENIUS weights cannot be "
                f"negative (weight {weight:g})"
            )
        element = etree.SubElement(objective, "issue", _issue_attributes(number, issue))
        _write_bounds(element, issue)
        weights.append(_write_evaluation(element, issue, float(weight), table, party.name))
    for number, weight in enumerate(weights, start=1):
        etree.SubElement(objective, "weight", index=str(number), value=repr(weight))
    etree.SubElement(root, "reservation", value=repr(float(party.reservation)))
    if party.discount is not None:
        etree.SubElement(root, "discount_factor", value=repr(float(party.discount)))
    return etree.ElementTree(root)


def _check_exportable_party(party: Party) -> None:
    if party.preferences.interactions:
        raise UnsupportedError(
            f"party '{party.name}' has interaction terms; GENIUS profiles are linear-additive "
            "and cannot express them"
        )
    if party.red_lines:
        raise UnsupportedError(
            f"party '{party.name}' has red lines ({', '.join(r.name for r in party.red_lines)}); "
            "GENIUS cannot express them and they would be lost"
        )


def _write_evaluation(
    element: etree._Element, issue: Issue, weight: float, table: np.ndarray, party: str
) -> float:
    """Write the evaluator of one issue; returns the weight to write beside it."""
    if weight == 0:  # the values do not matter: write a neutral evaluation
        table = np.zeros_like(table)
    if table.size and table.min() < 0:
        raise UnsupportedError(
            f"party '{party}', issue '{issue.name}': GENIUS evaluations cannot be negative "
            f"(lowest value {table.min():g})"
        )
    if isinstance(issue, (IntegerIssue, RealIssue)):
        return _write_linear(element, issue, weight, table, party)
    return _write_items(element, issue, weight, table)


def _write_items(element: etree._Element, issue: Issue, weight: float, table: np.ndarray) -> float:
    # GENIUS renormalises a table whose maximum rounds above 1; keep the scale in the weight.
    top = float(table.max())
    if _java_round(top) > 1:
        table, weight = table / top, weight * top
    for k, (option, value) in enumerate(zip(issue.options, table), start=1):
        etree.SubElement(
            element, "item", index=str(k), value=str(option), evaluation=repr(float(value))
        )
    return weight


def _write_linear(
    element: etree._Element,
    issue: IntegerIssue | RealIssue,
    weight: float,
    table: np.ndarray,
    party: str,
) -> float:
    # GENIUS anchors integer evaluators at the lower bound and real ones at zero.
    origin = float(issue.low) if isinstance(issue, IntegerIssue) else 0.0
    intercept, slope = _affine_fit(issue.grid.astype(float) - origin, table, party, issue)
    top = float(table.max())
    if top > 1:  # GENIUS clamps numeric evaluations to [0, 1]; keep the scale in the weight
        intercept, slope, weight = intercept / top, slope / top, weight * top
    if isinstance(issue, IntegerIssue):
        etree.SubElement(
            element, "evaluator", ftype="linear", slope=repr(slope), offset=repr(intercept)
        )
    else:
        etree.SubElement(
            element, "evaluator", ftype="linear", parameter0=repr(intercept), parameter1=repr(slope)
        )
    return weight


def _affine_fit(x: np.ndarray, table: np.ndarray, party: str, issue: Issue) -> tuple[float, float]:
    """``(intercept, slope)`` of ``table`` as an affine function of ``x``, or raise."""
    span = float(x[-1] - x[0])
    slope = float(table[-1] - table[0]) / span if span else 0.0
    intercept = float(table[0]) - slope * float(x[0])
    error = float(np.max(np.abs(intercept + slope * x - table)))
    if error > AFFINE_TOLERANCE:
        raise UnsupportedError(
            f"party '{party}', issue '{issue.name}': GENIUS {_kind(issue)} issues take a linear "
            f"evaluation, but these values are not affine on the grid (off by up to "
            f"{error:.3g}); make the issue categorical to export it"
        )
    return intercept, slope


def _safe_file_stem(text: str, fallback: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return stem or fallback


def _file_names(scenario: Scenario) -> list[str]:
    """Domain file name then one per party, sanitised and unique even on case-insensitive
    file systems."""
    names = [f"{_safe_file_stem(scenario.name, 'scenario')}_domain.xml"]
    used = {names[0].lower()}
    for party in scenario.parties:
        stem = _safe_file_stem(party.name, "party")
        candidate, n = f"{stem}.xml", 1
        while candidate.lower() in used:
            n += 1
            candidate = f"{stem}_{n}.xml"
        used.add(candidate.lower())
        names.append(candidate)
    return names


__all__ = ["REAL_STEPS", "dump_genius", "load_genius", "load_genius_folder"]
