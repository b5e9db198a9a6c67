"""The coverage report: the engine's answer, schema ``qmsgap.coverage/1``.

This is the one shape every consumer reads: the JSON/HTML/CSV/XLSX reports, the service's
coverage resource, the web app and the evaluation. ``docs/coverage-schema.md`` documents it.
Offsets (``start``/``end``) are character offsets into the cited document's canonical text, and
``quote`` is always exactly that slice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from qmsgap.ingest.models import DocumentFormat, DocumentKind, Finding

SCHEMA_ID = "qmsgap.coverage/1"


class Status(StrEnum):
    """Coverage of a practice or clause by the documents."""

    COVERED = "covered"
    PARTIAL = "partial"
    GAP = "gap"
    NOT_APPLICABLE = "not_applicable"


#: Credit a status earns toward readiness and clause scores.
STATUS_CREDIT: dict[Status, float] = {
    Status.COVERED: 1.0,
    Status.PARTIAL: 0.5,
    Status.GAP: 0.0,
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Model):
    """A verbatim quote from one document that supports a practice."""

    document_id: str = Field(description="sha256 of the document's bytes.")
    document: str = Field(description="Path relative to the analyzed root.")
    passage_id: str
    page: int | None = Field(description="1-based page of the quote; null for page-less formats.")
    section: list[str] = Field(description="Heading path, outermost first.")
    quote: str = Field(description="Exactly canonical_text[start:end] of the document.")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    score: float = Field(description="Relevance of the passage to the practice, 0-1.")
    origin: Literal["engine", "reviewer"] = "engine"
    review: Literal["accepted", "rejected"] | None = Field(
        default=None, description="A reviewer's decision on this item, if any."
    )


class PracticeCoverage(_Model):
    id: str
    title: str
    type: str = Field(description="Practice type of the catalog, e.g. BP, AP, RP.")
    mandatory: bool
    status: Status
    score: float = Field(description="Strength of the documentary evidence, 0-1.")
    confidence: float = Field(description="Estimated probability that the status is right.")
    guidance: str = Field(description="What to write or improve; empty when covered.")
    rationale: str = Field(description="Why the engine chose this status, in one sentence.")
    signals: list[str] = Field(
        default_factory=list,
        description="Structural signals that contributed (cited standards, document titles).",
    )
    status_source: Literal["engine", "manual"] = "engine"
    evidence: list[Evidence] = Field(default_factory=list)


class ClauseCoverage(_Model):
    id: str
    chapter: str
    title: str
    status: Status
    score: float
    not_applicable_reason: str | None = None
    practices: list[PracticeCoverage]


class DocumentEntry(_Model):
    id: str = Field(description="sha256 of the bytes.")
    document: str = Field(description="Path relative to the analyzed root.")
    format: DocumentFormat | None = None
    kind: DocumentKind | None = None
    title: str | None = None
    document_number: str | None = None
    revision: str | None = None
    pages: int = 0
    passages: int = 0
    errors: list[str] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)


class GapItem(_Model):
    """One line of the prioritized gap list."""

    rank: int = Field(ge=1)
    practice_id: str
    clause_id: str
    title: str
    type: str
    mandatory: bool
    status: Status
    guidance: str


class Summary(_Model):
    covered: int
    partial: int
    gap: int
    not_applicable: int
    readiness: float = Field(
        description="0-100: credit of applicable practices (covered 1, partial 0.5), "
        "mandatory practices weighted double."
    )
    mandatory_gaps: int
    clauses: dict[Status, int] = Field(description="Clause counts per status.")


class FrameworkRef(_Model):
    id: str
    version: str
    title: str


class CoverageReport(_Model):
    """The whole answer for one analysis."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_id: str = Field(default=SCHEMA_ID, alias="schema")
    generated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    qmsgap_version: str
    embedder: str = Field(description="Identity of the embedding model used.")
    framework: FrameworkRef
    software_type: str
    tailoring: dict[str, str] = Field(
        default_factory=dict, description="Clause id -> justification for not applicable."
    )
    documents: list[DocumentEntry]
    clauses: list[ClauseCoverage]
    gaps: list[GapItem]
    summary: Summary

    def practices(self) -> list[PracticeCoverage]:
        """Every practice, in catalog order."""
        return [p for clause in self.clauses for p in clause.practices]

    def practice(self, practice_id: str) -> PracticeCoverage:
        for practice in self.practices():
            if practice.id == practice_id:
                return practice
        raise KeyError(practice_id)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(by_alias=True, indent=indent)
