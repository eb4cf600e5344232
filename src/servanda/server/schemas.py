"""The API's request and response bodies: one pydantic model each, so the OpenAPI document
describes every one and every request is validated at the edge."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

Option = StrictStr | StrictInt | StrictFloat  # a JSON true/false is no option
Package = dict[str, Option]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemField(BaseModel):
    field: str | None
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = Field(None, description="The part of the request at fault, e.g. outcome.army_cap.")
    errors: list[ProblemField] | None = None


class Credentials(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenRequest(Credentials):
    label: str = Field("", max_length=200, description="What the token is for, e.g. 'laptop CLI'.")


class Account(BaseModel):
    id: int
    username: str


class Token(BaseModel):
    username: str
    token: str = Field(description="Send as 'Authorization: Bearer <token>'.")


class Session(BaseModel):
    username: str
    csrf: str = Field(description="Send as the X-CSRF-Token header with every state-changing request.")


class RoomSummary(BaseModel):
    id: str
    title: str
    protocol: str
    role: str
    party: str | None
    phase: str


class Me(BaseModel):
    username: str
    rooms: list[RoomSummary]


class ScenarioUpload(_In):
    text: str = Field(
        min_length=1, max_length=2_000_000,
        description="A scenario in Servanda's native format, YAML or JSON (`servanda convert` turns "
        "GENIUS, GeniusWeb and NegMAS files into it).",
    )


class StoredScenario(BaseModel):
    id: str
    name: str
    created_at: str


class NewRoom(_In):
    scenario: ScenarioUpload | None = Field(None, description="The scenario, uploaded now...")
    scenario_id: str | None = Field(None, max_length=32, description="...or one stored before.")
    title: str | None = Field(None, max_length=200)
    protocol: Literal["alternating", "single-text"] = "alternating"
    rounds: int | None = Field(None, ge=1, le=100_000)
    seconds: float | None = Field(None, gt=0, le=366 * 86400)
    bots: dict[str, str] = Field(default_factory=dict, description="Seats played by bots: party -> strategy.")


class RoomCreated(BaseModel):
    id: str


class NewInvitation(_In):
    role: Literal["party", "mediator", "observer"]
    party: str | None = Field(None, max_length=200)
    representative: str | None = Field(None, max_length=200)
    representative_role: str | None = Field(None, max_length=40)


class Invitation(BaseModel):
    token: str = Field(description="One-time: POST /api/invitations/{token} to join.")
    path: str
    page: str = Field(description="The web page that accepts the invitation: send it to the person invited.")


class Joined(BaseModel):
    room: str


class Offer(_In):
    outcome: Package = Field(description="One option per issue.")


class Comment(_In):
    text: str = Field(min_length=1, max_length=4000)
    kind: Literal["comment", "question", "suggestion"] = "comment"
    outcome: Package | None = Field(None, description="A suggestion may carry a package.")


class ImprovementsOf(_In):
    offer: int | None = Field(None, ge=0, le=2**31, description="The event id of an offer, a text or the "
                              "agreement (default: the agreement, or else the package on the table).")


class EventIds(BaseModel):
    events: list[int]


class EventId(BaseModel):
    id: int


class Score(BaseModel):
    utility: float
    reservation: float
    gain: float
    breaks: list[str]


class Scored(BaseModel):
    outcome: Package
    scores: dict[str, Score] = Field(description="Only the parties whose preferences you may read.")


class Suggestion(BaseModel):
    outcome: Package
    gains: dict[str, float] = Field(description="Only the parties whose preferences you may read.")


class Preferences(BaseModel):
    party: str
    preferences: dict[str, Any]
    salt: str
    commitment: str
    mediator_may_read: bool


class NewPreferences(_In):
    preferences: dict[str, Any]


class Grant(_In):
    mediator_may_read: bool


class Prepare(_In):
    act: Literal["party", "office", "mandate", "revocation", "draft", "signature", "ratification"]
    fields: dict[str, Any] = Field(default_factory=dict)


class Prepared(BaseModel):
    statement: dict[str, Any]
    canonical: str = Field(description="The exact UTF-8 text to sign with Ed25519 (RFC 8785).")


class SignedAct(_In):
    statement: dict[str, Any]
    signer: str = Field(pattern=r"^[0-9a-f]{64}$")
    signature: str = Field(pattern=r"^[0-9a-f]{128}$")


class Member(BaseModel):
    username: str
    role: str
    party: str | None
    representative: str | None


class Me_InRoom(BaseModel):
    username: str
    role: str
    party: str | None
    representative: str | None
    convener: bool


class OnTable(BaseModel):
    event: int | None
    by: str | None
    outcome: Package
    scores: dict[str, Score]
    accepted_by: list[str]


class RoomView(BaseModel):
    id: str
    title: str
    protocol: str
    phase: str
    ending: str
    round: int
    rounds: int | None
    ends_at: str | None
    to_act: str | None
    offers: int
    on_table: OnTable | None
    agreement: Scored | None
    improvement: OnTable | None
    drafted: bool
    parties: list[str]
    seats: dict[str, str | None] = Field(description="party -> the bot playing its seat (null: people)")
    people: list[Member]
    me: Me_InRoom
    status: dict[str, Any] | None = Field(description="The agreement's status, once a text is drafted.")
    last_event: int


class Event(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    at: str
    type: str
    category: Literal["binding", "discussion", "procedure"]


class Consistency(BaseModel):
    old_size: int
    new_size: int
    proof: list[str]
