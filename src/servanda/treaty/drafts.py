"""Agreement texts: composing a version from a text file, the clause-level diff between
versions, and the outcome a text implies, for scoring with the analysis core."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from servanda.errors import OutcomeError, TreatyError
from servanda.formats.drafts import DraftDoc
from servanda.model import Scenario
from servanda.treaty.statements import Author, Clause, DraftVersion


def compose(
    doc: DraftDoc, negotiation: str, editor: Author, previous: tuple[str, DraftVersion] | None
) -> DraftVersion:
    """The next version of the text from ``doc``. A clause the editor left as it was keeps
    its author; a new or changed clause is the editor's. ``previous`` is (id, version)."""
    kept = {}
    if previous is not None:
        kept = {clause.id: clause for clause in previous[1].clauses}
    clauses = []
    for item in doc.clauses:
        old = kept.get(item.id)
        unchanged = old is not None and (old.text, old.issue, old.option) == (item.text, item.issue, item.option)
        author = old.author if unchanged else editor
        clauses.append(Clause(id=item.id, text=item.text, issue=item.issue, option=item.option, author=author))
    return DraftVersion(
        negotiation=negotiation,
        version=1 if previous is None else previous[1].version + 1,
        title=doc.title,
        parties=tuple(doc.parties),
        requires_ratification=doc.requires_ratification,
        clauses=tuple(clauses),
        editor=editor,
        previous=None if previous is None else previous[0],
    )


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class ClauseChange:
    """One clause that differs between two versions, and who made the difference (the
    author of the new clause; for a removal, the editor of the new version)."""

    change: Change
    clause: str
    before: Clause | None
    after: Clause | None
    by: Author


def diff(old: DraftVersion, new: DraftVersion) -> list[ClauseChange]:
    """The clause-level difference from ``old`` to ``new``, in the new text's order, then
    the removed clauses in the old text's order. Title, parties and the ratification
    requirement are compared too, as pseudo-clauses named after the field."""
    before = {clause.id: clause for clause in old.clauses}
    after_ids = {clause.id for clause in new.clauses}
    changes = [
        ClauseChange(Change.CHANGED, f"({field})", None, None, new.editor)
        for field in ("title", "parties", "requires_ratification")
        if getattr(old, field) != getattr(new, field)
    ]
    for clause in new.clauses:
        previous = before.get(clause.id)
        if previous is None:
            changes.append(ClauseChange(Change.ADDED, clause.id, None, clause, clause.author))
        elif (previous.text, previous.issue, previous.option) != (clause.text, clause.issue, clause.option):
            changes.append(ClauseChange(Change.CHANGED, clause.id, previous, clause, clause.author))
    for clause in old.clauses:
        if clause.id not in after_ids:
            changes.append(ClauseChange(Change.REMOVED, clause.id, clause, None, new.editor))
    return changes


def settled_issues(draft: DraftVersion, scenario: Scenario) -> dict[str, str]:
    """``{issue: option}`` for every issue a clause settles, checked against the scenario."""
    settled = {}
    for clause in draft.clauses:
        if clause.issue is None:
            continue
        if clause.issue not in scenario.space.names:
            raise TreatyError(
                f"clause '{clause.id}' settles issue '{clause.issue}', which scenario "
                f"'{scenario.name}' does not have; issues: {', '.join(scenario.space.names)}"
            )
        issue = scenario.issues[scenario.space.names.index(clause.issue)]
        try:
            issue.index_of(clause.option)
        except (OutcomeError, ValueError) as exc:
            raise TreatyError(f"clause '{clause.id}': {exc}") from None
        settled[clause.issue] = clause.option
    return settled


def implied_outcome(draft: DraftVersion, scenario: Scenario) -> tuple[int, ...]:
    """The outcome the text implies (option indices); an error lists the issues it leaves open."""
    settled = settled_issues(draft, scenario)
    open_issues = [name for name in scenario.space.names if name not in settled]
    if open_issues:
        raise TreatyError(
            f"version {draft.version} leaves issue(s) open: {', '.join(open_issues)}; "
            "only a text that settles every issue can be scored"
        )
    return scenario.space.parse(settled)
