"""An agreement's status, computed from evidence only.

- *informal deal*: some party lacks a valid signature by a representative who had the
  power to sign when signing;
- *signed*: every party validly signed;
- *in force*: signed, and ratified by every party where the text requires ratification
  (a text that does not is in force once signed, VCLT art. 12).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from servanda.errors import TreatyError
from servanda.treaty.authority import authority, office_label
from servanda.treaty.evidence import Act, Evidence
from servanda.treaty.statements import DraftVersion, Power, Signature


class Status(StrEnum):
    INFORMAL = "informal deal"
    SIGNED = "signed"
    IN_FORCE = "in force"


@dataclass(frozen=True)
class PartyStanding:
    """One party's part in the agreement: whether it is bound, and why (or why not)."""

    party: str
    signed: bool
    ratified: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class AgreementStatus:
    """The status of one version of the text, party by party."""

    title: str
    version: int
    text: str
    requires_ratification: bool
    status: Status
    parties: tuple[PartyStanding, ...]

    def as_dict(self) -> dict:
        """As plain data (JSON-ready)."""
        return {
            "title": self.title, "version": self.version, "text": self.text,
            "requires_ratification": self.requires_ratification, "status": self.status.value,
            "parties": [
                {"party": s.party, "signed": s.signed, "ratified": s.ratified, "reasons": list(s.reasons)}
                for s in self.parties
            ],
        }

    def explanation(self) -> list[str]:
        """One line per reason, each naming its party."""
        return [f"{standing.party}: {reason}" for standing in self.parties for reason in standing.reasons]


def agreement_status(evidence: Evidence, version: int | None = None) -> AgreementStatus:
    """The status of a version of the text (the latest with ``None``)."""
    text_act = evidence.draft(version)
    if text_act is None:
        which = "no draft" if version is None else f"no draft version {version}"
        raise TreatyError(f"the negotiation has {which}")
    text: DraftVersion = text_act.statement
    standings = tuple(_standing(evidence, text_act, party) for party in text.parties)
    if not all(standing.signed for standing in standings):
        status = Status.INFORMAL
    elif text.requires_ratification and not all(standing.ratified for standing in standings):
        status = Status.SIGNED
    else:
        status = Status.IN_FORCE
    return AgreementStatus(
        text.title, text.version, text_act.id, text.requires_ratification, status, standings
    )


def _standing(evidence: Evidence, text_act: Act, party: str) -> PartyStanding:
    text: DraftVersion = text_act.statement
    if evidence.root_key(party) is None:
        return PartyStanding(party, False, False, ("has not registered a root key",))
    reasons: list[str] = []
    bound_at: int | None = None
    for act in evidence.signatures(text_act.id):
        signature = act.statement
        if signature.party != party:
            continue
        who = office_label(evidence, party, act.signer, signature.representative, act.seq)
        power = authority(evidence, party, act.signer, Power.SIGN, act, signature.mandate)
        reasons.append(f"signed by {who}, {power.reason}")
        if power.granted and bound_at is None:
            bound_at = act.seq
    if bound_at is None and not reasons:
        earlier = sorted({
            act.statement.version for act in evidence.of_type(Signature)
            if act.statement.party == party and act.statement.text != text_act.id
        })
        if earlier:
            listed = ", ".join(str(v) for v in earlier)
            reasons.append(f"signed only other versions ({listed}), not version {text.version}")
        else:
            reasons.append(f"has not signed version {text.version}")
    signed = bound_at is not None
    ratified = False
    if text.requires_ratification:
        ratified, ratification_reasons = _ratification(evidence, text_act, party, bound_at)
        reasons.extend(ratification_reasons)
    return PartyStanding(party, signed, ratified, tuple(reasons))


def _ratification(
    evidence: Evidence, text_act: Act, party: str, bound_at: int | None
) -> tuple[bool, list[str]]:
    """Whether the party ratified the text after signing it, by its root key or someone
    with the power to ratify."""
    reasons = []
    for act in evidence.ratifications(text_act.id):
        if act.statement.party != party:
            continue
        if act.signer == evidence.root_key(party, act.seq):
            who, power_reason, granted = "its root key", "", True
        else:
            who = office_label(evidence, party, act.signer, None, act.seq)
            power = authority(evidence, party, act.signer, Power.RATIFY, act, None)
            power_reason, granted = f", {power.reason}", power.granted
        if not granted:
            reasons.append(f"ratification by {who}{power_reason}")
        elif bound_at is None or act.seq < bound_at:
            reasons.append(f"ratified by {who} before validly signing, which does not count")
        else:
            reasons.append(f"ratified by {who} on {act.logged_at:%Y-%m-%d}{power_reason}")
            return True, reasons
    if not reasons:
        reasons.append("has not ratified")
    return False, reasons
