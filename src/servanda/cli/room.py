"""``servanda login`` and ``servanda room ...``: everything a person can do in a live room,
from a terminal, through the Python client. Thin: each command calls :mod:`servanda.client`
and prints (``--json`` for machines)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table

from servanda.errors import ServandaError

if TYPE_CHECKING:
    from servanda.client import Client

room_app = typer.Typer(help="Live rooms on a Servanda server.", no_args_is_help=True)

RoomArg = Annotated[str, typer.Argument(help="The room's id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
ServerOpt = Annotated[Optional[str], typer.Option("--server", envvar="SERVANDA_SERVER",
                                                  help="Server URL (default: the one you logged in to).")]
TokenOpt = Annotated[Optional[str], typer.Option("--token", envvar="SERVANDA_TOKEN",
                                                 help="Bearer token (default: the one saved by login).")]


def credentials_file() -> Path:
    """Where ``servanda login`` keeps the server URL and token (mode 0600)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "servanda" / "client.json"


def login(
    server: Annotated[str, typer.Argument(help="Server URL, e.g. http://127.0.0.1:8000")],
    username: Annotated[str, typer.Argument()],
    register: Annotated[bool, typer.Option("--register", help="Open the account first.")] = False,
    password: Annotated[Optional[str], typer.Option(envvar="SERVANDA_PASSWORD", hidden=True)] = None,
) -> None:
    """Sign in to a server; the token is saved for the room commands."""
    from servanda.client import Client

    secret = password if password is not None else typer.prompt("password", hide_input=True)
    if register:
        with Client(server) as anonymous:
            anonymous.register(username, secret)
    with Client.login(server, username, secret, label="servanda CLI") as client:
        path = credentials_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump({"server": client.url, "username": username, "token": client.token}, file)
    typer.echo(f"signed in to {server} as {username}; token saved in {path}")


def _client(server: str | None, token: str | None) -> Client:
    from servanda.client import Client

    if server is None or token is None:
        path = credentials_file()
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            saved = {}
        server, token = server or saved.get("server"), token or saved.get("token")
    if not server or not token:
        raise ServandaError("not signed in: run `servanda login URL USERNAME` (or give --server and --token)")
    return Client(server, token)


def _pairs(values: list[str], what: str) -> dict[str, Any]:
    """``issue=option`` pairs; a number stays a number, true and false are booleans."""
    result: dict[str, Any] = {}
    for value in values:
        key, sep, option = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"'{value}' is not {what}=VALUE")
        result[key] = _number(option)
    return result


