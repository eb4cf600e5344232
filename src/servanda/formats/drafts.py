"""Agreement texts written by people: a YAML file of clauses, checked at the edge.

```yaml
title: Ceasefire framework
parties: [United States, Russia]      # who must sign for the text to bind
requires_ratification: true
clauses:
  - id: ceasefire                      # stable across versions; the diff follows it
    text: The parties cease hostilities along the line of contact.
    issue: form_of_agreement           # optional: the issue and option this clause settles
    option: ceasefire
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from servanda.formats.native import Locator, parse_yaml, read_text

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ClauseDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    text: Annotated[str, StringConstraints(min_length=1)]
    issue: Name | None = None
    option: Name | None = None

    @field_validator("option", mode="before")
    @classmethod
    def _number_as_text(cls, value: object) -> object:
        # A numeric issue's option is written as a number (army_cap: 600000).
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _issue_with_option(self) -> ClauseDoc:
        if (self.issue is None) != (self.option is None):
            raise ValueError("give both 'issue' and 'option', or neither")
        return self


class DraftDoc(BaseModel):
    """The file form of an agreement text."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: Name
    parties: list[Name] = Field(min_length=1)
    requires_ratification: bool = False
    clauses: list[ClauseDoc] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> DraftDoc:
        for what, names in (("party", self.parties), ("clause id", [c.id for c in self.clauses])):
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise ValueError(f"{what} given twice: {', '.join(repeated)}")
        settled = [c.issue for c in self.clauses if c.issue is not None]
        twice = sorted({issue for issue in settled if settled.count(issue) > 1})
        if twice:
            raise ValueError(f"more than one clause settles issue {', '.join(twice)}")
        return self


def load_draft_document(path: str | Path) -> DraftDoc:
    """Read an agreement text file; one error naming the line if it is malformed."""
    source = str(path)
    data, lines = parse_yaml(read_text(Path(path)), source)
    try:
        return DraftDoc.model_validate(data)
    except ValidationError as exc:
        raise Locator(lines, source).validation_error(exc) from None
