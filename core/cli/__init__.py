"""The ``qmsgap`` command. Each command group lives in its own module and imports its heavy
dependencies inside the command, so ``qmsgap --help`` stays fast."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from qmsgap import __version__
from qmsgap.cli import (
    analyze_cmd,
    calibrate_cmd,
    catalog_cmd,
    config_cmd,
    demo_cmd,
    eval_cmd,
    ingest_cmd,
    serve_cmd,
    user_cmd,
)
from qmsgap.errors import QmsGapError

app = typer.Typer(
    name="qmsgap",
    help="Map a supplier's QMS documents onto ASQMS clauses and practices, with cited evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qmsgap {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """qmsgap: AI-assisted QMS document gap analysis, offline by default."""


analyze_cmd.register(app)
calibrate_cmd.register(app)
catalog_cmd.register(app)
config_cmd.register(app)
demo_cmd.register(app)
eval_cmd.register(app)
ingest_cmd.register(app)
serve_cmd.register(app)
user_cmd.register(app)


def main() -> None:
    """Console entry point: expected errors become one clear line and exit status 2."""
    try:
        app()
    except QmsGapError as exc:
        typer.secho(f"error [{exc.code}]: {exc.message}", fg=typer.colors.RED, err=True)
        sys.exit(2)
