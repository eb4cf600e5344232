"""The command-line interface; ``main`` is the ``servanda`` console script."""

from __future__ import annotations

import sys

from rich.console import Console

from servanda.errors import ServandaError


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
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {exc}", markup=True)
        sys.exit(1)
    except MemoryError:
        if "--debug" in args:
            raise
        Console(stderr=True, soft_wrap=True).print("[bold red]error:[/] out of memory; try a smaller --limit")
        sys.exit(1)
