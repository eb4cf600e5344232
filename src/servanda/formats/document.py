"""The native scenario file format, as pydantic models.

These models are the file's schema: ``servanda schema`` prints them as JSON Schema, and
the README's scenario file reference describes the same fields. They check the shape of a
file; :mod:`servanda.formats.native` checks what needs the whole scenario (that a
preference names a known issue, that every option has a value, ...) and builds the model.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from servanda.model import Role

Number = int | float
OptionName = str | int | float


class _Strict(BaseModel):
    # Unknown fields are typos; NaN and infinity are never meaningful in a scenario.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CategoricalIssueDoc(_Strict):
    """Unordered named options."""

    name: str = Field(min_length=1)
    type: Literal["categorical"]
    options: list[Annotated[str, Field(min_length=1)]] = Field(
        description="The options, at least one, names unique."
    )
    description: str = ""


class OrdinalIssueDoc(_Strict):
    """Named options in order, from lowest to highest."""

    name: str = Field(min_length=1)
    type: Literal["ordinal"]
    options: list[Annotated[str, Field(min_length=1)]] = Field(
        description="The options from lowest to highest."
    )
    description: str = ""


class IntegerIssueDoc(_Strict):
    """The integers min, min+step, ..., max, plus optional extra named options."""

    name: str = Field(min_length=1)
    type: Literal["integer"]
    min: int
    max: int
    step: int = Field(1, gt=0)
    extra: list[str] = Field(default_factory=list, description="Named options beside the range.")
    description: str = ""


class RealIssueDoc(_Strict):
    """Real numbers in [min, max], enumerated as ``steps`` evenly spaced values."""

    name: str = Field(min_length=1)
    type: Literal["real"]
    min: float
    max: float
    steps: int = Field(11, ge=2, description="Number of values the range is discretised into.")
    extra: list[str] = Field(default_factory=list)
    description: str = ""


IssueDoc = Annotated[
    CategoricalIssueDoc | OrdinalIssueDoc | IntegerIssueDoc | RealIssueDoc,
    Field(discriminator="type"),
]


class PiecewiseDoc(_Strict):
    """A piecewise-linear value function of a numeric issue: ``points`` are (x, value)
    pairs with increasing x; constant beyond the first and last point."""

    points: list[tuple[float, float]] = Field(min_length=1)
    extra: dict[str, float] = Field(
        default_factory=dict, description="Values of the issue's extra named options."
    )


class ComparisonDoc(_Strict):
    """Numeric options selected by comparison (all given bounds apply)."""

    below: float | None = None
    at_most: float | None = None
    above: float | None = None
    at_least: float | None = None


Selection = list[OptionName] | ComparisonDoc


class InteractionDoc(_Strict):
    """Extra utility when two issues take the given options together."""

    when: dict[str, OptionName] = Field(description="Exactly two issues and their options.")
    value: float


class RedLineDoc(_Strict):
    """Outcomes the party never accepts. ``never``: outcomes where every listed issue takes
    one of the listed options; ``only``: outcomes where some listed issue takes an option
    outside its list. Give exactly one of them."""

    name: str = Field(min_length=1)
    never: dict[str, Selection] | None = None
    only: dict[str, Selection] | None = None
    description: str = ""


class PressureDoc(_Strict):
    """Outside pressure: ``change`` is added to the party's reservation value in rounds
    ``from_round`` (default 0) up to, not including, ``until_round`` (default: the end);
    with ``while_on_table``, only while the offer on the table takes one of the listed
    options on every listed issue (relief that pays only while an interim deal holds).
    ``weights`` gives some issues a new weight (as given, not normalized) in the same
    rounds; the other weights stay. An event with ``weights`` may not have
    ``while_on_table``."""

    name: str = Field(min_length=1)
    change: float = 0.0
    from_round: int = Field(0, ge=0)
    until_round: int | None = Field(None, ge=1)
    while_on_table: dict[str, Selection] = Field(default_factory=dict)
    weights: dict[str, float] = Field(
        default_factory=dict, description="New weights of some issues, each finite and >= 0."
    )
    description: str = ""


class RepresentativeDoc(_Strict):
    name: str = Field(min_length=1)
    role: Role
    title: str = ""


class NormalDoc(_Strict):
    """A normal distribution, truncated to the domain of what it describes (weights >= 0,
    option values in [0, 1] unless 'weights_sum: free'); draws outside are redrawn."""

    normal: tuple[float, float] = Field(description="[mean, standard deviation > 0].")


def _spread_kind(value: Any) -> str:
    return "NormalDoc" if isinstance(value, dict) else "range[low, high]"


#: An uncertain number: a range ``[low, high]`` (uniform) or ``{normal: [mean, sd]}``.
Spread = Annotated[
    Annotated[tuple[float, float], Tag("range[low, high]")] | Annotated[NormalDoc, Tag("NormalDoc")],
    Discriminator(_spread_kind),
]


class DirichletDoc(_Strict):
    """The weights of the listed issues drawn from a Dirichlet distribution that shares their
    total weight among them (the other weights stay): ``{issue: alpha, ...}`` for at least
    two issues, or one number c, the concentration, for alphas proportional to the weights
    (c * w_i over every issue of positive weight; the larger c, the closer to the weights)."""

    dirichlet: float | dict[str, float]


def _weights_kind(value: Any) -> str:
    return "DirichletDoc" if isinstance(value, dict) and "dirichlet" in value else "dict[issue, spread]"


UncertainWeights = Annotated[
    Annotated[dict[str, Spread], Tag("dict[issue, spread]")] | Annotated[DirichletDoc, Tag("DirichletDoc")],
    Discriminator(_weights_kind),
]


class UncertaintyDoc(_Strict):
    """What is uncertain about the party's preferences; everything else is exact. The
    nominal weights, values and reservation value above stay the point estimate; a range
    must contain it."""

    weights: UncertainWeights = Field(
        default_factory=dict,
        description=(
            "Per issue a range [low, high] or {normal: [mean, sd]}; the drawn weights, with "
            "the exact ones, are scaled to the sum of the weights. Or {dirichlet: ...}."
        ),
    )
    values: dict[str, dict[OptionName, Spread]] = Field(
        default_factory=dict,
        description="Per issue and option, a range [low, high] or {normal: [mean, sd]}.",
    )
    reservation: Spread | None = Field(None, description="A range or {normal: [mean, sd]}.")
    description: str = Field("", description="Where the ranges come from (say, 'assumed').")


class PartyDoc(_Strict):
    """A party: its representatives, preferences, red lines and reservation value."""

    name: str = Field(min_length=1)
    description: str = ""
    representatives: list[RepresentativeDoc] = Field(default_factory=list)
    reservation: float = Field(0.0, description="Utility of no agreement (BATNA).")
    discount: float | None = Field(None, gt=0, le=1, description="Per-round discount factor.")
    weights: dict[str, float] = Field(description="Importance of every issue, each >= 0.")
    weights_sum: Literal["one", "normalize", "free"] = Field(
        "one",
        description=(
            "one: the weights must sum to 1 (within 1e-6), otherwise the file is rejected; "
            "normalize: they are divided by their sum; free: kept as given (GENIUS keeps "
            "raw weights, so conversions from GENIUS use this)."
        ),
    )
    values: dict[str, dict[OptionName, float] | PiecewiseDoc] = Field(
        description=(
            "Per issue, a value in [0, 1] for every option (any finite number with "
            "'weights_sum: free'), or a piecewise-linear function for a numeric issue."
        )
    )
    interactions: list[InteractionDoc] = Field(default_factory=list)
    red_lines: list[RedLineDoc] = Field(default_factory=list)
    pressure: list[PressureDoc] = Field(default_factory=list)
    uncertainty: UncertaintyDoc | None = Field(
        None, description="Ranges or distributions of weights, option values and the reservation value."
    )


class ScenarioDoc(_Strict):
    """A negotiation scenario: issues and parties."""

    name: str = Field(min_length=1)
    description: str = ""
    issues: list[IssueDoc] = Field(min_length=1)
    parties: list[PartyDoc] = Field(min_length=1)
