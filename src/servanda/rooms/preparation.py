"""A party's private preparation before the first offer: its preferences as a person states
them — importance points shared among the issues, a rating of every option, the options it
never accepts (red lines) and its reservation value — and the package check, in which it
rates a few whole packages and sees where the weights refitted from those ratings disagree
with the ones it stated (the direct rating and holistic check of Inspire, Kersten & Noronha
1999). Only the party's own members reach any of it, and nothing here reads another
party's preferences.

The page's scale is that of :mod:`servanda.elicitation.direct`: an issue's points say how
much going from its worst option to its best matters (swing weights), and its ratings are
rescaled so that its worst option is worth 0 and its best 1. Preferences stored on another
scale are shown rescaled: weights ``w_i * range_i / S``, ratings ``(v_i - min v_i) /
range_i`` and the reservation value ``(r - sum_i w_i min v_i) / S``, with ``S = sum_i w_i
range_i``. That is a positive affine change of the party's utility, so every package keeps
its place relative to the others and to the reservation value.

A numeric range of many options is rated at a few evenly spaced values of it, the values
between interpolated as :mod:`servanda.elicitation.direct` does.

What the form cannot show is said, never silently lost: interaction terms and the
uncertainty block are replaced on saving (they described the preferences the form
replaces); red lines that combine issues or rule out values the form does not show, and
outside pressure, are kept as they are.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from servanda.elicitation import (
    PartWorthModel,
    compare_preferences,
    design_packages,
    fit_package_ratings,
    preferences_from_ratings,
    rating_table,
)
from servanda.errors import AccessDenied, InvalidRequest, ScenarioError
from servanda.formats.native import from_document
from servanda.model import Issue, NumericIssue, Party, Preferences
from servanda.rooms.protocol import Phase

if TYPE_CHECKING:
    from servanda.rooms.service import Rooms

#: Importance points to share among the issues.
POINTS = 100
#: Ratings of options and of packages run from 0 (worst) to this (best).
TOP_RATING = 10
#: Packages to rate in the package check: enough to pin down every part-worth, within these.
MIN_PACKAGES, MAX_PACKAGES = 4, 12
#: Keys of a stored block that the form writes (everything else is kept as it is).
FORM_KEYS = ("reservation", "weights", "weights_sum", "values", "interactions", "red_lines", "uncertainty")
#: A numeric range with more options than this is rated at :data:`SPACED` evenly spaced values
#: of it only, the ones between interpolated (as :mod:`servanda.elicitation.direct` does).
MAX_SHOWN, SPACED = 21, 11
#: Utility differences below this count as none (floating-point noise of a rescaling).
_EPSILON = 1e-9


@dataclass(frozen=True)
class IssueForm:
    """An issue as the form shows it: its name, the options it shows (as text, and their
    positions among the issue's options: all of them unless ``interpolated``), its
    description."""

    name: str
    options: tuple[str, ...]
    positions: tuple[int, ...]
    description: str = ""
    interpolated: bool = False


@dataclass(frozen=True)
class Inputs:
    """What the party enters: ``importance`` maps each issue to whole points (summing to
    100), ``ratings`` each issue to one rating from 0 to 10 per option the form shows
    (:func:`shown`, in the issue's order), ``never`` each issue to the positions of the options it never accepts, and
    ``reservation`` is the utility of no agreement on the page's scale (0 to 1)."""

    importance: Mapping[str, int]
    ratings: Mapping[str, tuple[float, ...]]
    never: Mapping[str, tuple[int, ...]]
    reservation: float


@dataclass(frozen=True)
class Stored:
    """A party's stored confidential block, with its model."""

    block: dict[str, Any]
    party: Party
    uncertain: bool


@dataclass(frozen=True)
class Preparation:
    """The preparation page of one party: its form filled from what is stored, what the
    form cannot show (``notes``), the packages of its package check, and whether the
    room's mediator may read its preferences."""

    party: str
    issues: tuple[IssueForm, ...]
    inputs: Inputs
    notes: tuple[str, ...]
    packages: tuple[dict[str, str], ...]
    breaks: tuple[tuple[str, ...], ...]  # per package, the stored red lines it breaks
    mediator_may_read: bool
    may_save: bool


@dataclass(frozen=True)
class IssueCheck:
    """One issue in the package check: its stated importance and the importance refitted
    from the package ratings, in points, and whether they differ by more than the
    comparison's tolerance."""

    name: str
    stated: int
    fitted: int
    differs: bool


@dataclass(frozen=True)
class PackageCheck:
    """Result of :func:`package_check`.

    ``stated`` and ``fitted`` are the utilities of the packages (0 to 1) under the stated
    preferences and under those refitted from the ratings; ``disagreements`` are pairs
    ``(a, b)`` of package positions that the stated preferences rank ``a`` over ``b`` and
    the refit the other way round, biggest disagreement first."""

    issues: tuple[IssueCheck, ...]
    packages: tuple[dict[str, str], ...]
    ratings: tuple[float, ...]
    stated: tuple[float, ...]
    fitted: tuple[float, ...]
    disagreements: tuple[tuple[int, int], ...]
    r_squared: float
    identified: bool

    @property
    def agree(self) -> bool:
        return not self.disagreements and not any(issue.differs for issue in self.issues)


# -- the room ------------------------------------------------------------------------------


def preparation(rooms: Rooms, account: int, room_id: str) -> Preparation:
    """The preparation page of ``account``'s party in ``room_id``: NotFound for anyone not in
    the room, AccessDenied for anyone in it who is not a party's member."""
    party, public, row = _own(rooms, account, room_id)
    issues, stored = parse_block(public, party, row["preferences"])
    inputs, notes = inputs_of(issues, stored)
    _, state, _ = rooms.state(account, room_id)
    packages = packages_to_rate(issues, room_id, party)
    broken = [line.violated(packages) for line in stored.party.red_lines]
    return Preparation(
        party=party, issues=issue_forms(issues, public), inputs=inputs, notes=notes,
        packages=tuple(describe(issues, package) for package in packages),
        breaks=tuple(tuple(line.name for line, hit in zip(stored.party.red_lines, broken) if hit[k])
                     for k in range(len(packages))),
        mediator_may_read=bool(row["mediator_may_read"]), may_save=state.phase is Phase.OPEN,
    )


def save(rooms: Rooms, account: int, room_id: str, fields: Mapping[str, Any]) -> int:
    """Store the preferences of the form ``fields`` as the party's own; the id of the
    commitment event. A bad field is refused with an :class:`InvalidRequest` naming it, and
    nothing is stored."""
    party, public, row = _own(rooms, account, room_id)
    issues, stored = parse_block(public, party, row["preferences"])
    block = block_of(issues, read_inputs(issues, fields), stored)
    return rooms.set_preferences(account, room_id, block)


def check(rooms: Rooms, account: int, room_id: str, fields: Mapping[str, Any]) -> tuple[Inputs, PackageCheck]:
    """The package check of the form ``fields``: its preferences (not necessarily saved)
    against its ratings of the party's packages. Nothing is stored."""
    party, public, row = _own(rooms, account, room_id)
    issues, _ = parse_block(public, party, row["preferences"])
    inputs = read_inputs(issues, fields)
    packages = packages_to_rate(issues, room_id, party)
    ratings = read_package_ratings(fields, len(packages))
    return inputs, package_check(issues, preferences_of(issues, inputs), packages, ratings)


def _own(rooms: Rooms, account: int, room_id: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The person's party, the room's public document and the party's preferences row."""
    member = rooms.member(account, room_id)
    if member.role != "party" or member.party is None:
        raise AccessDenied("only a party's own representatives prepare its preferences")
    row = rooms.preferences(account, room_id, member.party)
    return member.party, rooms.public_scenario(account, room_id), row


# -- from the form to the block and back ----------------------------------------------------


def parse_block(public: Mapping[str, Any], party: str, block: Mapping[str, Any]) -> tuple[tuple[Issue, ...], Stored]:
    """The room's issues and ``party``'s ``block`` read as a model (with the room's public
    document, as a scenario of that party alone)."""
    entry = next((p for p in public["parties"] if p["name"] == party), None)
    if entry is None:
        raise InvalidRequest(f"no party '{party}' in this room", field="party")
    document = {**public, "parties": [{**entry, **block}]}
    model = from_document(json.loads(json.dumps(document)), source="preferences")
    uncertainty = model.parties[0]
    return model.scenario.issues, Stored(dict(block), model.scenario.parties[0],
                                         not uncertainty.is_exact or bool(uncertainty.note))


def label(option: Any) -> str:
    """An option as the form shows it (a real range's value without binary noise)."""
    return f"{option:.12g}" if isinstance(option, float) else str(option)


def shown(issue: Issue) -> tuple[int, ...]:
    """The positions of the options the form shows: all of them, or for a numeric range of
    more than :data:`MAX_SHOWN` options, :data:`SPACED` evenly spaced values of the range
    and its extra named options (the breakpoints of :class:`~servanda.elicitation.PartWorthModel`)."""
    if not isinstance(issue, NumericIssue) or issue.size <= MAX_SHOWN:
        return tuple(range(issue.size))
    return tuple(int(k) for k in PartWorthModel.of((issue,), max_parts=SPACED).parts[0].options)


def issue_forms(issues: Sequence[Issue], public: Mapping[str, Any] | None = None) -> tuple[IssueForm, ...]:
    described = {doc["name"]: doc.get("description") or "" for doc in (public or {}).get("issues", [])}
    forms = []
    for issue in issues:
        positions = shown(issue)
        forms.append(IssueForm(issue.name, tuple(label(issue.options[k]) for k in positions), positions,
                               described.get(issue.name, ""), len(positions) < issue.size))
    return tuple(forms)


def describe(issues: Sequence[Issue], package: Sequence[int]) -> dict[str, str]:
    """A package of option positions as ``{issue: option text}``."""
    return {issue.name: label(issue.options[int(k)]) for issue, k in zip(issues, package)}


def read_inputs(issues: Sequence[Issue], fields: Mapping[str, Any]) -> Inputs:
    """The inputs of a form: ``importance.<issue>`` (whole points), ``ratings.<issue>.<option>``
    (0 to 10), ``never.<issue>.<option>`` (present when ticked) and ``reservation`` (0 to 1).
    Other fields are not read; one that names no issue or option is refused."""
    expected = {f"importance.{issue.name}" for issue in issues}
    importance = {}
    for issue in issues:
        name = f"importance.{issue.name}"
        importance[issue.name] = _whole(fields.get(name), name, 0, POINTS, "points")
    ratings, never = {}, {}
    for issue in issues:
        given, ticked = [], []
        for k in shown(issue):
            option = issue.options[k]
            rating, rule = f"ratings.{issue.name}.{label(option)}", f"never.{issue.name}.{label(option)}"
            expected |= {rating, rule}
            given.append(_number(fields.get(rating), rating, 0, TOP_RATING, "a rating"))
            if str(fields.get(rule) or "").strip():
                ticked.append(k)
        ratings[issue.name], never[issue.name] = tuple(given), tuple(ticked)
    for key in fields:
        if key.split(".", 1)[0] in ("importance", "ratings", "never") and key not in expected:
            raise InvalidRequest(f"{key}: no such issue or option in this room", field=key)
    reservation = _number(fields.get("reservation"), "reservation", 0, 1, "a reservation value")
    return check_inputs(issues, Inputs(importance, ratings, never, reservation))


def check_inputs(issues: Sequence[Issue], inputs: Inputs) -> Inputs:
    """``inputs`` if they make preferences; otherwise an :class:`InvalidRequest` naming the
    first field at fault."""
    names = [issue.name for issue in issues]
    for what in ("importance", "ratings", "never"):
        given = getattr(inputs, what)
        unknown = [name for name in given if name not in names]
        if unknown:
            raise InvalidRequest(f"{what}.{unknown[0]}: no such issue in this room", field=f"{what}.{unknown[0]}")
    for name in names:
        if name not in inputs.importance:
            raise InvalidRequest(f"importance.{name}: give this issue's points", field=f"importance.{name}")
        _whole(inputs.importance[name], f"importance.{name}", 0, POINTS, "points")
    total = sum(int(inputs.importance[name]) for name in names)
    if total != POINTS:
        field = f"importance.{names[0]}"
        raise InvalidRequest(f"{field}: points must sum to {POINTS}, they sum to {total}", field=field)
    for issue in issues:
        field, positions = f"ratings.{issue.name}", shown(issue)
        rated = tuple(inputs.ratings.get(issue.name, ()))
        if len(rated) != len(positions):
            raise InvalidRequest(f"{field}: rate each of its {len(positions)} options shown", field=field)
        for k, rating in zip(positions, rated):
            _number(rating, f"{field}.{label(issue.options[k])}", 0, TOP_RATING, "a rating")
        if inputs.importance[issue.name] > 0 and max(rated) == min(rated):
            raise InvalidRequest(
                f"{field}: every option is rated {min(rated):g}, so the issue cannot matter; "
                f"rate its options differently or give it 0 points", field=field)
        ruled_out = set(inputs.never.get(issue.name, ()))
        if any(not (isinstance(k, int) and 0 <= k < issue.size) for k in ruled_out):
            raise InvalidRequest(f"never.{issue.name}: no such option", field=f"never.{issue.name}")
        if len(ruled_out) == issue.size:
            raise InvalidRequest(
                f"never.{issue.name}: every option of {issue.name} is ruled out, so no package could "
                f"ever be accepted; leave at least one", field=f"never.{issue.name}")
    _number(inputs.reservation, "reservation", 0, 1, "a reservation value")
    return inputs


def preferences_of(issues: Sequence[Issue], inputs: Inputs) -> Preferences:
    """The normalised preferences of the inputs (direct rating: weights are the points over
    100, values the ratings rescaled per issue to run from 0 to 1)."""
    check_inputs(issues, inputs)
    ratings = {issue.name: {issue.options[k]: r for k, r in zip(shown(issue), inputs.ratings[issue.name])}
               for issue in issues}
    try:
        return preferences_from_ratings(issues, dict(inputs.importance), ratings)
    except ScenarioError as exc:  # check_inputs leaves none: a defect, named as well as can be
        raise InvalidRequest(f"preferences: {exc}", field="preferences") from None


def block_of(issues: Sequence[Issue], inputs: Inputs, stored: Stored | None = None) -> dict[str, Any]:
    """The confidential block of the inputs, in the native format ``Rooms.set_preferences``
    takes. From the stored block it keeps what the form does not write (outside pressure, a
    discount), its red lines the form cannot show, and each of its other red lines whose
    options are all still ruled out (with its name); the other options ruled out become one
    new red line per issue."""
    preferences = preferences_of(issues, inputs)
    block = {key: value for key, value in (stored.block if stored else {}).items() if key not in FORM_KEYS}
    block["reservation"] = float(inputs.reservation)
    block["weights"] = {issue.name: float(w) for issue, w in zip(issues, preferences.weights)}
    block["weights_sum"] = "one"
    block["values"] = {issue.name: {label(o): float(v) for o, v in zip(issue.options, table)}
                       for issue, table in zip(issues, preferences.tables)}
    chosen = {(i, int(k)) for i, issue in enumerate(issues) for k in inputs.never.get(issue.name, ())}
    lines, covered = [], set()
    if stored is not None:
        for doc, line in zip(stored.block.get("red_lines", []), stored.party.red_lines):
            pairs = _editable(line, issues)
            if pairs is None or pairs <= chosen:
                lines.append(doc)
                covered |= pairs or set()
    names = {line["name"] for line in lines}
    for i, issue in enumerate(issues):
        options = [label(issue.options[k]) for p, k in sorted(chosen - covered) if p == i]
        if options:
            name = _unique(f"never {issue.name.replace('_', ' ')}: {', '.join(options)}", names)
            names.add(name)
            lines.append({"name": name, "never": {issue.name: options}})
    if lines:
        block["red_lines"] = lines
    return block


def inputs_of(issues: Sequence[Issue], stored: Stored) -> tuple[Inputs, tuple[str, ...]]:
    """The stored preferences as the form's inputs (on the page's scale, see the module's
    docstring), and what the form cannot show of them."""
    party = stored.party
    weighted = party.preferences.weighted_tables
    lows = np.array([float(t.min()) for t in weighted])
    spreads = np.array([float(t.max() - t.min()) for t in weighted])
    total, base = float(spreads.sum()), float(lows.sum())
    notes = []
    if total <= _EPSILON:
        exact = np.full(len(issues), POINTS / len(issues))
        reservation = 0.0
        notes.append("Your stored preferences value every package alike; share the points and rate the "
                     "options to say what matters to you.")
    else:
        exact = POINTS * spreads / total
        reservation = (party.reservation - base) / total
        if abs(base) > _EPSILON or abs(total - 1) > _EPSILON:
            notes.append(
                "Your stored preferences were not on this page's scale (in every issue the worst option "
                "rated 0 and the best 10, the points summing to 100): they are shown rescaled, your "
                "reservation value with them, so every package keeps its place against the others and "
                "against your reservation value. Saving stores them on this scale.")
    points = _shares(exact)
    if np.max(np.abs(points - exact)) > 1e-6:
        notes.append("The importance of your stored preferences is rounded to whole points here; saving "
                     f"changes an issue's weight by at most {np.max(np.abs(points - exact)):.2g} points.")
    if not 0 <= reservation <= 1:
        clipped = min(max(reservation, 0.0), 1.0)
        notes.append(f"Your stored reservation value is {'below the worst' if reservation < 0 else 'above the best'} "
                     f"package's worth; it is shown as {clipped:g}.")
        reservation = clipped
    ratings = {}
    for issue, table, raw, spread in zip(issues, weighted, party.preferences.tables, spreads):
        # an issue without importance keeps the ratings of its options, which matter once it gets some
        full, positions = _ratings(table if spread > _EPSILON else raw), shown(issue)
        ratings[issue.name] = tuple(full[k] for k in positions)
        between = rating_table(issue, {issue.options[k]: full[k] for k in positions})
        if np.max(np.abs(between - np.array(full))) > 1e-6:
            notes.append(f"Your values of {issue.name} between the ones shown do not lie on straight lines between "
                         "them, as this page rates them; saving puts them on those lines.")
    never: dict[str, set[int]] = {issue.name: set() for issue in issues}
    for line in party.red_lines:
        pairs = _editable(line, issues)
        if pairs is None:
            what = ("combines several issues" if not line.is_separable
                    else "rules out values this page does not show")
            notes.append(f"Your red line '{line.name}' {what}; it is kept as it is when you save.")
            continue
        for i, k in pairs:
            never[issues[i].name].add(k)
    if party.preferences.interactions:
        notes.append("Your stored preferences have interaction terms (the worth of one option depending on "
                     "another issue's), which this page cannot show: it shows the rest, and saving replaces "
                     "them with the additive preferences of the form.")
    if stored.uncertain:
        notes.append("Your stored preferences say how uncertain they are (ranges or distributions), which this "
                     "page does not show; saving removes that, as it described the preferences saving replaces.")
    if party.pressure:
        notes.append(f"Your outside pressure ({', '.join(p.name for p in party.pressure)}) is not shown here; "
                     "it is kept as it is when you save.")
    inputs = Inputs(
        importance={issue.name: int(p) for issue, p in zip(issues, points)},
        ratings=ratings,
        never={name: tuple(sorted(ks)) for name, ks in never.items()},
        reservation=float(reservation),
    )
    return inputs, tuple(notes)


def _ratings(table: np.ndarray) -> tuple[float, ...]:
    """Option values as ratings from 0 (the worst option) to 10 (the best); all 0 when alike."""
    spread = float(table.max() - table.min())
    scaled = np.clip((table - table.min()) / spread, 0, 1) * TOP_RATING if spread > _EPSILON else np.zeros(table.size)
    return tuple(float(v) for v in scaled)


def _editable(line: Any, issues: Sequence[Issue]) -> set[tuple[int, int]] | None:
    """The (issue, option) pairs a red line rules out, when the form can show them: None for
    a red line that combines issues or rules out options the form does not show."""
    if not line.is_separable:
        return None
    pairs = {(int(position), int(k)) for box in line.boxes for position, mask in box for k in np.flatnonzero(mask)}
    visible = [set(shown(issue)) for issue in issues]
    return pairs if all(k in visible[i] for i, k in pairs) else None


def _shares(exact: np.ndarray) -> np.ndarray:
    """Whole numbers summing to :data:`POINTS`, each within 1 of ``exact`` (largest remainders,
    ties to the first issue)."""
    floors = np.floor(exact + 1e-9)
    left = int(np.rint(POINTS - floors.sum()))
    order = np.argsort(-(exact - floors), kind="stable")
    floors[order[:max(left, 0)]] += 1
    return floors.astype(int)


def _unique(name: str, taken: set[str]) -> str:
    found, n = name, 1
    while found in taken:
        n += 1
        found = f"{name} ({n})"
    return found


def _parsed(value: Any) -> tuple[float, str]:
    """A number given as itself or as text (a decimal comma read as a point), NaN for
    anything else; and the text to quote back."""
    if isinstance(value, bool):
        return math.nan, str(value)
    if isinstance(value, int | float):
        return float(value), f"{value}"
    text = "" if value is None else str(value).strip()
    try:
        return float(text.replace(",", ".")), text
    except ValueError:
        return math.nan, text


def _whole(value: Any, field: str, low: int, high: int, what: str) -> int:
    number, text = _parsed(value)
    if not (math.isfinite(number) and number == int(number) and low <= number <= high):
        shown = f"'{text}'" if text else "nothing"
        raise InvalidRequest(f"{field}: expected whole {what} from {low} to {high}, got {shown}", field=field)
    return int(number)


def _number(value: Any, field: str, low: float, high: float, what: str) -> float:
    number, text = _parsed(value)
    if not (math.isfinite(number) and low <= number <= high):
        shown = f"'{text}'" if text else "nothing"
        raise InvalidRequest(f"{field}: expected {what} from {low:g} to {high:g}, got {shown}", field=field)
    return number


# -- the package check ----------------------------------------------------------------------


def check_model(issues: Sequence[Issue]) -> PartWorthModel:
    """The part-worth model of the package check: the richest whose part-worths
    :data:`MAX_PACKAGES` packages can pin down (numeric issues get from five down to two
    breakpoints, i.e. a linear value function), so that the refitted weights come from the
    ratings rather than from the fit's choice among the many that reproduce them."""
    for parts in (5, 4, 3, 2):
        model = PartWorthModel.of(tuple(issues), max_parts=parts)
        if model.degrees_of_freedom + 1 <= MAX_PACKAGES:
            break
    return model


def packages_to_rate(issues: Sequence[Issue], room_id: str, party: str) -> np.ndarray:
    """The packages of ``party``'s package check in ``room_id`` (option positions, one row
    each): an informative design (:func:`~servanda.elicitation.design_packages`) for
    :func:`check_model`, the same every time for the same room and party."""
    model = check_model(issues)
    count = min(MAX_PACKAGES, max(model.degrees_of_freedom + 1, MIN_PACKAGES))
    seed = int.from_bytes(hashlib.sha256(f"{room_id}\n{party}\npackage check".encode()).digest()[:8], "big")
    return design_packages(model, count, seed)


def read_package_ratings(fields: Mapping[str, Any], count: int) -> list[float]:
    """The ratings ``package.1`` ... ``package.<count>`` of a form (0 to 10 each)."""
    ratings = [_number(fields.get(f"package.{k}"), f"package.{k}", 0, TOP_RATING, "a rating")
               for k in range(1, count + 1)]
    if count > 1 and max(ratings) == min(ratings):
        raise InvalidRequest("package.1: every package has the same rating, so the ratings say nothing about "
                             "what matters; rate at least two packages differently", field="package.1")
    return ratings


def package_check(issues: Sequence[Issue], stated: Preferences, packages: np.ndarray,
                  ratings: Sequence[float]) -> PackageCheck:
    """Refit the preferences from ``ratings`` of ``packages`` (metric conjoint,
    :func:`~servanda.elicitation.fit_package_ratings` on :func:`check_model`) and compare them
    with the ``stated`` ones (:func:`~servanda.elicitation.compare_preferences`). An issue's
    importance is flagged only when the packages pin the refit down (``identified``)."""
    try:
        fit = fit_package_ratings(check_model(issues), packages, ratings)
    except ScenarioError as exc:
        raise InvalidRequest(f"packages: {exc.message}", field="packages") from None
    comparison = compare_preferences(stated, fit.preferences, packages)
    differs = set(comparison.issues) if fit.identified else set()
    stated_points = _shares(POINTS * stated.weights)
    fitted_points = _shares(POINTS * fit.preferences.weights)
    return PackageCheck(
        issues=tuple(IssueCheck(issue.name, int(a), int(b), i in differs)
                     for i, (issue, a, b) in enumerate(zip(issues, stated_points, fitted_points))),
        packages=tuple(describe(issues, package) for package in packages),
        ratings=tuple(float(r) for r in ratings),
        stated=tuple(float(u) for u in comparison.utilities[0]),
        fitted=tuple(float(u) for u in comparison.utilities[1]),
        disagreements=comparison.reversed_pairs,
        r_squared=float(fit.r_squared),
        identified=bool(fit.identified),
    )
