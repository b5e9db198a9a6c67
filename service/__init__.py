"""The FastAPI web service for suppliers, consultants and auditors.

``create_app(settings)`` builds the application; ``qmsgap serve`` runs it with uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from qmsgap.mapping.embedders import Embedder
    from qmsgap.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings, *, embedder: Embedder | None = None) -> FastAPI:
    """The service for ``settings`` (see :func:`qmsgap.service.app.create_app`)."""
    from qmsgap.service.app import create_app as build

    return build(settings, embedder=embedder)
