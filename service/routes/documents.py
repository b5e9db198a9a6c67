"""Documents of a workspace: streaming upload (new names are new documents, known names new
versions, identical content de-duplicated), list, metadata, versions, passages, findings,
original download, passage search, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from sqlalchemy import select

from qmsgap.errors import QmsGapError
from qmsgap.ingest.models import ParsedDocument
from qmsgap.service.access import Action, require
from qmsgap.service.deps import CurrentUser, IdPath, ServicesDep, SessionDep, WorkspaceDep
from qmsgap.service.errors import Conflict, InvalidRequest
from qmsgap.service.models import Blob, Document, DocumentVersion, User, utcnow
from qmsgap.service.queries import (
    audit,
    document_public,
    emails,
    get_document,
    get_version,
    version_public,
)
from qmsgap.service.routes.common import errors
from qmsgap.service.schemas import (
    ID_PATTERN,
    DocumentPublic,
    DocumentsPublic,
    DocumentVersionsPublic,
    FindingsPublic,
    PassageHit,
    PassageHitsPublic,
    PassagePublic,
    PassagesPublic,
    UploadOutcome,
    UploadResult,
)
from qmsgap.service.state import Services
from qmsgap.service.uploads import ReceivedFile, discard, name_error, sniff_file

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["documents"])

_MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/plain; charset=utf-8",  # never rendered by the browser from this origin
    "text": "text/plain; charset=utf-8",
}
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "One part named 'files' per document.",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/documents",
    status_code=status.HTTP_201_CREATED,
    summary="Upload documents",
    description="multipart/form-data, one part named `files` per file (at most "
    "limits.max_files_per_request). The body is streamed to disk; a file over "
    "limits.max_upload_bytes or a body over server.max_request_bytes is refused with 413 "
    "before the rest is read. The format is decided from the content (PDF, DOCX, XLSX, PPTX, "
    "Markdown, HTML, text); anything else is refused with 415 and nothing of the request is "
    "kept. A file named like an existing document becomes its new version.",
    openapi_extra=_UPLOAD_BODY,
    responses=errors(401, 403, 404, 413, 415, 422),
)
async def upload_documents(
    request: Request,
    workspace: WorkspaceDep,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
) -> UploadResult:
    require(user, Action.UPLOAD)
    workspace_id, user_id = workspace.id, user.id
    await run_in_threadpool(session.close)  # no transaction stays open while streaming
    files = await services.uploads.receive(
        request.stream(),
        request.headers.get("content-type"),
        request.headers.get("content-length"),
    )
    try:
        return await run_in_threadpool(_store_upload, services, workspace_id, user_id, files)
    finally:
        discard(files)  # whatever was not moved into the blob store


def _store_upload(
    services: Services, workspace_id: str, user_id: str, files: list[ReceivedFile]
) -> UploadResult:
    seen: set[str] = set()
    for received in files:
        if received.filename in seen:
            raise InvalidRequest(f"the request holds two files named {received.filename!r}")
        seen.add(received.filename)
        try:
            received.format = sniff_file(received.temp_path, services.settings)
        except QmsGapError as exc:
            raise name_error(received.filename, exc) from exc
    with services.upload_lock, services.sessions() as session:
        user = session.get(User, user_id)
        documents = session.scalars(
            select(Document).where(
                Document.workspace_id == workspace_id, Document.deleted_at.is_(None)
            )
        ).all()
        by_name = {d.name: d for d in documents}
        by_sha = {d.current.sha256: d for d in documents}
        outcomes: list[tuple[str, str, Document]] = []
        for received in files:
            if session.get(Blob, received.sha256) is None:
                session.add(
                    Blob(sha256=received.sha256, size=received.size, format=received.format)
                )
            services.blobs.put(received.temp_path, received.sha256)
            document = by_name.get(received.filename)
            if document is not None and document.current.sha256 == received.sha256:
                outcomes.append(("unchanged", received.filename, document))
                continue
            if document is None and received.sha256 in by_sha:
                outcomes.append(("duplicate", received.filename, by_sha[received.sha256]))
                continue
            outcome = "new_version" if document is not None else "created"
            if document is None:
                document = Document(workspace_id=workspace_id, name=received.filename)
                session.add(document)
                by_name[document.name] = document
            version = DocumentVersion(
                number=len(document.versions) + 1,
                sha256=received.sha256,
                filename=received.filename,
                size=received.size,
                format=received.format,
                uploaded_by=user_id,
            )
            document.versions.append(version)
            session.flush()
            by_sha[received.sha256] = document
            audit(
                session,
                workspace_id,
                user,
                "document.uploaded",
                target={"document_id": document.id, "name": document.name},
                after={"version": version.number, "sha256": version.sha256},
            )
            outcomes.append((outcome, received.filename, document))
        session.commit()
        names = emails(session, {user_id})
        data = [
            UploadOutcome(outcome=o, filename=f, document=document_public(d, names))  # type: ignore[arg-type]
            for o, f, d in outcomes
        ]
    return UploadResult(data=data, count=len(data))


@router.get(
    "/documents",
    summary="Documents of the workspace",
    description="Documents that are not deleted, by name, each with its current version.",
    responses=errors(401, 404, 422),
)
def list_documents(workspace: WorkspaceDep, session: SessionDep) -> DocumentsPublic:
    documents = session.scalars(
        select(Document)
        .where(Document.workspace_id == workspace.id, Document.deleted_at.is_(None))
        .order_by(Document.name)
    ).all()
    names = emails(session, {v.uploaded_by for d in documents for v in d.versions})
    data = [document_public(d, names) for d in documents]
    return DocumentsPublic(data=data, count=len(data))


@router.get("/documents/{document_id}", summary="One document", responses=errors(401, 404, 422))
def get_document_route(
    document_id: IdPath, workspace: WorkspaceDep, session: SessionDep
) -> DocumentPublic:
    document = get_document(session, workspace, document_id)
    names = emails(session, {v.uploaded_by for v in document.versions})
    return document_public(document, names)


@router.get(
    "/documents/{document_id}/versions",
    summary="Every version of a document, oldest first",
    responses=errors(401, 404, 422),
)
def list_versions(
    document_id: IdPath, workspace: WorkspaceDep, session: SessionDep
) -> DocumentVersionsPublic:
    document = get_document(session, workspace, document_id)
    names = emails(session, {v.uploaded_by for v in document.versions})
    data = [version_public(v, names) for v in document.versions]
    return DocumentVersionsPublic(data=data, count=len(data))


VersionQuery = Annotated[
    str | None, Query(pattern=ID_PATTERN, description="A version id; the current one if absent.")
]


def _parsed(services: Services, document: Document, version: DocumentVersion) -> ParsedDocument:
    parsed = services.parsed.get(version.sha256, document.name)
    if parsed is None:
        raise Conflict(
            f"version {version.number} of {document.name} has not been parsed yet "
            f"(status: {version.parse_status}); start an analysis"
        )
    return parsed


@router.get(
    "/documents/{document_id}/passages",
    summary="Passages of a document version (paged)",
    description="Available once an analysis has parsed the version (409 before).",
    responses=errors(401, 404, 409, 422),
)
def list_passages(
    *,
    document_id: IdPath,
    workspace: WorkspaceDep,
    services: ServicesDep,
    session: SessionDep,
    version_id: VersionQuery = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PassagesPublic:
    document = get_document(session, workspace, document_id)
    version = get_version(document, version_id)
    parsed = _parsed(services, document, version)
    page = parsed.passages[offset : offset + limit]
    return PassagesPublic(
        document_id=document.id,
        version_id=version.id,
        sha256=version.sha256,
        data=[_passage(p) for p in page],
        count=len(parsed.passages),
    )


def _passage(passage: Any) -> PassagePublic:
    return PassagePublic(
        id=passage.id,
        ordinal=passage.ordinal,
        start=passage.start,
        end=passage.end,
        text=passage.text,
        page_start=passage.page_start,
        page_end=passage.page_end,
        section=list(passage.section),
    )


@router.get(
    "/documents/{document_id}/findings",
    summary="Document-control findings of a version",
    description="Missing revision or date, outdated, withdrawn standards cited, empty "
    "sections, placeholders, pages without text. Available once parsed (409 before).",
    responses=errors(401, 404, 409, 422),
)
def list_findings(
    document_id: IdPath,
    workspace: WorkspaceDep,
    services: ServicesDep,
    session: SessionDep,
    version_id: VersionQuery = None,
) -> FindingsPublic:
    document = get_document(session, workspace, document_id)
    version = get_version(document, version_id)
    parsed = _parsed(services, document, version)
    return FindingsPublic(
        document_id=document.id,
        version_id=version.id,
        sha256=version.sha256,
        data=list(parsed.findings),
        count=len(parsed.findings),
    )


@router.get(
    "/documents/{document_id}/content",
    summary="Download the original file",
    description="The bytes as uploaded, as an attachment named like the upload.",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file."},
        **errors(401, 404, 422),
    },
)
def download(
    document_id: IdPath,
    workspace: WorkspaceDep,
    services: ServicesDep,
    session: SessionDep,
    version_id: VersionQuery = None,
) -> FileResponse:
    document = get_document(session, workspace, document_id)
    version = get_version(document, version_id)
    path = services.blobs.path(version.sha256)
    if not path.is_file():
        raise Conflict("the stored file is missing from the data directory; upload it again")
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES.get(version.format, "application/octet-stream"),
        filename=version.filename,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "ETag": f'"{version.sha256}"',
        },
    )


@router.delete(
    "/documents/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a document",
    description="Soft delete: the document leaves the list and the next analyses; past "
    "analyses and reports keep citing the versions they used, and its files are kept for them.",
    responses=errors(401, 403, 404, 422),
)
def delete_document(
    document_id: IdPath, workspace: WorkspaceDep, user: CurrentUser, session: SessionDep
) -> None:
    require(user, Action.DELETE_DOCUMENT)
    document = get_document(session, workspace, document_id)
    document.deleted_at = utcnow()
    document.deleted_by = user.id
    audit(
        session,
        workspace.id,
        user,
        "document.deleted",
        target={"document_id": document.id, "name": document.name},
        before={"version": document.current.number, "sha256": document.current.sha256},
    )
    session.commit()


@router.get(
    "/passages/search",
    summary="Search the workspace's passages",
    description="Semantic and lexical search over the current versions that have been "
    "parsed, for attaching a passage the engine missed (POST .../reviews/attachments).",
    responses=errors(401, 404, 422),
)
def search_passages(
    *,
    workspace: WorkspaceDep,
    services: ServicesDep,
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="What to look for.")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> PassageHitsPublic:
    documents = session.scalars(
        select(Document).where(Document.workspace_id == workspace.id, Document.deleted_at.is_(None))
    ).all()
    parsed: list[ParsedDocument] = []
    owner: dict[str, Document] = {}
    for document in documents:
        found = services.parsed.get(document.current.sha256, document.name)
        if found is not None:
            parsed.append(found)
            owner[found.document_id] = document
    hits = services.search.search(parsed, q, limit)
    data = [
        PassageHit(
            document_id=owner[h.passage.document_id].id,
            document=h.document_path,
            version_id=owner[h.passage.document_id].current.id,
            sha256=h.passage.document_id,
            score=h.score,
            passage=_passage(h.passage),
        )
        for h in hits
    ]
    return PassageHitsPublic(data=data, count=len(data))
