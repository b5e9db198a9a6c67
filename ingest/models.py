"""What ingestion produces: one canonical text per document, and passages that point into it.

These models are the contract between ``ingest`` and everything downstream (mapping, service,
reports, evaluation). Every offset is a character offset into ``ParsedDocument.canonical_text``;
``canonical_text[p.start:p.end] == p.text`` holds for every passage and every finding quote.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DocumentFormat(StrEnum):
    """Formats told apart by content (magic bytes, zip content types), never by file name."""

    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    MARKDOWN = "markdown"
    HTML = "html"
    TEXT = "text"


class DocumentKind(StrEnum):
    """The role of a document in a QMS document hierarchy, guessed from title and content."""

    MANUAL = "manual"
    POLICY = "policy"
    PROCEDURE = "procedure"
    WORK_INSTRUCTION = "work_instruction"
    PLAN = "plan"
    FORM = "form"
    RECORD = "record"
    OTHER = "other"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PageSpan(_Frozen):
    """Where page ``number`` (1-based, as printed by a viewer) lies in the canonical text."""

    number: int = Field(ge=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    has_text: bool = True


class Passage(_Frozen):
    """A retrievable unit: a slice of the canonical text inside one section.

    ``page_start``/``page_end`` are ``None`` for formats without pages (DOCX, Markdown, HTML,
    text, spreadsheets); slides count as pages. ``section`` is the heading path, outermost first,
    e.g. ``["7 Support", "7.5 Documented information"]``.
    """

    id: str = Field(description="Stable id: '<first 16 hex of document_id>:<ordinal>'.")
    document_id: str = Field(description="sha256 of the document's bytes, hex.")
    ordinal: int = Field(ge=0)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    page_start: int | None = None
    page_end: int | None = None
    section: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check_span(self) -> Passage:
        if self.end - self.start != len(self.text):
            raise ValueError("passage text length must equal end - start")
        return self


class DocumentMetadata(_Frozen):
    """Document-control metadata found in properties, headers/footers or the first page."""

    title: str | None = None
    document_number: str | None = None
    revision: str | None = None
    issue_date: date | None = None
    approver: str | None = None
    author: str | None = None
    last_modified: datetime | None = None
    kind: DocumentKind = DocumentKind.OTHER
    properties: dict[str, str] = Field(
        default_factory=dict,
        description="The document's own properties as found, for reference: Word/Excel core "
        "properties (Word's save counter is 'save_count', not the revision), PDF info, HTML "
        "meta tags.",
    )


class FindingCode(StrEnum):
    """Document-control observations an auditor raises on a Stage 1 document review."""

    MISSING_REVISION = "missing_revision"
    MISSING_DATE = "missing_date"
    OUTDATED = "outdated"
    WITHDRAWN_STANDARD = "withdrawn_standard"
    EMPTY_SECTION = "empty_section"
    UNRESOLVED_PLACEHOLDER = "unresolved_placeholder"
    NO_TEXT_LAYER = "no_text_layer"


class Finding(_Frozen):
    """One observation, citing where it was seen (``quote == canonical[start:end]``)."""

    code: FindingCode
    severity: str = Field(description="'major', 'minor' or 'info'.")
    message: str
    page: int | None = None
    section: tuple[str, ...] = ()
    quote: str = ""
    start: int | None = None
    end: int | None = None


class ParsedDocument(BaseModel):
    """A document turned into canonical text, pages, passages, metadata and findings."""

    model_config = ConfigDict(extra="forbid")

    document_id: str = Field(description="sha256 of the bytes, hex.")
    path: str = Field(description="The path as given (relative to the analyzed root where known).")
    format: DocumentFormat
    size_bytes: int = Field(ge=0)
    canonical_text: str
    pages: list[PageSpan] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    metadata: DocumentMetadata = Field(default_factory=DocumentMetadata)
    findings: list[Finding] = Field(default_factory=list)
    warnings: list[str] = Field(
        default_factory=list, description="Non-fatal problems, e.g. an unreadable sheet."
    )

    @property
    def page_count(self) -> int:
        return len(self.pages)


class IngestFailure(BaseModel):
    """A document that could not be read; the rest of the batch goes on."""

    model_config = ConfigDict(extra="forbid")

    path: str
    document_id: str | None = None
    code: str = Field(description="The DocumentError code, e.g. 'encrypted_document'.")
    message: str = Field(description="What happened, in words a person understands.")


IngestOutcome = ParsedDocument | IngestFailure
