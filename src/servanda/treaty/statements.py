"""What is signed: one pydantic model per kind of treaty act, the signed envelope around it,
and the log record that puts the envelope in the ledger with the time it was logged.

Every statement names the negotiation it belongs to, so a signature cannot be replayed in
another one. A statement's id is the SHA-256 of its RFC 8785 bytes: content-addressed, so an
id can be neither forged nor reused.
"""

from __future__ import annotations

import hashlib
import unicodedata
from enum import StrEnum
from typing import Annotated, Any, Literal, Union

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, field_validator

from servanda.crypto import PUBLIC_KEY_HEX, SIGNATURE_HEX, canonical_json, public_hex, sign, verify
from servanda.ledger.timestamps import parse_timestamp
from servanda.model.parties import Role

Hex64 = Annotated[str, StringConstraints(pattern=f"^{PUBLIC_KEY_HEX.pattern}$")]
SignatureHex = Annotated[str, StringConstraints(pattern=f"^{SIGNATURE_HEX.pattern}$")]


def _printable(value: str, newlines: bool = False) -> str:
    """Text that prints as it reads: NFC-normalised, no control or format characters (a
    name carrying terminal escapes could forge the lines a verifier is told to compare)."""
    if unicodedata.normalize("NFC", value) != value:
        raise ValueError("text must be in Unicode normal form NFC")
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co") and not (newlines and char == "\n"):
            raise ValueError(f"text may not contain the control character {char!r}")
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_printable)]
Prose = Annotated[str, AfterValidator(lambda value: _printable(value, newlines=True))]
Serial = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class Power(StrEnum):
    """What a mandate allows, after the acts of VCLT arts. 7, 9-14."""

    NEGOTIATE = "negotiate"
    ADOPT = "adopt"
    SIGN = "sign"
    RATIFY = "ratify"


#: Offices whose holders negotiate, adopt and sign without producing full powers
#: (VCLT art. 7(2)(a)) once their party has registered them in that office; they may also
#: ratify for it.
FULL_POWERS_OFFICES = frozenset({Role.HEAD_OF_STATE, Role.HEAD_OF_GOVERNMENT, Role.FOREIGN_MINISTER})


def _timestamp(value: str) -> str:
    parse_timestamp(value)
    return value


class _Statement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    negotiation: Hex64

    def id(self) -> str:
        """The content address: SHA-256 (hex) of the canonical statement."""
        return hashlib.sha256(canonical_json(self.payload())).hexdigest()

    def payload(self) -> dict[str, Any]:
        """The JSON object that is signed (``None`` fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)


class Opening(_Statement):
    """The first entry of a negotiation's ledger: its id, its title and the key that signs
    the log's tree heads, signed by the convener. Naming the log key binds the negotiation
    to its log: its acts cannot be replayed, re-dated or re-ordered in a log of other keys."""

    type: Literal["opening"] = "opening"
    title: Name
    log_key: Hex64


class PartyRegistration(_Statement):
    """A party declares its root key (self-signed); the first registration of a name counts."""

    type: Literal["party"] = "party"
    party: Name
    key: Hex64


class OfficeRegistration(_Statement):
    """A party's root key registers a representative's key in an office (role)."""

    type: Literal["office"] = "office"
    party: Name
    holder: Name
    role: Role
    key: Hex64
    serial: Serial | None = None  # random: a registration repeated after a revocation is a new act


class Mandate(_Statement):
    """Full powers (VCLT art. 7(1)): issued by the party's root key (``parent`` None) or
    delegated by the holder of a delegable ``parent`` mandate, only ever narrower."""

    type: Literal["mandate"] = "mandate"
    party: Name
    holder: Name
    key: Hex64
    powers: tuple[Power, ...] = Field(min_length=1)
    not_before: str
    not_after: str
    delegable: bool = False
    parent: Hex64 | None = None
    serial: Serial | None = None  # random: the same powers granted again are a new mandate

    _check_times = field_validator("not_before", "not_after")(_timestamp)

    @field_validator("powers")
    @classmethod
    def _distinct_sorted(cls, powers: tuple[Power, ...]) -> tuple[Power, ...]:
        if len(set(powers)) != len(powers) or list(powers) != sorted(powers, key=list(Power).index):
            raise ValueError("powers must be distinct and in the order negotiate, adopt, sign, ratify")
        return powers


class Revocation(_Statement):
    """Withdraws a mandate or an office registration, from its place in the log on."""

    type: Literal["revocation"] = "revocation"
    target: Hex64
    reason: Prose = ""


class Author(BaseModel):
    """Who wrote a clause: a party and the representative acting for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    party: Name
    representative: Name


