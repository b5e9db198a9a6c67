"""``create_app(settings)``: the FastAPI application.

Nothing is built at import. The lifespan opens the database and migrates it to the newest
revision, makes the blob and parse stores, the mapping engine (the model loads on first use),
the passage search and the job runner (which first recovers jobs a previous process left
behind), and puts them on ``app.state.services``; routes reach them through the dependencies
in :mod:`qmsgap.service.deps`. One exception handler answers every error as
``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qmsgap import __version__
from qmsgap.errors import QmsGapError
from qmsgap.mapping.embedders import Embedder
from qmsgap.settings import Settings

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}
#: Routes that stream their own (larger) bodies and enforce their own limits.
_STREAMING_ROUTES = re.compile(rf"^{API_PREFIX}/(workspaces/[^/]+/documents|catalogs/import)/?$")
_TAGS = [
    {"name": "auth", "description": "Log in and out; the current user and organisation."},
    {"name": "users", "description": "Users of the organisation (admins manage them)."},
    {"name": "workspaces", "description": "One organisation under assessment, and members."},
    {"name": "documents", "description": "Uploads, versions, passages, findings, downloads."},
    {"name": "analyses", "description": "Background analyses, results, reports and diffs."},
    {"name": "coverage", "description": "Coverage per clause and practice, reviews applied."},
    {"name": "reviews", "description": "Evidence decisions, manual statuses, comments, audit."},
    {"name": "catalogs", "description": "Frameworks and licensed imports."},
    {"name": "health", "description": "Liveness and readiness probes."},
]
_DESCRIPTION = """\
Map a supplier's QMS documents onto ASQMS clauses and practices, with cited evidence.

Authenticate with `POST /api/v1/auth/login` and send `Authorization: Bearer <token>`.
Every error answers `{"error": {"code": "...", "message": "..."}}`. Resources of other
organisations, and workspaces the user is not a member of, answer 404. See docs/api.md for the
permission matrix.
"""


def create_app(settings: Settings, *, embedder: Embedder | None = None) -> FastAPI:
    """The service for ``settings``. ``embedder`` replaces the configured model (tests).

    Raises (from the lifespan, at start-up):
        ConfigurationError: the database cannot be opened or migrated.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from qmsgap.service.wiring import build_services

        services = await run_in_threadpool(build_services, settings, embedder)
        app.state.services = services
        await run_in_threadpool(services.jobs.start)
        try:
            yield
        finally:
            await run_in_threadpool(services.jobs.stop)
            services.database.dispose()

    app = FastAPI(
        title="qmsgap",
        version=__version__,
        summary="QMS document gap analysis against ASQMS, offline.",
        description=_DESCRIPTION,
        openapi_tags=_TAGS,
        lifespan=lifespan,
        # the Swagger/ReDoc pages load their scripts from a CDN: nothing may leave the machine
        docs_url=None,
        redoc_url=None,
        telemetry={
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        },
    )
    install_error_handler(app)
    app.add_middleware(JsonBodyLimit, limit=settings.server.max_json_bytes)

    from qmsgap.service.routes.analyses import router as analyses
    from qmsgap.service.routes.auth import router as auth
    from qmsgap.service.routes.catalogs import router as catalogs
    from qmsgap.service.routes.coverage import router as coverage
    from qmsgap.service.routes.documents import router as documents
    from qmsgap.service.routes.health import router as health
    from qmsgap.service.routes.reviews import router as reviews
    from qmsgap.service.routes.users import router as users
    from qmsgap.service.routes.workspaces import router as workspaces

    app.include_router(health)
    api = APIRouter(prefix=API_PREFIX)
    for router in (auth, users, workspaces, documents, analyses, coverage, reviews, catalogs):
        api.include_router(router)
    app.include_router(api)
    from qmsgap.frontend.web import mount_web_app

    mount_web_app(app)  # the web app: GET / and /static (with its security headers)
    return app


# ------------------------------------------------------------------ errors


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()[:20]
    ]


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """The one exception handler: every error becomes ``{"error": {"code", "message"}}``."""
    headers: dict[str, str] = {}
    details = None
    if isinstance(exc, QmsGapError):
        status, code, message = exc.http_status, exc.code, exc.message
    elif isinstance(exc, RequestValidationError):
        details = _validation_details(exc)
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"]) or "request"
        status, code, message = 422, "validation_error", f"{where}: {first['msg']}"
    elif isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        code = _STATUS_CODES.get(status, "http_error")
        message = str(exc.detail)
        headers.update(exc.headers or {})
    elif isinstance(exc, ClientDisconnect):
        status, code, message = 400, "client_disconnected", "the client went away mid-request"
    else:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        status, code, message = 500, "internal_error", "an unexpected error occurred"
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def install_error_handler(app: FastAPI) -> None:
    for kind in (
        QmsGapError,
        RequestValidationError,
        StarletteHTTPException,
        ClientDisconnect,
        Exception,
    ):
        app.add_exception_handler(kind, handle_error)


class JsonBodyLimit:
    """Refuses bodies above ``limit`` bytes (413) on every route but the streaming uploads:
    by Content-Length before reading, and by counting while the app reads."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _STREAMING_ROUTES.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _send_json(send, 413, "request_too_large", self._message())
            return
        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    from qmsgap.service.errors import RequestTooLarge

                    raise RequestTooLarge(self._message())
            return message

        await self.app(scope, counting, send)

    def _message(self) -> str:
        return f"the request body is larger than {self.limit:,} bytes (server.max_json_bytes)"


async def _send_json(send: Send, status: int, code: str, message: str) -> None:
    import json

    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
