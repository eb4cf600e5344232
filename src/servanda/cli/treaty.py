"""The treaty commands: keys, the ledger of a negotiation, mandates, drafts, signatures,
ratification, status and offline verification. Thin: each command reads its inputs,
calls :mod:`servanda.treaty`, and prints."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from servanda.crypto import fingerprint, generate_key, load_private_key, load_public_key, public_hex
from servanda.crypto import save_private_key, save_public_key
from servanda.errors import LedgerError, TreatyError
from servanda.model.parties import Role
from servanda.treaty import Power, TreatyRecord, Verdict, diff, export_bundle, verify_bundle

LOG_NAME = "treaty"

keys_app = typer.Typer(help="Ed25519 key files.", no_args_is_help=True)
log_app = typer.Typer(help="The negotiation's ledger: create it, list it, prove it.", no_args_is_help=True)
register_app = typer.Typer(help="Register a party's root key, or a representative in an office.",
                           no_args_is_help=True)
mandate_app = typer.Typer(help="Full powers: issue, delegate, revoke, list.", no_args_is_help=True)
draft_app = typer.Typer(help="The agreement text: versions and their differences.", no_args_is_help=True)

LedgerArg = Annotated[Path, typer.Argument(help="The negotiation's ledger (an SQLite file).")]
KeyOpt = Annotated[Path, typer.Option("--key", help="Your private key file (PEM or JWK).")]
PartyOpt = Annotated[str, typer.Option("--party", help="The party acted for.")]
AsOpt = Annotated[str, typer.Option("--as", help="Your name, as the representative acting.")]
AtOpt = Annotated[
    Optional[str],
    typer.Option("--at", help="Time of the act (ISO 8601; default now). For replaying past talks."),
]
VersionOpt = Annotated[Optional[int], typer.Option("--version", min=1, help="Text version (default: latest).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _console():
    from servanda.cli.app import console

    return console


def _time(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 time; without a zone it is UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not an ISO 8601 time like 2025-12-02T15:00Z", param_hint=option) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _open(path: Path) -> TreatyRecord:
    from servanda.ledger import Ledger
    from servanda.store import open_database

    if not path.is_file():
        raise LedgerError(f"{path}: no such ledger; create one with 'servanda log init'")
    return TreatyRecord(Ledger.open(open_database(path), LOG_NAME))


def _powers(text: str) -> list[Power]:
    try:
        return [Power(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"'{text}': powers are a comma-separated list of {', '.join(p.value for p in Power)}",
            param_hint="--powers",
        ) from None


def _done(act, what: str) -> None:
    _console().print(f"entry {act.seq}: {what} (id {act.id[:12]})")


# -- keys ------------------------------------------------------------------------------------
@keys_app.command("new")
def keys_new(
    name: Annotated[str, typer.Argument(help="Base name: writes NAME.key and NAME.pub.jwk.")],
    folder: Annotated[Path, typer.Option("--dir", help="Where to write them.")] = Path("."),
) -> None:
    """A new Ed25519 key pair: NAME.key (private, PKCS#8 PEM, mode 0600), NAME.pub.jwk (public)."""
    private, public = folder / f"{name}.key", folder / f"{name}.pub.jwk"
    for path in (private, public):
        if path.exists():
            raise TreatyError(f"{path}: exists already; keys are never overwritten")
    key = generate_key()
    save_private_key(key, private)
    save_public_key(public_hex(key), public)
    _console().print(f"wrote {private} and {public}; fingerprint {fingerprint(public_hex(key))}")


@keys_app.command("show")
def keys_show(path: Annotated[Path, typer.Argument(help="A private or public key file.")]) -> None:
    """The public key (hex) and its fingerprint."""
    public = load_public_key(path)
    _console().print(f"{public}  fingerprint {fingerprint(public)}")


# -- the ledger ------------------------------------------------------------------------------
@log_app.command("init")
def log_init(
    ledger: LedgerArg,
    title: Annotated[str, typer.Option(help="What is being negotiated.")],
    key: Annotated[Path, typer.Option("--key", help="The convener's private key; it also signs the log's tree heads.")],
    at: AtOpt = None,
) -> None:
    """Create the ledger of a new negotiation. The convener keeps the log's key: it is not
    stored in the ledger file, so nobody who can read the file can sign for the log."""
    from servanda.ledger import Ledger
    from servanda.store import open_database

    if ledger.exists():
        raise LedgerError(f"{ledger}: exists already; a new negotiation needs a new ledger")
    convener = load_private_key(key)
    record = TreatyRecord.open_new(
        Ledger.create(open_database(ledger), LOG_NAME, key=convener), title, convener, _time(at, "--at")
    )
    _console().print(f"negotiation {record.negotiation[:12]} '{title}' opened in {ledger}")


@log_app.command("show")
def log_show(ledger: LedgerArg, as_json: JsonOpt = False) -> None:
    """Every act in the ledger, in order."""
    record = _open(ledger)
    rows = [
        {"seq": act.seq, "logged_at": f"{act.logged_at:%Y-%m-%d %H:%M:%S}", "type": act.statement.type,
         "id": act.id, "signer": fingerprint(act.signer), "summary": _summary(act.statement)}
        for act in record.evidence().acts
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{record.title} ({record.ledger.size} entries)")
    for column in ("seq", "logged at (UTC)", "act", "id", "signer", "what"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["seq"]), row["logged_at"], row["type"], row["id"][:12], row["signer"], row["summary"])
    _console().print(table)


def _summary(statement) -> str:
    kind = statement.type
    if kind == "opening":
        return statement.title
    if kind == "party":
        return f"{statement.party} registers its root key"
    if kind == "office":
        return f"{statement.party}: {statement.holder} as {statement.role.value.replace('_', ' ')}"
    if kind == "mandate":
        powers = ", ".join(p.value for p in statement.powers)
        via = f" (delegated from {statement.parent[:12]})" if statement.parent else ""
        return f"{statement.party}: {statement.holder} may {powers} until {statement.not_after}{via}"
    if kind == "revocation":
        return f"revokes {statement.target[:12]} {statement.reason}".strip()
    if kind == "draft":
        return f"version {statement.version} by {statement.editor.representative} ({statement.editor.party})"
    if kind == "proposal":
        what = "offer" if statement.binding else "non-binding suggestion"
        return f"{what} by {statement.party}: " + ", ".join(f"{k}={v}" for k, v in statement.outcome.items())
    if kind == "signature":
        return f"{statement.representative} signs version {statement.version} for {statement.party}"
    return f"{statement.party} ratifies version {statement.version}"


@log_app.command("proof")
def log_proof(
    ledger: LedgerArg,
    entry: Annotated[Optional[int], typer.Option(min=0, help="Prove this entry is in the log.")] = None,
    old_size: Annotated[Optional[int], typer.Option("--from", min=0, help="Prove the log of this size...")] = None,
    size: Annotated[Optional[int], typer.Option("--size", min=0, help="...or this entry in the log of this size (default: now).")] = None,
    key: Annotated[Optional[Path], typer.Option("--key", help="The log's key (the convener's), to sign the tree heads.")] = None,
) -> None:
    """An inclusion proof (--entry N) or a consistency proof (--from OLD [--size NEW]) as
    JSON, with the signed tree heads it refers to; the proof is checked before it is printed."""
    from servanda.ledger import verify_consistency, verify_inclusion

    if (entry is None) == (old_size is None):
        raise typer.BadParameter("give either --entry N or --from OLD")
    record = _open(ledger)
    log_key = load_private_key(key) if key is not None else None
    head = record.ledger.tree_head(size, key=log_key)
    root = bytes.fromhex(head.root)
    if entry is not None:
        if entry >= head.size:
            raise LedgerError(f"the log of size {head.size} has no entry {entry}")
        item = record.ledger.entry(entry)
        proof = record.ledger.inclusion_proof(entry, head.size)
        assert verify_inclusion(item.leaf_hash, entry, head.size, proof, root)
        result = {"entry": entry, "leaf_hash": item.leaf_hash.hex(), "proof": [p.hex() for p in proof],
                  "tree_head": head.to_dict()}
    else:
        if not 0 < old_size <= head.size:
            raise LedgerError(f"--from must lie between 1 and the log's size {head.size}")
        old = record.ledger.tree_head(old_size, key=log_key)
        proof = record.ledger.consistency_proof(old_size, head.size)
        assert verify_consistency(old_size, head.size, bytes.fromhex(old.root), root, proof)
        result = {"old_tree_head": old.to_dict(), "tree_head": head.to_dict(), "proof": [p.hex() for p in proof]}
    print(json.dumps(result, indent=2))


# -- parties, offices, mandates --------------------------------------------------------------
@register_app.command("party")
def register_party(ledger: LedgerArg, party: PartyOpt, key: Annotated[Path, typer.Option("--key", help="The party's root private key.")], at: AtOpt = None) -> None:
    """Register a party's root key (it signs its own registration)."""
    act = _open(ledger).register_party(party, load_private_key(key), _time(at, "--at"))
    _done(act, f"{party} registered, root key {fingerprint(act.statement.key)}")


@register_app.command("office")
def register_office(
    ledger: LedgerArg,
    party: PartyOpt,
    root: Annotated[Path, typer.Option("--root", help="The party's root private key.")],
    holder: Annotated[str, typer.Option(help="The representative's name.")],
    holder_key: Annotated[Path, typer.Option(help="The representative's public key file.")],
    role: Annotated[Role, typer.Option(help="The office.")],
    at: AtOpt = None,
) -> None:
    """Register a representative in an office; heads of state and government and foreign
    ministers then act without a mandate (VCLT art. 7(2)(a))."""
    act = _open(ledger).register_office(party, holder, role, load_public_key(holder_key), load_private_key(root), _time(at, "--at"))
    _done(act, f"{holder} registered as {role.value.replace('_', ' ')} of {party}")


def _issue(ledger: Path, party: str, issuer: Path, holder: str, holder_key: Path, powers: str,
           valid_from: str, valid_until: str, delegable: bool, parent: str | None, at: str | None) -> None:
    start, end = _time(valid_from, "--from"), _time(valid_until, "--until")
    act = _open(ledger).issue_mandate(
        party, holder, load_public_key(holder_key), _powers(powers), start, end, load_private_key(issuer),
        delegable=delegable, parent=parent, at=_time(at, "--at"),
    )
    _done(act, f"mandate for {holder} to {powers} for {party}")


HolderOpt = Annotated[str, typer.Option(help="The holder's name.")]
HolderKeyOpt = Annotated[Path, typer.Option(help="The holder's public key file.")]
PowersOpt = Annotated[str, typer.Option(help="Comma-separated: negotiate, adopt, sign, ratify.")]
FromOpt = Annotated[str, typer.Option("--from", help="Valid from (ISO 8601).")]
UntilOpt = Annotated[str, typer.Option("--until", help="Valid until (ISO 8601).")]
DelegableOpt = Annotated[bool, typer.Option("--delegable", help="The holder may delegate (narrower).")]


@mandate_app.command("issue")
def mandate_issue(
    ledger: LedgerArg, party: PartyOpt,
    root: Annotated[Path, typer.Option("--root", help="The party's root private key.")],
    holder: HolderOpt, holder_key: HolderKeyOpt, powers: PowersOpt, valid_from: FromOpt, valid_until: UntilOpt,
    delegable: DelegableOpt = False, at: AtOpt = None,
) -> None:
    """Issue full powers from the party's root key."""
    _issue(ledger, party, root, holder, holder_key, powers, valid_from, valid_until, delegable, None, at)


@mandate_app.command("delegate")
def mandate_delegate(
    ledger: LedgerArg, party: PartyOpt,
    parent: Annotated[str, typer.Option(help="Id (or prefix) of the mandate you hold.")],
    key: KeyOpt, holder: HolderOpt, holder_key: HolderKeyOpt, powers: PowersOpt,
    valid_from: FromOpt, valid_until: UntilOpt, delegable: DelegableOpt = False, at: AtOpt = None,
) -> None:
    """Delegate part of a delegable mandate you hold: no more powers, no longer validity."""
    _issue(ledger, party, key, holder, holder_key, powers, valid_from, valid_until, delegable, parent, at)


@mandate_app.command("revoke")
def mandate_revoke(
    ledger: LedgerArg,
    target: Annotated[str, typer.Argument(help="Id (or prefix) of the mandate or office registration.")],
    key: KeyOpt,
    reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    at: AtOpt = None,
) -> None:
    """Revoke a mandate or an office registration from now on."""
    act = _open(ledger).revoke(target, load_private_key(key), reason, _time(at, "--at"))
    _done(act, f"revoked {act.statement.target[:12]}")


@mandate_app.command("list")
def mandate_list(ledger: LedgerArg) -> None:
    """Every office registration, mandate and revocation."""
    record = _open(ledger)
    table = Table(title="Offices and mandates")
    for column in ("seq", "id", "what"):
        table.add_column(column)
    for act in record.evidence().acts:
        if act.statement.type in ("office", "mandate", "revocation"):
            table.add_row(str(act.seq), act.id[:12], _summary(act.statement))
    _console().print(table)


# -- drafts ----------------------------------------------------------------------------------
TextArg = Annotated[Path, typer.Argument(help="The text as YAML: title, parties, clauses.")]


def _add_draft(ledger: Path, text: Path, key: Path, party: str, name: str, at: str | None, first: bool) -> None:
    from servanda.formats.drafts import load_draft_document

    record = _open(ledger)
    has_draft = record.evidence().draft() is not None
    if first and has_draft:
        raise TreatyError("the negotiation has a draft already; use 'servanda draft edit'")
    if not first and not has_draft:
        raise TreatyError("the negotiation has no draft yet; use 'servanda draft new'")
    act = record.add_draft(load_draft_document(text), load_private_key(key), party, name, _time(at, "--at"))
    _done(act, f"draft version {act.statement.version}")


@draft_app.command("new")
def draft_new(ledger: LedgerArg, text: TextArg, key: KeyOpt, party: PartyOpt, name: AsOpt, at: AtOpt = None) -> None:
    """The first version of the agreement text."""
    _add_draft(ledger, text, key, party, name, at, first=True)


@draft_app.command("edit")
def draft_edit(ledger: LedgerArg, text: TextArg, key: KeyOpt, party: PartyOpt, name: AsOpt, at: AtOpt = None) -> None:
    """A new version; changed and new clauses are yours, unchanged ones keep their author."""
    _add_draft(ledger, text, key, party, name, at, first=False)


@draft_app.command("diff")
def draft_diff(
    ledger: LedgerArg,
    old: Annotated[Optional[int], typer.Argument(help="Old version (default: the one before new).")] = None,
    new: Annotated[Optional[int], typer.Argument(help="New version (default: latest).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """What changed between two versions, clause by clause, and by whom."""
    record = _open(ledger)
    after = record.draft(new).statement
    before = record.draft(old if old is not None else max(after.version - 1, 1)).statement
    changes = diff(before, after)
    if as_json:
        print(json.dumps([
            {"change": c.change.value, "clause": c.clause, "by": c.by.model_dump(),
             "before": c.before.text if c.before else None, "after": c.after.text if c.after else None}
            for c in changes
        ], indent=2))
        return
    if not changes:
        _console().print(f"versions {before.version} and {after.version} are the same text")
        return
    table = Table(title=f"From version {before.version} to {after.version}")
    for column in ("change", "clause", "by", "text"):
        table.add_column(column)
    for c in changes:
        text = "" if c.clause.startswith("(") else (c.after or c.before).text
        if c.before is not None and c.after is not None:
            text = f"- {c.before.text}\n+ {c.after.text}"
        table.add_row(c.change.value, c.clause, f"{c.by.representative} ({c.by.party})", text)
    _console().print(table)


@draft_app.command("show")
def draft_show(
    ledger: LedgerArg,
    version: VersionOpt = None,
    scenario: Annotated[Optional[Path], typer.Option(help="Score the outcome the text implies in this scenario.")] = None,
) -> None:
    """A version of the text, clause by clause; with --scenario, what it gives each party."""
    record = _open(ledger)
    act = record.draft(version)
    draft = act.statement
    table = Table(title=f"{draft.title}, version {draft.version} (id {act.id[:12]})")
    for column in ("clause", "text", "settles", "author"):
        table.add_column(column)
    for clause in draft.clauses:
        settles = f"{clause.issue} = {clause.option}" if clause.issue else ""
        table.add_row(clause.id, clause.text, settles, f"{clause.author.representative} ({clause.author.party})")
    console = _console()
    console.print(table)
    console.print(f"parties: {', '.join(draft.parties)}; ratification "
                  f"{'required' if draft.requires_ratification else 'not required'}")
    if scenario is not None:
        from servanda.analysis import score
        from servanda.cli.render import score_view
        from servanda.formats import load_scenario
        from servanda.treaty import implied_outcome, settled_issues

        model = load_scenario(scenario)
        settled = settled_issues(draft, model)
        open_issues = [name for name in model.space.names if name not in settled]
        if open_issues:
            console.print(f"the text settles {len(settled)} of {len(model.space.names)} issues; still open: "
                          f"{', '.join(open_issues)}. Only a text that settles every issue is scored.")
        else:
            console.print(score_view(model, score(model, implied_outcome(draft, model))))


# -- signing, ratifying, status, bundle, verify ----------------------------------------------
def sign_command(
    ledger: LedgerArg, key: KeyOpt, party: PartyOpt, name: AsOpt, version: VersionOpt = None,
    mandate: Annotated[Optional[str], typer.Option(help="Id (or prefix) of the mandate you sign under.")] = None,
    at: AtOpt = None,
) -> None:
    """Sign the text for a party. Recorded even without power to bind; the status says so."""
    record = _open(ledger)
    act = record.sign(load_private_key(key), party, name, version, mandate, _time(at, "--at"))
    _done(act, f"{name} signed version {act.statement.version} for {party}")
    standing = next(s for s in record.status(act.statement.version).parties if s.party == party)
    for reason in standing.reasons:
        if reason.startswith(f"signed by {name}"):
            _console().print(f"  {party}: {reason}")


def propose_command(
    ledger: LedgerArg, key: KeyOpt, party: PartyOpt, name: AsOpt,
    choice: Annotated[str, typer.Argument(help="The offer as issue=option,issue=option,...")],
    scenario: Annotated[Optional[Path], typer.Option(help="Check the offer against this scenario.")] = None,
    non_binding: Annotated[bool, typer.Option("--suggestion", help="A non-binding suggestion, not an offer.")] = False,
    at: AtOpt = None,
) -> None:
    """Record an offer (or, with --suggestion, a non-binding suggestion) in the ledger."""
    from servanda.formats import load_scenario
    from servanda.formats.proposals import parse_choice

    outcome = parse_choice(choice)
    if scenario is not None:
        model = load_scenario(scenario)
        outcome = {k: str(v) for k, v in model.space.describe(model.space.parse(outcome)).items()}
    act = _open(ledger).propose(party, name, outcome, load_private_key(key), not non_binding, _time(at, "--at"))
    _done(act, f"{'suggestion' if non_binding else 'offer'} by {name} for {party}")


def ratify_command(
    ledger: LedgerArg, key: KeyOpt, party: PartyOpt, version: VersionOpt = None,
    instrument: Annotated[str, typer.Option(help="The instrument of ratification, for the record.")] = "",
    at: AtOpt = None,
) -> None:
    """Deposit a party's ratification (by its root key, or someone with power to ratify)."""
    act = _open(ledger).ratify(load_private_key(key), party, version, instrument, _time(at, "--at"))
    _done(act, f"{party} ratified version {act.statement.version}")


def status_command(ledger: LedgerArg, version: VersionOpt = None, as_json: JsonOpt = False) -> None:
    """Informal deal, signed or in force, computed from the evidence, with every reason."""
    status = _open(ledger).status(version)
    if as_json:
        print(json.dumps(status.as_dict(), indent=2))
        return
    _console().print(_status_view(status))


def bundle_command(
    ledger: LedgerArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="The bundle file to write.")],
    version: VersionOpt = None,
    key: Annotated[Optional[Path], typer.Option("--key", help="The log's key (the convener's), to sign the tree head.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file.")] = False,
) -> None:
    """Export the treaty bundle: text, signatures, mandates and log proofs, for offline checks."""
    if output.exists() and not force:
        raise TreatyError(f"{output}: exists already; use --force to overwrite")
    log_key = load_private_key(key) if key is not None else None
    bundle = export_bundle(_open(ledger), version, log_key)
    output.write_text(json.dumps(bundle, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    _console().print(f"wrote {output} ({len(bundle['entries'])} entries under a tree head of size "
                     f"{bundle['tree_head']['size']})")


_VERDICTS = {
    Verdict.BINDING: "VALID AND BINDING",
    Verdict.AWAITING_RATIFICATION: "VALID, SIGNED, NOT YET IN FORCE",
    Verdict.INFORMAL: "VALID BUT NOT BINDING: an informal deal",
    Verdict.INVALID: "INVALID: the bundle is tampered with or malformed",
}


def verify_command(
    bundle: Annotated[Path, typer.Argument(help="A treaty bundle (JSON).")],
    trust: Annotated[
        Optional[list[str]],
        typer.Option(help="Pin a key: PARTY=KEYFILE, or log=KEYFILE (repeatable)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a bundle offline. Exit 0: valid and in force; 3: valid but an informal deal;
    4: validly signed, awaiting ratification; 5: invalid or tampered."""
    pinned = {}
    for item in trust or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise typer.BadParameter(f"'{item}' is not PARTY=KEYFILE", param_hint="--trust")
        pinned[name] = load_public_key(Path(path))
    result = verify_bundle(bundle.read_bytes(), pinned)
    if as_json:
        print(json.dumps({
            "verdict": result.verdict.name.lower(), "exit_code": int(result.verdict),
            "status": result.status.as_dict() if result.status else None,
            "problems": result.problems, "facts": result.facts,
        }, indent=2))
    else:
        console = _console()
        style = "bold green" if result.verdict is Verdict.BINDING else "bold red" if result.verdict is Verdict.INVALID else "bold yellow"
        console.print(Text(_VERDICTS[result.verdict], style=style))
        for problem in result.problems:
            console.print(f"  - {problem}")
        if result.status is not None:
            console.print(_status_view(result.status))
        for fact in result.facts:
            console.print(f"  {fact}")
    raise typer.Exit(int(result.verdict))


def _status_view(status) -> Table:
    table = Table(title=f"{status.title}, version {status.version}: {status.status.value.upper()}")
    table.add_column("party")
    table.add_column("bound")
    table.add_column("evidence")
    for standing in status.parties:
        bound = "signed" if standing.signed else "no"
        if status.requires_ratification:
            bound += ", ratified" if standing.ratified else ", not ratified"
        table.add_row(standing.party, bound, "\n".join(standing.reasons))
    return table


def add_treaty_commands(app: typer.Typer) -> None:
    """Attach the treaty commands to the ``servanda`` app."""
    app.add_typer(keys_app, name="keys")
    app.add_typer(log_app, name="log")
    app.add_typer(register_app, name="register")
    app.add_typer(mandate_app, name="mandate")
    app.add_typer(draft_app, name="draft")
    app.command("sign")(sign_command)
    app.command("propose")(propose_command)
    app.command("ratify")(ratify_command)
    app.command("status")(status_command)
    app.command("bundle")(bundle_command)
    app.command("verify")(verify_command)
