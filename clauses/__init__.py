"""Clause catalogs: the standards as data (ASQMS, crosswalks, other frameworks) and their loader.

Public API (everything else is internal):

- :func:`load_catalog` - a catalog by id, built-in or imported, licensed overlay applied.
- :class:`Catalog` and friends - the models every framework shares (see ``models.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qmsgap.clauses.loader import load_builtin_catalog
from qmsgap.clauses.models import (
    Catalog,
    Chapter,
    Clause,
    Crosswalk,
    CrosswalkLink,
    Obligation,
    Practice,
    PracticeTypeRule,
    Reference,
)

if TYPE_CHECKING:
    from qmsgap.settings import Settings

__all__ = [
    "Catalog",
    "Chapter",
    "Clause",
    "Crosswalk",
    "CrosswalkLink",
    "Obligation",
    "Practice",
    "PracticeTypeRule",
    "Reference",
    "load_catalog",
]


def load_catalog(catalog_id: str, settings: Settings | None = None) -> Catalog:
    """The catalog ``catalog_id``.

    Raises:
        NotFound: if there is no such catalog.
        CatalogError: if its data is invalid.
    """
    del settings  # imported catalogs and licensed overlays: next commit
    return load_builtin_catalog(catalog_id)
