"""Catalogs: the built-in frameworks and the organisation's own licensed imports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool

from qmsgap.clauses import Catalog
from qmsgap.service.access import Action, require
from qmsgap.service.deps import CurrentUser, ServicesDep, SessionDep
from qmsgap.service.errors import InvalidRequest
from qmsgap.service.review_schemas import CatalogImportPublic, CatalogPublic, CatalogsPublic
from qmsgap.service.routes.common import errors
from qmsgap.service.uploads import UploadReceiver, discard

router = APIRouter(prefix="/catalogs", tags=["catalogs"])

CATALOG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_SUFFIXES = {".yaml", ".yml", ".csv", ".xlsx"}
_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "string",
                            "format": "binary",
                            "description": "One catalog file: .yaml, .yml, .csv or .xlsx "
                            "(columns in docs/catalog-format.md).",
                        }
                    },
                }
            }
        },
    }
}


@router.get("", summary="Catalogs this organisation can use", responses=errors(401, 422))
def list_catalogs(user: CurrentUser, services: ServicesDep) -> CatalogsPublic:
    infos = services.catalogs.list(user.organisation_id)
    data = [
        CatalogPublic(
            id=info.id,
            version=info.version,
            title=info.title,
            origin=info.origin,
            private=info.origin == "imported" or info.licensed_overlay,
            licensed_overlay=info.licensed_overlay,
            clauses=info.clauses,
            practices=info.practices,
        )
        for info in infos
    ]
    return CatalogsPublic(data=data, count=len(data))


@router.get(
    "/{catalog_id}",
    summary="One catalog in full",
    description="Chapters, clauses and practices (with the organisation's licensed texts).",
    responses=errors(401, 404, 422),
)
def get_catalog(
    catalog_id: Annotated[str, Path(pattern=CATALOG_PATTERN, examples=["asqms"])],
    user: CurrentUser,
    services: ServicesDep,
) -> Catalog:
    return services.catalogs.load(catalog_id, user.organisation_id)


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    summary="Import a licensed catalog (admin, consultant)",
    description="Stored in the organisation's private part of the data directory; no other "
    "organisation sees it. `overlay` replaces the requirement texts of an existing catalog "
    "(default asqms) practice by practice; `replace` makes the file a whole catalog.",
    openapi_extra=_IMPORT_BODY,
    responses=errors(401, 403, 404, 413, 422),
)
async def import_catalog(
    *,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
    mode: Annotated[Literal["overlay", "replace"], Query()] = "overlay",
    catalog_id: Annotated[str | None, Query(pattern=CATALOG_PATTERN)] = None,
    base_id: Annotated[str | None, Query(pattern=CATALOG_PATTERN)] = None,
) -> CatalogImportPublic:
    require(user, Action.IMPORT_CATALOG)
    organisation_id = user.organisation_id
    await run_in_threadpool(session.close)
    receiver = UploadReceiver(
        services.blobs,
        max_file_bytes=services.settings.catalogs.max_import_bytes,
        max_files=1,
        max_request_bytes=services.settings.catalogs.max_import_bytes + 64 * 1024,
    )
    files = await receiver.receive(
        request.stream(),
        request.headers.get("content-type"),
        request.headers.get("content-length"),
    )
    received = files[0]
    suffix = "." + received.filename.rsplit(".", 1)[-1].lower() if "." in received.filename else ""
    try:
        if suffix not in _SUFFIXES:
            raise InvalidRequest("a catalog file must be .yaml, .yml, .csv or .xlsx")
        named = received.temp_path.with_suffix(suffix)
        received.temp_path.replace(named)
        received.temp_path = named
        result = await run_in_threadpool(
            services.catalogs.import_file,
            named,
            organisation_id,
            mode=mode,
            catalog_id=catalog_id,
            base_id=base_id,
        )
    finally:
        discard(files)
    return CatalogImportPublic(
        catalog_id=result.catalog_id,
        mode=result.mode,
        practices=result.practices,
        updated=result.updated,
        added=result.added,
        unchanged=result.unchanged,
    )
