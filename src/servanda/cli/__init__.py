"""The command-line interface; ``main`` is the ``servanda`` console script."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.text import Text

from servanda.errors import ServandaError


def _fail(message: str) -> None:
    # Text, not markup: messages quote user data, which may contain [brackets].
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(Text.assemble(("error: ", "bold red"), message))
    sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: a Servanda error becomes one line on stderr and exit code 1
    (a traceback only with ``--debug``)."""
    from servanda.cli.app import app

    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="servanda")  # usage errors: typer prints them and exits 2
    except ServandaError as exc:
        if "--debug" in args:
            raise
        _fail(str(exc))
    except OSError as exc:  # writing an output file, mostly
        if "--debug" in args:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}")
    except MemoryError:
        if "--debug" in args:
            raise
        _fail("out of memory")
