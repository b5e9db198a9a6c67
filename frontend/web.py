"""Serving the web app: ``GET /`` answers the single page, ``/static/...`` its scripts and styles.

The app is plain HTML, CSS and JavaScript modules shipped as package data (no build step). Its
pages get a strict Content-Security-Policy (scripts, styles and requests only from this origin,
no inline script, no framing) and are revalidated on every load so an upgrade is never mixed
with a cached older script. The API and its interactive docs keep their own headers.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.datastructures import MutableHeaders
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qmsgap.errors import ConfigurationError

STATIC_PREFIX = "/static"
#: What the app's own pages may load: scripts, styles, images and API calls from this origin
#: only; nothing inline, no plugins, never framed. (Original PDFs open in a new tab as blob:
#: URLs the page made from an authenticated download.)
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
APP_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-cache",
}


def static_root() -> Path:
    """The folder of the app's files inside the installed package.

    Raises:
        ConfigurationError: the package was installed without its static files.
    """
    root = Path(str(resources.files("qmsgap.frontend") / "static"))
    if not (root / "index.html").is_file():
        raise ConfigurationError(
            f"the web app's files are missing from {root}; reinstall qmsgap (scripts/setup.sh)"
        )
    return root


class AppSecurityHeaders:
    """ASGI middleware adding :data:`APP_HEADERS` to the answers of the app's own paths
    (``/`` and everything under ``/static/``); other paths pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != "/" and not path.startswith(STATIC_PREFIX + "/"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in APP_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def mount_web_app(app: FastAPI) -> None:
    """Serve the web app from ``app``: ``GET /`` and ``/static``.

    Raises:
        ConfigurationError: the static files are missing (see :func:`static_root`).
    """
    root = static_root()
    index = root / "index.html"

    @app.get("/", include_in_schema=False)
    def web_app() -> FileResponse:
        return FileResponse(index, media_type="text/html; charset=utf-8")

    # The editable install links each file into place, so links must be followed; the folder
    # is package data, never anything a user can write to.
    app.mount(STATIC_PREFIX, StaticFiles(directory=root, follow_symlink=True), name="static")
    app.add_middleware(AppSecurityHeaders)
