"""Bodies of the coverage, review, audit and catalog resources (see :mod:`.schemas`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from qmsgap.mapping.schema import (
    ClauseCoverage,
    DocumentEntry,
    FrameworkRef,
    PracticeCoverage,
    Status,
    Summary,
)
from qmsgap.service.schemas import (
    PRACTICE_PATTERN,
    SHA256_PATTERN,
    Body,
    Reason,
)

#: Character offsets fit a 32-bit database integer (texts are capped far below that).
MAX_OFFSET = 2**31 - 1

# ------------------------------------------------------------------ coverage


class CoveragePublic(BaseModel):
    """One analysis's coverage with reviews applied, optionally filtered."""

    analysis_id: str
    workspace_id: str
    generated_at: datetime
    framework: FrameworkRef
    software_type: str
    summary: Summary = Field(description="Of the whole analysis (reviews applied), not filtered.")
    documents: list[DocumentEntry] = Field(description="Document versions the analysis used.")
    clauses: list[ClauseCoverage] = Field(
        description="Clauses with at least one matching practice."
    )
    count: int = Field(description="Practices matching the filters.")


# ------------------------------------------------------------------ reviews


class EvidenceDecisionCreate(Body):
    """Accept or reject one evidence item the engine proposed (as listed by the coverage)."""

    practice_id: str = Field(pattern=PRACTICE_PATTERN)
    document_id: str = Field(pattern=SHA256_PATTERN, description="sha256 of the version.")
    start: int = Field(ge=0, le=MAX_OFFSET)
    end: int = Field(ge=1, le=MAX_OFFSET)
    decision: Literal["accepted", "rejected"]
    reason: Reason | None = None

    model_config = {  # noqa: RUF012 - pydantic configuration
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "practice_id": "5.5.1",
                    "document_id": "3f1d" + "0" * 60,
                    "start": 1204,
                    "end": 1398,
                    "decision": "rejected",
                    "reason": "Describes hardware baselines only.",
                }
            ]
        },
    }


class AttachmentCreate(Body):
    """Attach a passage the engine missed: by ``passage_id`` (from the passage search or the
    document's passages), or by ``document_id`` (sha256) with ``start``/``end`` offsets. The
    quote is always cut from the server's canonical text."""

    practice_id: str = Field(pattern=PRACTICE_PATTERN)
    passage_id: str | None = Field(default=None, max_length=100)
    document_id: str | None = Field(default=None, pattern=SHA256_PATTERN)
    start: int | None = Field(default=None, ge=0, le=MAX_OFFSET)
    end: int | None = Field(default=None, ge=1, le=MAX_OFFSET)
    reason: Reason | None = None

    model_config = {  # noqa: RUF012 - pydantic configuration
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"practice_id": "5.5.1", "passage_id": "3f1d2c4b5a697887:12", "reason": "Missed"},
                {"practice_id": "5.5.1", "document_id": "3f1d" + "0" * 60, "start": 10, "end": 90},
            ]
        },
    }

    @model_validator(mode="after")
    def _one_way(self) -> AttachmentCreate:
        by_offsets = (
            self.document_id is not None and self.start is not None and self.end is not None
        )
        if (self.passage_id is None) == (not by_offsets):
            raise ValueError("give either passage_id, or document_id with start and end")
        if (
            by_offsets
            and self.end is not None
            and self.start is not None
            and self.end <= self.start
        ):
            raise ValueError("end must be greater than start")
        return self


class EvidenceReviewPublic(BaseModel):
    id: str
    practice_id: str
    document_id: str
    document: str
    passage_id: str
    start: int
    end: int
    page: int | None
    section: list[str]
    quote: str
    origin: Literal["engine", "reviewer"]
    decision: Literal["accepted", "rejected"]
    reason: str | None
    updated_by: str | None = Field(description="E-mail of the reviewer.")
    updated_at: datetime


class StatusOverrideSet(Body):
    status: Status
    reason: Reason

    model_config = {  # noqa: RUF012 - pydantic configuration
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"status": "covered", "reason": "Confirmed in the SCM plan, rev. C."}]
        },
    }


class StatusOverridePublic(BaseModel):
    practice_id: str
    status: Status
    reason: str
    set_by: str | None
    set_at: datetime


class CommentCreate(Body):
    body: str = Field(min_length=1, max_length=10000, examples=["Seen on site: form F-17 rev. B."])


class CommentPublic(BaseModel):
    id: str
    practice_id: str
    body: str
    author: str
    created_at: datetime


class CommentsPublic(BaseModel):
    data: list[CommentPublic]
    count: int


class ReviewsPublic(BaseModel):
    """Every standing decision of a workspace."""

    evidence: list[EvidenceReviewPublic]
    statuses: list[StatusOverridePublic]
    count: int


class AuditEventPublic(BaseModel):
    id: int
    practice_id: str | None
    actor: str
    action: str = Field(examples=["evidence.rejected", "status.set", "document.uploaded"])
    target: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


class AuditEventsPublic(BaseModel):
    data: list[AuditEventPublic]
    count: int = Field(description="All matching events (the page may hold fewer).")


class PracticeReviewPublic(BaseModel):
    """Everything about one practice: its coverage in the latest analysis (reviews applied),
    the standing decisions, comments and audit trail."""

    practice_id: str
    clause_id: str
    title: str
    requirement: str
    analysis_id: str | None
    coverage: PracticeCoverage | None
    evidence_reviews: list[EvidenceReviewPublic]
    status_override: StatusOverridePublic | None
    comments: list[CommentPublic]
    audit: list[AuditEventPublic]


# ------------------------------------------------------------------ catalogs


class CatalogPublic(BaseModel):
    id: str
    version: str
    title: str
    origin: Literal["builtin", "imported"]
    private: bool = Field(description="Imported by this organisation; no one else sees it.")
    licensed_overlay: bool
    clauses: int
    practices: int


class CatalogsPublic(BaseModel):
    data: list[CatalogPublic]
    count: int


class CatalogImportPublic(BaseModel):
    catalog_id: str
    mode: Literal["replace", "overlay"]
    practices: int
    updated: list[str]
    added: list[str]
    unchanged: list[str]