class Clause(BaseModel):
    """One clause of an agreement text, optionally settling one issue of the scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    text: Annotated[Prose, StringConstraints(min_length=1)]
    issue: Name | None = None
    option: Name | None = None
    author: Author


class DraftVersion(_Statement):
    """One version of the agreement text; ``previous`` is the id of the version it edits."""

    type: Literal["draft"] = "draft"
    version: int = Field(ge=1)
    title: Name
    parties: tuple[Name, ...] = Field(min_length=1)
    requires_ratification: bool
    clauses: tuple[Clause, ...] = Field(min_length=1)
    editor: Author
    previous: Hex64 | None = None


class Proposal(_Statement):
    """An offer made in the negotiation: one option per issue."""

    type: Literal["proposal"] = "proposal"
    party: Name
    representative: Name
    outcome: dict[Name, Name]
    binding: bool = True


class Signature(_Statement):
    """A representative signs one version of the text (``text`` is its id) for a party,
    under a mandate or, with ``mandate`` None, by office."""

    type: Literal["signature"] = "signature"
    text: Hex64
    version: int = Field(ge=1)
    party: Name
    representative: Name
    mandate: Hex64 | None = None


class Ratification(_Statement):
    """A party's consent to be bound (VCLT art. 14): by its root key, a representative in
    office, or a holder of a mandate to ratify."""

    type: Literal["ratification"] = "ratification"
    text: Hex64
    version: int = Field(ge=1)
    party: Name
    instrument: Prose = ""


Statement = Annotated[
    Union[
        Opening, PartyRegistration, OfficeRegistration, Mandate, Revocation, DraftVersion,
        Proposal, Signature, Ratification,
    ],
    Field(discriminator="type"),
]
_STATEMENT = TypeAdapter(Statement)


def parse_statement(payload: Any) -> Statement:
    """The statement model of a signed JSON object. It must be written exactly as the model
    writes it (no coerced values, no omitted defaults), so that what was signed and what is
    read can never differ; ``ValueError`` (pydantic's ``ValidationError`` is one) otherwise."""
    statement = _STATEMENT.validate_python(payload)
    if canonical_json(statement.payload()) != canonical_json(payload):
        raise ValueError("the statement is not in canonical form (coerced or omitted fields)")
    return statement


class Envelope(BaseModel):
    """A statement with its signer's public key and Ed25519 signature."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    statement: dict[str, Any]
    signer: Hex64
    signature: SignatureHex

    @classmethod
    def seal(cls, statement: _Statement, key: Ed25519PrivateKey) -> Envelope:
        """Sign ``statement`` with the private ``key``."""
        payload = statement.payload()
        return cls(statement=payload, signer=public_hex(key), signature=sign(key, payload))

    def verifies(self) -> bool:
        """Whether the signature is the signer's over the canonical statement."""
        return verify(self.signer, self.statement, self.signature)


class LogRecord(BaseModel):
    """What a ledger entry holds: the envelope and the time the log received it. The leaf
    hash covers both, so the log vouches for the order and the time of every act."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    entry: Envelope
    logged_at: str

    _check_time = field_validator("logged_at")(_timestamp)

    def data(self) -> bytes:
        """The leaf data: canonical JSON of the record."""
        return canonical_json(self.model_dump(mode="json"))
