"""The clause-catalog data model, shared by every framework (ASQMS, IAF-AQMS, MIIT OTA ...).

A catalog is a tree: chapters -> clauses (ASQMS "processes", IAF "areas") -> practices (the
items a document is checked against). The mapping engine only sees these models, so every
framework is treated the same way. Crosswalks link clauses of other standards (ISO 9001,
IATF 16949, ASPICE) to practices or clauses of a catalog.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Obligation(StrEnum):
    MANDATORY = "mandatory"
    OPTIONAL = "optional"


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
    references: tuple[Reference, ...] = ()
    themes: tuple[str, ...] = ()
    official: bool = Field(
        default=False, description="True only where the id is published by the standard's owner."
    )
    source: Literal["builtin", "licensed"] = "builtin"
    notes: str | None = None


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
