"""``qmsgap config``: show the effective settings and where the model is loaded from."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    app.command("config")(show_config)


def show_config() -> None:
    """Print the effective settings (from QMSGAP_* variables) as JSON."""
    from qmsgap.model_files import resolve_model_path
    from qmsgap.settings import get_settings

    settings = get_settings()
    payload = settings.model_dump(mode="json", exclude={"secret_key"})
    payload["resolved_database_url"] = settings.resolved_database_url
    payload["resolved_model_path"] = str(resolve_model_path(settings.embedding.model_path))
    typer.echo(json.dumps(payload, indent=2))
