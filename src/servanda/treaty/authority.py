"""Who may do what, when: full powers by office and by mandate (VCLT art. 7), delegation
chains that only narrow, expiry and revocation — decided from the evidence alone; and who
holds which powers now (:func:`holdings`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from servanda.ledger.timestamps import parse_timestamp
from servanda.treaty.evidence import Act, Evidence
from servanda.treaty.statements import FULL_POWERS_OFFICES, Mandate, OfficeRegistration, Power


@dataclass(frozen=True)
class Authority:
    """The answer to "may this key do this for this party now?", with the reason."""

    granted: bool
    reason: str


def short(act_id: str) -> str:
    """The id as people see it: its first 12 hex digits."""
    return act_id[:12]


def office_label(evidence: Evidence, party: str, key: str, name: str | None, before: int) -> str:
    """"S. Witkoff (envoy)": the person the party registered for the key, in that office (or
    named in a mandate for it), and the name claimed (``name``, if any) when it differs."""
    offices = evidence.offices(party, key, before)
    if offices:
        office = offices[0].statement
        label = f"{office.holder} ({office.role.value.replace('_', ' ')})"
        registered = office.holder
    else:
        mandates = evidence.mandates_held(party, key, before)
        registered = mandates[0].statement.holder if mandates else None
        label = registered or name or "a key"
    if registered is not None and name is not None and registered != name:
        label += f", signing as '{name}'"
    return label


#: Longer delegation chains are refused: no real mandate needs them, and a bundle from
#: outside must not make verification arbitrarily expensive.
MAX_DELEGATIONS = 16


def mandate_defect(
    evidence: Evidence, act: Act, party: str, at_seq: int, at_time: datetime
) -> str | None:
    """Why the mandate ``act`` gives no authority for ``party`` at log position ``at_seq``
    and time ``at_time`` (None: it does). Checks the whole chain up to the root key: every
    ancestor valid when each link below it was delegated, and when the mandate is used."""
    memo: dict[tuple[int, int, datetime], str | None] = {}

    def defect(act: Act, at_seq: int, at_time: datetime, depth: int) -> str | None:
        # Memoised: a chain of d links is checked at O(d) moments per link, not 2**d.
        key = (act.seq, at_seq, at_time)
        if key not in memo:
            memo[key] = _link_defect(evidence, act, party, at_seq, at_time, depth, defect)
        return memo[key]

    return defect(act, at_seq, at_time, 0)


def _link_defect(evidence, act, party, at_seq, at_time, depth, defect) -> str | None:
    mandate: Mandate = act.statement
    label = f"mandate {short(act.id)}"
    if mandate.party != party:
        return f"{label} is for {mandate.party}, not {party}"
    if at_time < parse_timestamp(mandate.not_before):
        return f"{label} is valid only from {mandate.not_before}"
    if at_time > parse_timestamp(mandate.not_after):
        return f"{label} expired on {mandate.not_after}"
    root = evidence.root_key(party, act.seq)
    if mandate.parent is None:
        if act.signer != root:
            return f"{label} was not issued by {party}'s root key"
        issuers = {root}
    else:
        if depth >= MAX_DELEGATIONS:
            return f"{label} ends a chain of more than {MAX_DELEGATIONS} delegations"
        parent = evidence.find(mandate.parent)
        if parent is None or not isinstance(parent.statement, Mandate) or parent.seq > act.seq:
            return f"{label} is delegated from a mandate that is not in the log before it"
        problem = _delegation_defect(parent, act)
        if problem:
            return f"{label} {problem}"
        problem = defect(parent, act.seq, act.logged_at, depth + 1)
        if problem:
            return f"{label} was delegated under {problem}"
        problem = defect(parent, at_seq, at_time, depth + 1)
        if problem:
            return f"{label} depends on {problem}"
        issuers = {root, act.signer} - {None}
    revocation = evidence.revocation_of(act.id, issuers, at_seq)
    if revocation is not None:
        why = f" ({revocation.statement.reason})" if revocation.statement.reason else ""
        return f"{label} was revoked on {_day(revocation.logged_at)}{why}"
    return None


def _delegation_defect(parent_act: Act, child_act: Act) -> str | None:
    """Delegation may only narrow: by the parent's holder, from a delegable parent, with no
    more powers and no longer validity."""
    parent: Mandate = parent_act.statement
    child: Mandate = child_act.statement
    if child_act.signer != parent.key:
        return "was delegated by someone other than the holder of its parent mandate"
    if not parent.delegable:
        return f"was delegated from mandate {short(parent_act.id)}, which may not be delegated"
    extra = set(child.powers) - set(parent.powers)
    if extra:
        return f"claims powers its parent lacks: {', '.join(sorted(extra))}"
    if (parse_timestamp(child.not_before) < parse_timestamp(parent.not_before)
            or parse_timestamp(child.not_after) > parse_timestamp(parent.not_after)):
        return "outlasts the validity of its parent mandate"
    return None


def authority(
    evidence: Evidence, party: str, key: str, power: Power, act: Act, mandate_id: str | None
) -> Authority:
    """Whether ``key`` held ``power`` for ``party`` when ``act`` was logged: by office
    (heads of state and government, foreign ministers), else by the named mandate, or by
    any mandate it holds when none is named."""
    for office in evidence.offices(party, key, act.seq):
        if office.statement.role in FULL_POWERS_OFFICES:
            return Authority(True, "with full powers by office")
    if mandate_id is not None:
        found = evidence.find(mandate_id)
        if found is None or not isinstance(found.statement, Mandate) or found.seq > act.seq:
            return Authority(False, f"who cites mandate {short(mandate_id)}, which is not in the log")
        candidates = [found]
    else:
        candidates = evidence.mandates_held(party, key, act.seq)
    if not candidates:
        return Authority(False, f"who holds no mandate to {power.value}")
    reasons = []
    for candidate in candidates:
        if candidate.statement.key != key:
            reasons.append(f"who cites mandate {short(candidate.id)}, which names another holder")
            continue
        if power not in candidate.statement.powers:
            allowed = ", ".join(p.value for p in candidate.statement.powers)
            reasons.append(f"whose mandate {short(candidate.id)} allows only {allowed}")
            continue
        defect = mandate_defect(evidence, candidate, party, act.seq, act.logged_at)
        if defect is None:
            return Authority(True, f"under mandate {short(candidate.id)} to {power.value}")
        reasons.append(f"whose {defect}")
    return Authority(False, "; ".join(reasons))


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Holding:
    """Someone who holds powers for a party now, and by what: an office (with full powers
    by office or without them) or a valid mandate."""

    party: str
    holder: str
    key: str
    powers: tuple[Power, ...]
    basis: str
    act: str  # the id of the office registration or mandate it rests on

    def as_dict(self) -> dict:
        """As plain data (JSON-ready)."""
        return {"party": self.party, "holder": self.holder, "key": self.key,
                "powers": [power.value for power in self.powers], "basis": self.basis, "act": self.act}


def holdings(evidence: Evidence, at: datetime, before: int | None = None) -> list[Holding]:
    """Who holds which powers, party by party (in order of registration, then log order),
    at time ``at`` and log position ``before`` (default: after the last act).

    An office registered by the party's root key and not revoked is listed: heads of state
    and government and foreign ministers with every power (VCLT art. 7(2)(a), see
    :func:`authority`), any other office with none (its holder may write the text for the
    party, but binds it only under a mandate). A mandate is listed while
    :func:`mandate_defect` finds nothing wrong with it or its chain: revoked, expired and
    not yet valid mandates are left out."""
    if before is None:
        before = evidence.acts[-1].seq + 1 if evidence.acts else 0
    found: list[Holding] = []
    for party in evidence.parties():
        for act in evidence.of_type(OfficeRegistration, before):
            office: OfficeRegistration = act.statement
            if office.party != party or act not in evidence.offices(party, office.key, before):
                continue
            role = office.role.value.replace("_", " ")
            if office.role in FULL_POWERS_OFFICES:
                powers, basis = tuple(Power), f"office of {role}: full powers by office"
            else:
                powers, basis = (), f"office of {role}: binds {party} only under a mandate"
            found.append(Holding(party, office.holder, office.key, powers, basis, act.id))
        for act in evidence.of_type(Mandate, before):
            mandate: Mandate = act.statement
            if mandate.party != party or mandate_defect(evidence, act, party, before, at) is not None:
                continue
            basis = f"mandate {short(act.id)}, valid until {_day(parse_timestamp(mandate.not_after))}"
            if mandate.parent is not None:
                basis += f", delegated under mandate {short(mandate.parent)}"
            found.append(Holding(party, mandate.holder, mandate.key, mandate.powers, basis, act.id))
    return found
