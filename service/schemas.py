"""Request and response bodies, as families: ``XCreate``, ``XUpdate``, ``XPublic``,
``XsPublic{data, count}``. Coverage, reviews and diff reuse the report schema
(:mod:`qmsgap.mapping.schema`) and live in :mod:`qmsgap.service.review_schemas`.

Every request body refuses text a database cannot store faithfully (NUL characters, lone
surrogates) with a 422, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from qmsgap.ingest.models import DocumentFormat, Finding
from qmsgap.mapping.schema import Summary
from qmsgap.service.models import JobStatus, ParseStatus, Role

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
ID_PATTERN = r"^[0-9a-f]{32}$"
PRACTICE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"


def _storable(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _storable(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _storable(item)


class Body(BaseModel):
    """Base of request bodies: unknown fields are refused, text must be storable."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _text_is_storable(self) -> Body:
        for name in type(self).model_fields:
            _storable(getattr(self, name))
        return self


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def normalize_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("not an e-mail address")
    return value


Email = Annotated[str, Field(max_length=320), AfterValidator(normalize_email)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]
Reason = Annotated[str, Field(min_length=1, max_length=5000)]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["no workspace 9f1c0e4b5a6d4c3b8a7f6e5d4c3b2a19"])
    details: list[dict[str, Any]] | None = Field(
        default=None, description="Per-field problems of a request that failed validation."
    )


class ErrorResponse(BaseModel):
    """Every error answer of the API."""

    error: ErrorDetail


# ------------------------------------------------------------------ auth, users, organisation


class LoginRequest(Body):
    email: Email
    password: Password

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "quality@supplier.example", "password": "correct horse 42"}]
        }
    )


class OrganisationPublic(Public):
    id: str
    name: str
    created_at: datetime


class UserPublic(Public):
    id: str
    email: str
    name: str
    role: Role
    active: bool
    organisation_id: str
    created_at: datetime


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int


class TokenPublic(BaseModel):
    access_token: str = Field(description="Send as 'Authorization: Bearer <token>'.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_at: datetime
    user: UserPublic


class UserCreate(Body):
    email: Email
    name: Name
    role: Role
    password: Password = Field(description="At least 12 characters.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "auditor@oem.example",
                    "name": "Anna Auditor",
                    "role": "auditor",
                    "password": "a long passphrase 2025",
                }
            ]
        }
    )


class UserUpdate(Body):
    """Admin changes to a user of the organisation; deactivating revokes their tokens."""

    name: Name | None = None
    role: Role | None = None
    active: bool | None = None
    password: Password | None = None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"role": "consultant", "active": True}]}
    )


class PasswordChange(Body):
    current_password: Password
    new_password: Password

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"current_password": "old passphrase 2024", "new_password": "new passphrase 2025"}
            ]
        }
    )


# ------------------------------------------------------------------ workspaces

Tailoring = Annotated[
    dict[
        Annotated[str, Field(pattern=PRACTICE_PATTERN)],
        Annotated[str, Field(min_length=1, max_length=5000)],
    ],
    Field(
        description="Clause id -> justification for declaring the clause not applicable.",
        max_length=500,
    ),
]


class WorkspaceCreate(Body):
    name: Name
    framework: str = Field(
        default="asqms", max_length=64, description="Catalog id (GET /catalogs)."
    )
    software_type: str = Field(
        default="II", max_length=20, description="A software type of the catalog, e.g. I or II."
    )
    tailoring: Tailoring = Field(default_factory=dict)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "ACME Electronics - plant Brno",
                    "framework": "asqms",
                    "software_type": "II",
                    "tailoring": {"6.10": "Tier-2 supplier: no over-the-air deployment"},
                }
            ]
        }
    )


class WorkspaceUpdate(Body):
    """The framework of a workspace cannot change (practice ids would lose their meaning)."""

    name: Name | None = None
    software_type: str | None = Field(default=None, max_length=20)
    tailoring: Tailoring | None = None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"software_type": "I", "tailoring": {}}]}
    )


class WorkspacePublic(Public):
    id: str
    organisation_id: str
    name: str
    framework: str
    software_type: str
    tailoring: dict[str, str]
    created_at: datetime
    updated_at: datetime
    documents: int = Field(default=0, description="Documents (not deleted).")
    latest_analysis_id: str | None = Field(
        default=None, description="The newest analysis that succeeded."
    )


