"""``qmsgap serve``: run the web service (uvicorn, one process, loopback by default)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default: server.host, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on (default: server.port, 8000)."),
    ] = None,
    log_level: Annotated[
        str, typer.Option(help="uvicorn log level: critical, error, warning, info, debug.")
    ] = "info",
) -> None:
    """Serve the API (and the web app) until interrupted. Background analyses run inside."""
    import uvicorn

    from qmsgap.service import create_app
    from qmsgap.settings import DEVELOPMENT_SECRET, get_settings

    settings = get_settings()
    bind = host or settings.server.host
    if bind not in {"127.0.0.1", "localhost", "::1"} and settings.secret_key == DEVELOPMENT_SECRET:
        typer.secho(
            f"warning: serving on {bind} with the development secret key; set QMSGAP_SECRET_KEY",
            fg=typer.colors.YELLOW,
            err=True,
        )
    uvicorn.run(
        create_app(settings),
        host=bind,
        port=port or settings.server.port,
        log_level=log_level,
        workers=1,
        server_header=False,
    )
