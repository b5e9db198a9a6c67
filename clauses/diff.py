"""What a catalog revision adds, removes or rewords, practice by practice.

Practices are matched by id. A practice whose requirement text changed is "reworded" and carries
a word-level diff; changes to other fields (title, type, keywords, evidence terms ...) are listed
per practice.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

from pydantic import BaseModel, Field

from qmsgap.clauses.evidence_terms import format_evidence_terms
from qmsgap.clauses.models import Catalog, Clause, Practice

WordOp = Literal["equal", "delete", "insert"]
_COMPARED_FIELDS = (
    "type",
    "title",
    "official",
    "expected_evidence",
    "keywords",
    "evidence_terms",
    "references",
    "themes",
    "source",
    "notes",
)


class WordChange(BaseModel):
    """A run of words kept, deleted or inserted."""

    op: WordOp
    text: str


class FieldChange(BaseModel):
    field: str
    old: str
    new: str


class PracticeRef(BaseModel):
    id: str
    clause_id: str
    type: str
    title: str


class PracticeChange(BaseModel):
    id: str
    clause_id: str
    reworded: bool = Field(description="The requirement text changed.")
    words: list[WordChange] = Field(default_factory=list, description="Word diff of the text.")
    fields: list[FieldChange] = Field(default_factory=list, description="Other changed fields.")


class ClauseRef(BaseModel):
    id: str
    title: str


class CatalogDiff(BaseModel):
    """Differences from catalog ``old`` to catalog ``new``."""

    old: str = Field(description="'<id> <version>' of the old catalog.")
    new: str
    added_clauses: list[ClauseRef] = Field(default_factory=list)
    removed_clauses: list[ClauseRef] = Field(default_factory=list)
    renamed_clauses: list[FieldChange] = Field(default_factory=list)
    added: list[PracticeRef] = Field(default_factory=list)
    removed: list[PracticeRef] = Field(default_factory=list)
    changed: list[PracticeChange] = Field(default_factory=list)

    @property
    def reworded(self) -> list[PracticeChange]:
        return [c for c in self.changed if c.reworded]

    @property
    def is_empty(self) -> bool:
        return not (
            self.added_clauses
            or self.removed_clauses
            or self.renamed_clauses
            or self.added
            or self.removed
            or self.changed
        )


def word_diff(old: str, new: str) -> list[WordChange]:
    """Word-level diff of two texts (whitespace-insensitive), adjacent runs merged."""
    a, b = old.split(), new.split()
    changes: list[WordChange] = []

    def push(op: WordOp, words: list[str]) -> None:
        if not words:
            return
        text = " ".join(words)
        if changes and changes[-1].op == op:
            changes[-1] = WordChange(op=op, text=f"{changes[-1].text} {text}")
        else:
            changes.append(WordChange(op=op, text=text))

    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            push("equal", a[i1:i2])
        else:
            push("delete", a[i1:i2])
            push("insert", b[j1:j2])
    return changes


def render_word_diff(changes: list[WordChange]) -> str:
    """Plain-text rendering: ``[-deleted-]`` and ``{+inserted+}`` (as ``git diff --word-diff``)."""
    parts = []
    for change in changes:
        if change.op == "equal":
            parts.append(change.text)
        elif change.op == "delete":
            parts.append(f"[-{change.text}-]")
        else:
            parts.append(f"{{+{change.text}+}}")
    return " ".join(parts)


def _field_text(name: str, value: object) -> str:
    if name == "evidence_terms" and isinstance(value, tuple):
        return format_evidence_terms(value)
    return _as_text(value)


def _as_text(value: object) -> str:
    if isinstance(value, tuple):
        return "; ".join(_as_text(v) for v in value)
    if isinstance(value, BaseModel):
        return " ".join(str(v) for v in value.model_dump().values() if v)
    return "" if value is None else str(value)


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _practices(catalog: Catalog) -> dict[str, tuple[Clause, Practice]]:
    return {practice.id: (clause, practice) for clause, practice in catalog.iter_practices()}


def diff_catalogs(old: Catalog, new: Catalog) -> CatalogDiff:
    """Clauses and practices added, removed or changed from ``old`` to ``new``, in catalog order."""
    result = CatalogDiff(old=f"{old.id} {old.version}", new=f"{new.id} {new.version}")
    old_clauses = {c.id: c for c in old.clauses}
    new_clauses = {c.id: c for c in new.clauses}
    result.added_clauses = [
        ClauseRef(id=c.id, title=c.title) for c in new.clauses if c.id not in old_clauses
    ]
    result.removed_clauses = [
        ClauseRef(id=c.id, title=c.title) for c in old.clauses if c.id not in new_clauses
    ]
    result.renamed_clauses = [
        FieldChange(field=c.id, old=old_clauses[c.id].title, new=c.title)
        for c in new.clauses
        if c.id in old_clauses and old_clauses[c.id].title != c.title
    ]
    before, after = _practices(old), _practices(new)
    for practice_id, (clause, practice) in after.items():
        if practice_id not in before:
            result.added.append(
                PracticeRef(
                    id=practice_id, clause_id=clause.id, type=practice.type, title=practice.title
                )
            )
    for practice_id, (clause, practice) in before.items():
        if practice_id not in after:
            result.removed.append(
                PracticeRef(
                    id=practice_id, clause_id=clause.id, type=practice.type, title=practice.title
                )
            )
    for practice_id, (clause, practice) in after.items():
        if practice_id not in before:
            continue
        old_clause, old_practice = before[practice_id]
        reworded = _normalised(old_practice.requirement) != _normalised(practice.requirement)
        fields = [
            FieldChange(
                field=name,
                old=_field_text(name, getattr(old_practice, name)),
                new=_field_text(name, getattr(practice, name)),
            )
            for name in _COMPARED_FIELDS
            if getattr(old_practice, name) != getattr(practice, name)
        ]
        if old_clause.id != clause.id:
            fields.insert(0, FieldChange(field="clause", old=old_clause.id, new=clause.id))
        if reworded or fields:
            result.changed.append(
                PracticeChange(
                    id=practice_id,
                    clause_id=clause.id,
                    reworded=reworded,
                    words=word_diff(old_practice.requirement, practice.requirement)
                    if reworded
                    else [],
                    fields=fields,
                )
            )
    return result
