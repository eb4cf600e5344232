"""``python -m servanda``: the same as the ``servanda`` command."""

from servanda.cli import main

main()