def _number(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _print(data: Any, as_json: bool, human: Any = None) -> None:
    from servanda.cli.app import console

    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif human is not None:
        console.print(human)
    else:
        typer.echo(str(data))


@room_app.command("create")
def create(
    scenario: Annotated[Path, typer.Argument(help="A scenario file in any format Servanda reads.")],
    protocol: Annotated[str, typer.Option(help="alternating or single-text.")] = "alternating",
    rounds: Annotated[Optional[int], typer.Option(min=1)] = None,
    seconds: Annotated[Optional[float], typer.Option(min=0.001)] = None,
    bot: Annotated[Optional[list[str]], typer.Option(help="PARTY=STRATEGY: a bot takes that seat.")] = None,
    title: Annotated[Optional[str], typer.Option()] = None,
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Convene a room from a scenario."""
    bots = {}
    for spec in bot or []:
        party, sep, strategy = spec.partition("=")
        if not sep or not party or not strategy:
            raise typer.BadParameter(f"'{spec}' is not PARTY=STRATEGY", param_hint="--bot")
        bots[party] = strategy
    with _client(server, token) as client:
        room = client.create_room(scenario, protocol=protocol, rounds=rounds, seconds=seconds, bots=bots,
                                  title=title)
    _print({"room": room}, as_json, f"room {room}")


@room_app.command("invite")
def invite(
    room: RoomArg,
    role: Annotated[str, typer.Option(help="party, mediator or observer.")] = "party",
    party: Annotated[Optional[str], typer.Option()] = None,
    representative: Annotated[Optional[str], typer.Option("--as", help="The representative the person will be.")] = None,
    representative_role: Annotated[Optional[str], typer.Option("--representative-role")] = None,
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """A one-time invitation (the convener only); pass its token to the person invited."""
    with _client(server, token) as client:
        invitation = client.invite(room, role, party, representative, representative_role)
        page = f"{client.url}/invitations/{invitation}"
    _print({"token": invitation, "page": page}, as_json,
           f"invitation token: {invitation}\njoin with: servanda room join {invitation}\nor open in a browser: {page}")


@room_app.command("join")
def join(token_: Annotated[str, typer.Argument(metavar="INVITATION", help="The invitation token.")],
         server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Accept an invitation."""
    with _client(server, token) as client:
        room = client.join(token_)
    _print({"room": room}, as_json, f"joined room {room}")


@room_app.command("show")
def show(room: RoomArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """The room as you see it: its state, what is on the table (scored from your side), its
    people and the agreement's status."""
    with _client(server, token) as client:
        view = client.room(room)
    _print(view, as_json, _room_table(view))


@room_app.command("propose")
def propose(room: RoomArg, choices: Annotated[list[str], typer.Argument(metavar="ISSUE=OPTION...")],
            server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Put a package on the table (one option per issue)."""
    _move(server, token, as_json, lambda client: client.propose(room, _pairs(choices, "ISSUE")))


@room_app.command("accept")
def accept(room: RoomArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Accept what is on the table."""
    _move(server, token, as_json, lambda client: client.accept(room))


@room_app.command("reject")
def reject(room: RoomArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Reject what is on the table (then counter with propose)."""
    _move(server, token, as_json, lambda client: client.reject(room))


@room_app.command("walk-away")
def walk_away(room: RoomArg, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """End the negotiation without agreement (on your turn)."""
    _move(server, token, as_json, lambda client: client.walk_away(room))


def _move(server: str | None, token: str | None, as_json: bool, make: Callable[[Client], list[int]]) -> None:
    """Make a move with the client and print the ids of the events it recorded."""
    with _client(server, token) as client:
        events = make(client)
    _print({"events": events}, as_json, f"recorded as event(s) {', '.join(map(str, events))}")


@room_app.command("comment")
def comment(
    room: RoomArg, text: Annotated[str, typer.Argument()],
    kind: Annotated[str, typer.Option(help="comment, question or suggestion.")] = "comment",
    package: Annotated[Optional[list[str]], typer.Option("--set", help="ISSUE=OPTION of a suggested package.")] = None,
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Say something in the room (discussion: not binding)."""
    with _client(server, token) as client:
        event = client.comment(room, text, kind, _pairs(package, "ISSUE") if package else None)
    _print({"id": event}, as_json, f"recorded as event {event}")


@room_app.command("watch")
def watch(
    room: RoomArg, after: Annotated[int, typer.Option(min=-1, help="Start after this event id.")] = -1,
    timeout: Annotated[Optional[float], typer.Option(help="Stop after this many seconds of silence.")] = None,
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Follow the room's events as they happen (resuming after a dropped connection)."""
    from servanda.cli.app import console

    with _client(server, token) as client:
        for event in client.watch(room, after, timeout=timeout):
            if as_json:
                typer.echo(json.dumps(event, ensure_ascii=False))
            else:
                console.print(_event_line(event), highlight=False)


@room_app.command("preferences")
def preferences(
    room: RoomArg,
    party: Annotated[Optional[str], typer.Option(help="Whose (default: your own party's).")] = None,
    set_file: Annotated[Optional[Path], typer.Option("--set-file", help="Replace your party's preferences with "
                        "this YAML (weights, values, red_lines, reservation...).")] = None,
    grant: Annotated[Optional[bool], typer.Option("--grant-mediator/--deny-mediator",
                     help="Let the room's mediator read your party's preferences, or stop it.")] = None,
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Your party's confidential preferences: show, replace (only a commitment to them goes
    into the ledger), or share with the mediator."""
    import yaml

    with _client(server, token) as client:
        if set_file is not None:
            try:
                block = yaml.safe_load(set_file.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise ServandaError(f"{set_file}: cannot read YAML ({' '.join(str(exc).split())})") from None
            client.set_preferences(room, block)
        if grant is not None:
            client.grant_mediator(room, grant)
        shown = client.preferences(room, party or client.room(room)["me"]["party"] or "")
    if as_json:
        _print(shown, True)
    else:  # the block itself, ready to edit and give back with --set-file
        typer.echo(f"# {shown['party']}'s preferences; commitment in the ledger: {shown['commitment']}")
        typer.echo(yaml.safe_dump(shown["preferences"], sort_keys=False, allow_unicode=True), nl=False)


@room_app.command("improve")
def improve(
    room: RoomArg,
    offer: Annotated[Optional[int], typer.Option("--offer", min=0, help="The event id of the offer to improve "
                     "(default: the agreement, or else the one on the table).")] = None,
    top: Annotated[int, typer.Option(min=1, max=50)] = 5,
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Packages at least as good for every party and better for one than an offer, each with
    your own gain."""
    with _client(server, token) as client:
        found = client.improvements(room, offer, top)
    table = Table(title="Pareto improvements (your gain only)")
    table.add_column("package")
    table.add_column("gain", justify="right")
    for suggestion in found:
        gains = ", ".join(f"{party} {gain:+.3f}" for party, gain in suggestion["gains"].items())
        table.add_row(", ".join(f"{k}={v}" for k, v in suggestion["outcome"].items()), gains)
    _print(found, as_json, table)


@room_app.command("sign")
def sign(
    room: RoomArg,
    key: Annotated[Path, typer.Option("--key", help="Your private key file: it never leaves this machine.")],
    act: Annotated[str, typer.Option(help="signature, ratification, party, office, mandate, revocation or draft.")]
    = "signature",
    field: Annotated[Optional[list[str]], typer.Option("--field", help="NAME=VALUE of the act (e.g. version=1; "
                     "key=@rubio.pub.jwk puts that key file's public key).")] = None,
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Sign a treaty act with your key, here, and submit it: the text (default), a
    ratification, your party's registration, an office, a mandate, a revocation, or the
    agreement's draft text."""
    from servanda.crypto import load_private_key

    fields = _pairs(field or [], "NAME")
    if "powers" in fields and isinstance(fields["powers"], str):
        fields["powers"] = [p for p in fields["powers"].split(",") if p]
    for name, value in fields.items():  # NAME=@FILE: the public key in a key file, as hex
        if isinstance(value, str) and value.startswith("@"):
            from servanda.crypto import load_public_key

            fields[name] = load_public_key(Path(value[1:]))
    with _client(server, token) as client:
        event = client.sign(room, load_private_key(key), act, **fields)
    _print({"id": event}, as_json, f"signed {act}: event {event}")


@room_app.command("export")
def export(
    room: RoomArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Bundle file to write.")] = Path("bundle.json"),
    version: Annotated[Optional[int], typer.Option("--version", min=1)] = None,
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Write the agreement's verification bundle; check it offline with `servanda verify`."""
    with _client(server, token) as client:
        bundle = client.bundle(room, version)
    output.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _print({"bundle": str(output)}, as_json, f"wrote {output}; check it with: servanda verify {output}")


def _room_table(view: dict[str, Any]) -> Table:
    me = view["me"]
    table = Table(title=f"{view['title']} ({view['protocol']}): {view['phase']}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    seat = f"{me['role']}" + (f" for {me['party']} as {me['representative']}" if me["party"] else "")
    table.add_row("you", f"{me['username']}, {seat}")
    deadline = ", ".join(x for x in (f"{view['rounds']} rounds" if view["rounds"] else "",
                                     f"until {view['ends_at']}" if view["ends_at"] else "") if x)
    table.add_row("round", f"{view['round']} (deadline: {deadline})")
    if view["to_act"]:
        table.add_row("to act", view["to_act"])
    for label, package in (("on the table", view["on_table"]), ("agreement", view["agreement"]),
                           ("improvement", view["improvement"])):
        if package:
            table.add_row(label, _package_text(package))
    table.add_row("seats", ", ".join(f"{party}: {bot or 'people'}" for party, bot in view["seats"].items()))
    table.add_row("people", "\n".join(
        f"{p['username']}: {p['role']}" + (f" for {p['party']} ({p['representative']})" if p["party"] else "")
        for p in view["people"]))
    if view["ending"]:
        table.add_row("ended", view["ending"])
    if view["status"]:
        status = view["status"]
        reasons = [f"{s['party']}: {r}" for s in status["parties"] for r in s["reasons"]]
        table.add_row("status", f"{status['status'].upper()} (version {status['version']})\n" + "\n".join(reasons))
    return table


def _package_text(package: dict[str, Any]) -> str:
    lines = [", ".join(f"{issue}={option}" for issue, option in package["outcome"].items())]
    if package.get("by"):
        lines[0] = f"by {package['by']}: " + lines[0]
    for party, score in package.get("scores", {}).items():
        broken = f", breaks {', '.join(score['breaks'])}" if score["breaks"] else ""
        lines.append(f"for {party}: utility {score['utility']:.3f}, gain {score['gain']:+.3f}{broken}")
    return "\n".join(lines)


def _event_line(event: dict[str, Any]) -> str:
    who = event.get("party") or event.get("by") or ""
    detail = ""
    if "outcome" in event:
        detail = " " + ", ".join(f"{k}={v}" for k, v in event["outcome"].items())
        for party, score in event.get("scores", {}).items():
            detail += f"  [{party}: {score['utility']:.3f}]"
    elif event.get("type") == "comment":
        detail = f" ({event['kind']}) {event['text']}"
    elif event.get("type") == "end":
        detail = f" {event['explanation']}"
    return f"{event['id']:>5} {event['at']} {event['category']:<10} {event['type']:<12} {who}{detail}"


def add_room_commands(app: typer.Typer) -> None:
    app.command("login")(login)
    app.add_typer(room_app, name="room")
