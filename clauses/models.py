"""The clause-catalog data model, shared by every framework (ASQMS, IAF-AQMS, MIIT OTA ...).

A catalog is a tree: chapters -> clauses (ASQMS "processes", IAF "areas") -> practices (the
items a document is checked against). The mapping engine only sees these models, so every
framework is treated the same way. Crosswalks link clauses of other standards (ISO 9001,
IATF 16949, ASPICE) to practices or clauses of a catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qmsgap.clauses.evidence_terms import EvidenceTerms, normalise_term
from qmsgap.errors import NotFound


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Obligation(StrEnum):
    MANDATORY = "mandatory"
    OPTIONAL = "optional"
    NOT_APPLICABLE = "not_applicable"  # the practice's clause is tailored out (see Tailoring)


class Reference(_Model):
    """A pointer into another standard, e.g. ``{"standard": "ISO 9001:2015", "clause": "7.5"}``."""

    standard: str
    clause: str
    note: str | None = None


class Practice(_Model):
    """One requirement item. ``requirement`` is the project's own paraphrase unless ``source``
    says the text was imported from a licensed copy."""

    id: str = Field(description="e.g. '6.2.1' (official) or '5.5.3' (numbered by qmsgap).")
    type: str = Field(description="Practice type key of the catalog, e.g. 'BP', 'AP', 'RP'.")
    title: str
    requirement: str = Field(min_length=1)
    expected_evidence: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    evidence_terms: EvidenceTerms = Field(
        default=(),
        description="Concept groups that evidence must mention: one term of every group, e.g. "
        "[[tool, compiler], [validation, qualification]]. A trailing '*' matches any ending. "
        "Rules in qmsgap.clauses.evidence_terms (checked with locations by check_catalog).",
    )
    references: tuple[Reference, ...] = ()
    themes: tuple[str, ...] = ()
    official: bool = Field(
        default=False, description="True only where the id is published by the standard's owner."
    )
    source: Literal["builtin", "licensed"] = "builtin"
    notes: str | None = None

    @field_validator("evidence_terms", mode="after")
    @classmethod
    def _normalise_terms(cls, groups: EvidenceTerms) -> EvidenceTerms:
        """Surrounding whitespace is dropped and inner runs become one space, so a term reads
        the same from YAML, CSV and XLSX."""
        return tuple(tuple(normalise_term(term) for term in group) for group in groups)


class Clause(_Model):
    """A process (ASQMS), area (IAF-AQMS) or topic (MIIT) holding practices."""

    id: str
    chapter: str
    title: str
    purpose: str = ""
    title_known: bool = Field(
        default=True, description="False where the published material does not name the clause."
    )
    tailorable: bool = True
    tailoring_rationale: str | None = Field(
        default=None,
        description="Why the clause may (or may not) be declared not applicable.",
    )
    references: tuple[Reference, ...] = ()
    practices: tuple[Practice, ...] = ()
    notes: str | None = None


class Chapter(_Model):
    id: str
    title: str


class PracticeTypeRule(_Model):
    """What a practice type means, and whether it is mandatory for each software type."""

    key: str
    name: str
    obligation: dict[str, Obligation] = Field(
        description="Software type ('I', 'II', or 'default') -> mandatory/optional."
    )


class Catalog(_Model):
    """A versioned framework: its chapters, clauses, practices and applicability rules."""

    id: str = Field(description="Catalog id, e.g. 'asqms', 'iaf-aqms', 'miit-ota'.")
    version: str
    title: str
    publisher: str = ""
    description: str = ""
    software_types: tuple[str, ...] = Field(
        default=("default",), description="Scopes the applicability rules know, e.g. ('I', 'II')."
    )
    practice_types: tuple[PracticeTypeRule, ...]
    chapters: tuple[Chapter, ...]
    clauses: tuple[Clause, ...]
    source: Literal["builtin", "licensed"] = "builtin"
    notes: str | None = None

    # Lookups scan the tuples (a catalog holds a few hundred items): no cached index is kept,
    # so equality, copies and model_copy(update=...) can never see a stale one.

    def iter_practices(self) -> Iterator[tuple[Clause, Practice]]:
        """Every practice in catalog order, with the clause holding it."""
        for clause in self.clauses:
            for practice in clause.practices:
                yield clause, practice

    def all_practices(self) -> list[Practice]:
        """Every practice in catalog order."""
        return [practice for _, practice in self.iter_practices()]

    def clause(self, clause_id: str) -> Clause:
        """The clause ``clause_id``. Raises NotFound if there is none."""
        for clause in self.clauses:
            if clause.id == clause_id:
                return clause
        raise NotFound(f"catalog '{self.id}' has no clause '{clause_id}'")

    def practice(self, practice_id: str) -> Practice:
        """The practice ``practice_id``. Raises NotFound if there is none."""
        return self.locate(practice_id)[1]

    def locate(self, practice_id: str) -> tuple[Clause, Practice]:
        """The practice ``practice_id`` and its clause. Raises NotFound if there is none."""
        for clause, practice in self.iter_practices():
            if practice.id == practice_id:
                return clause, practice
        raise NotFound(f"catalog '{self.id}' has no practice '{practice_id}'")

    def has_id(self, item_id: str) -> bool:
        """True if ``item_id`` names a clause or a practice of this catalog."""
        return any(c.id == item_id for c in self.clauses) or any(
            p.id == item_id for _, p in self.iter_practices()
        )

    def chapter(self, chapter_id: str) -> Chapter:
        """The chapter ``chapter_id``. Raises NotFound if there is none."""
        for chapter in self.chapters:
            if chapter.id == chapter_id:
                return chapter
        raise NotFound(f"catalog '{self.id}' has no chapter '{chapter_id}'")

    def practice_type(self, key: str) -> PracticeTypeRule:
        """The rule of practice type ``key``. Raises NotFound if the catalog does not declare it."""
        for rule in self.practice_types:
            if rule.key == key:
                return rule
        raise NotFound(f"catalog '{self.id}' declares no practice type '{key}'")


Relationship = Literal["equal", "subset", "superset", "intersect"]


class CrosswalkLink(_Model):
    """``source`` (a clause of the other standard) relates to ``targets`` (catalog ids)."""

    source: str
    source_title: str = ""
    targets: tuple[str, ...] = Field(min_length=1)
    relationship: Relationship
    rationale: str = Field(min_length=1)


class Crosswalk(_Model):
    """A mapping set from another standard onto a catalog."""

    id: str
    source_standard: str = Field(description="e.g. 'ISO 9001:2015', 'IATF 16949:2016'.")
    target_catalog: str
    version: str
    links: tuple[CrosswalkLink, ...]
