"""Proposals from outside: a YAML file or an ``issue=option,...`` string, checked at the edge.

Both give ``{issue name: option text}``; :meth:`OutcomeSpace.parse` then checks the names and
options against the scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from servanda.errors import ScenarioError
from servanda.formats.native import read_text, parse_yaml


def load_proposal(path: str | Path) -> dict[str, Any]:
    """A proposal file: a mapping of every issue to an option, at the top level or under
    ``outcome:``."""
    source = str(path)
    data, _ = parse_yaml(read_text(Path(path)), source)
    if isinstance(data, dict) and isinstance(data.get("outcome"), dict):
        data = data["outcome"]
    if not isinstance(data, dict):
        raise ScenarioError("expected a mapping of issue names to options", source=source)
    return {str(key): value for key, value in data.items()}


def parse_choice(text: str) -> dict[str, str]:
    """``issue=option,issue=option,...`` as a mapping; each issue at most once."""
    mapping: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if "=" not in part:
            raise ScenarioError(f"'{part}' is not of the form issue=option", source="proposal")
        key, value = (s.strip() for s in part.split("=", 1))
        if key in mapping:
            raise ScenarioError(f"issue '{key}' is given twice", source="proposal")
        mapping[key] = value
    return mapping