class WorkspacesPublic(BaseModel):
    data: list[WorkspacePublic]
    count: int


class MemberAdd(Body):
    user_id: str = Field(pattern=ID_PATTERN)

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"user_id": "5d41402abc4b2a76b9719d911017c592"}]}
    )


class MemberPublic(BaseModel):
    user_id: str
    email: str
    name: str
    role: Role
    added_at: datetime


class MembersPublic(BaseModel):
    data: list[MemberPublic]
    count: int


# ------------------------------------------------------------------ documents


class ParseError(BaseModel):
    code: str
    message: str


class DocumentVersionPublic(BaseModel):
    id: str
    number: int = Field(description="1 for the first upload under this name, then 2, 3 ...")
    sha256: str
    filename: str
    size: int
    format: DocumentFormat
    uploaded_by: str | None = Field(description="E-mail of the uploader.")
    uploaded_at: datetime
    parse_status: ParseStatus = Field(
        description="'pending' until an analysis has parsed this version."
    )
    parse_error: ParseError | None = None
    title: str | None = None
    document_number: str | None = None
    revision: str | None = None
    pages: int = 0
    passages: int = 0
    findings: int = 0


class DocumentPublic(BaseModel):
    id: str
    workspace_id: str
    name: str = Field(description="The file name; a new upload with this name is a new version.")
    created_at: datetime
    current_version: DocumentVersionPublic
    versions: int


class DocumentsPublic(BaseModel):
    data: list[DocumentPublic]
    count: int


class DocumentVersionsPublic(BaseModel):
    data: list[DocumentVersionPublic]
    count: int


class UploadOutcome(BaseModel):
    outcome: Literal["created", "new_version", "unchanged", "duplicate"] = Field(
        description="'created': a new document; 'new_version': same name, new content; "
        "'unchanged': same name and content as the current version; 'duplicate': the same "
        "content is already the current version of another document (nothing stored)."
    )
    filename: str
    document: DocumentPublic


class UploadResult(BaseModel):
    data: list[UploadOutcome]
    count: int


class PassagePublic(BaseModel):
    id: str
    ordinal: int
    start: int
    end: int
    text: str
    page_start: int | None
    page_end: int | None
    section: list[str]


class PassagesPublic(BaseModel):
    document_id: str
    version_id: str
    sha256: str
    data: list[PassagePublic]
    count: int = Field(description="All passages of the version (the page holds fewer).")


class FindingsPublic(BaseModel):
    document_id: str
    version_id: str
    sha256: str
    data: list[Finding]
    count: int


class PassageHit(BaseModel):
    document_id: str
    document: str
    version_id: str
    sha256: str
    score: float
    passage: PassagePublic


class PassageHitsPublic(BaseModel):
    data: list[PassageHit]
    count: int


# ------------------------------------------------------------------ analyses


class AnalysisCreate(Body):
    evidence_k: int | None = Field(
        default=None, ge=1, le=20, description="Evidence items kept per practice."
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"evidence_k": 3}]})


class AnalysisDocumentRef(BaseModel):
    document_id: str
    version_id: str
    name: str
    number: int
    sha256: str


class JobError(BaseModel):
    code: str | None
    message: str


class AnalysisPublic(BaseModel):
    id: str
    workspace_id: str
    status: JobStatus
    step: str = Field(description="parse, index, retrieve, score, done (or the final status).")
    done: int
    total: int
    progress: float = Field(ge=0, le=1, description="Overall fraction done, 0-1.")
    cancel_requested: bool
    attempts: int = Field(description="Times the job was started (more than 1 after a restart).")
    error: JobError | None = None
    framework: str
    software_type: str
    tailoring: dict[str, str]
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    embedded_passages: int | None = Field(
        description="Texts this analysis had to embed (0 when everything was cached)."
    )
    summary: Summary | None = Field(description="Engine summary, before reviews.")
    documents: list[AnalysisDocumentRef]


class AnalysesPublic(BaseModel):
    data: list[AnalysisPublic]
    count: int


# ------------------------------------------------------------------ health


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyCheck(BaseModel):
    name: str
    ok: bool
    detail: str


class Readiness(BaseModel):
    ready: bool
    checks: list[ReadyCheck]
