"""Liveness and readiness probes (no authentication, no secrets in the answers)."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from qmsgap.errors import QmsGapError
from qmsgap.service.db import schema_state
from qmsgap.service.deps import ServicesDep
from qmsgap.service.schemas import Health, Readiness, ReadyCheck
from qmsgap.service.state import Services

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> Health:
    return Health()


def readiness(services: Services) -> Readiness:
    """Database reachable, schema at the newest migration, embedding model loadable (checked
    on disk without loading it)."""
    checks: list[ReadyCheck] = []
    try:
        with services.database.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks.append(ReadyCheck(name="database", ok=True, detail=services.database.dialect.name))
        state = schema_state(services.database)
        checks.append(
            ReadyCheck(
                name="migrations",
                ok=state.at_head,
                detail=f"at {state.current}, newest {state.head}",
            )
        )
    except SQLAlchemyError as exc:
        checks.append(
            ReadyCheck(name="database", ok=False, detail=f"unreachable ({type(exc).__name__})")
        )
    checks.append(_model_check(services))
    return Readiness(ready=all(c.ok for c in checks), checks=checks)


def _model_check(services: Services) -> ReadyCheck:
    if services.embedder_injected:
        return ReadyCheck(name="model", ok=True, detail="embedder supplied by the application")
    try:
        from qmsgap.model_files import resolve_model_path

        path = resolve_model_path(services.settings.embedding.model_path)
    except QmsGapError as exc:
        return ReadyCheck(name="model", ok=False, detail=exc.message)
    weights = list(path.glob("*.safetensors")) + list(path.glob("*.bin"))
    if not weights:
        return ReadyCheck(name="model", ok=False, detail=f"no weight files in {path.name}")
    return ReadyCheck(name="model", ok=True, detail=path.name)


@router.get(
    "/readyz",
    summary="Ready to serve",
    description="200 when the database is reachable, migrated to the newest revision and the "
    "embedding model's files are present (the model is not loaded); 503 otherwise.",
    responses={503: {"model": Readiness, "description": "Not ready; the checks say why."}},
)
def readyz(services: ServicesDep) -> JSONResponse:
    answer = readiness(services)
    return JSONResponse(
        answer.model_dump(mode="json"),
        status_code=status.HTTP_200_OK if answer.ready else status.HTTP_503_SERVICE_UNAVAILABLE,
    )
