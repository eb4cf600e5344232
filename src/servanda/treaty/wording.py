"""What the words of a text became between two versions, for people to read: the
clause-level changes of :func:`servanda.treaty.drafts.diff`, each with the words removed
and added inside it (:mod:`difflib`, word by word, so a changed figure in a long clause
stands out and a text of several lines is compared line by line as well)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from servanda.treaty.drafts import Change, diff
from servanda.treaty.statements import Author, Clause, DraftVersion

#: A stretch of text: kept as it was, removed from the old version, or added in the new one.
Segment = tuple[Literal["same", "removed", "added"], str]

#: Words, runs of white space (line breaks included) and single punctuation marks: the
#: units a change is reported in.
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class ClauseComparison:
    """One clause that differs between two versions (or a field of the text named in
    parentheses: ``(title)``, ``(parties)``, ``(requires_ratification)``), who made the
    difference, and its words, old and new, as segments."""

    change: Change
    clause: str
    by: Author
    before: Clause | None
    after: Clause | None
    words: tuple[Segment, ...]


def words(old: str, new: str) -> list[Segment]:
    """``old`` turned into ``new`` as segments: the "same" and "removed" ones spell
    ``old``, the "same" and "added" ones spell ``new`` (neighbours of one kind merged)."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    segments: list[Segment] = []

    def put(kind: Literal["same", "removed", "added"], tokens: list[str]) -> None:
        if not tokens:
            return
        if segments and segments[-1][0] == kind:
            segments[-1] = (kind, segments[-1][1] + "".join(tokens))
        else:
            segments.append((kind, "".join(tokens)))

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            put("same", a[i1:i2])
        else:  # replace, delete, insert: what went, then what came
            put("removed", a[i1:i2])
            put("added", b[j1:j2])
    return segments


def compare(old: DraftVersion, new: DraftVersion) -> list[ClauseComparison]:
    """Every difference from ``old`` to ``new`` (in the order of :func:`diff`), with its words."""
    compared = []
    for change in diff(old, new):
        field = change.clause[1:-1] if change.before is None and change.after is None else None
        if field is not None:
            before, after = _field_text(old, field), _field_text(new, field)
        else:
            before = change.before.text if change.before is not None else ""
            after = change.after.text if change.after is not None else ""
        compared.append(ClauseComparison(change.change, change.clause, change.by, change.before, change.after,
                                         tuple(words(before, after))))
    return compared


def _field_text(draft: DraftVersion, field: str) -> str:
    if field == "parties":
        return ", ".join(draft.parties)
    if field == "requires_ratification":
        return "ratification required" if draft.requires_ratification else "no ratification required"
    return str(getattr(draft, field))
