"""Clause catalogs: the standards as data (ASQMS, IAF-AQMS, MIIT OTA), crosswalks from ISO 9001,
IATF 16949 and ASPICE, and their loader.

Public API (everything else is internal):

Loading
    :func:`list_catalogs` (-> :class:`CatalogInfo`), :func:`load_catalog`,
    :func:`load_crosswalks`. Without ``settings`` only built-in data is read; with ``settings``,
    catalogs imported into ``settings.data_dir`` and licensed overlays are included.
    ``catalog.practice(id)``, ``catalog.clause(id)``, ``catalog.iter_practices()``.
Applicability
    :func:`obligation` (mandatory / optional / not applicable for a software type) and
    :class:`Tailoring` (clauses declared not applicable, each with a justification).
Citations
    :func:`find_references` (e.g. "ISO 9001 8.5.6", "SUP.8 BP3" in text) and
    :class:`ReferenceRouter` (-> :class:`Route`; callable as ``router(text) -> set[str]``);
    :func:`citation_router` builds one for a catalog id.
Licensed import, export, diff
    :func:`import_catalog`, :func:`export_catalog`, :func:`diff_catalogs`.

All functions raise :class:`~qmsgap.errors.CatalogError` for invalid data (the message names file,
line and id) and :class:`~qmsgap.errors.NotFound` for unknown catalogs or ids.
"""

from __future__ import annotations

from qmsgap.clauses.applicability import TailoredClause, Tailoring, mandatory_practices, obligation
from qmsgap.clauses.diff import CatalogDiff, diff_catalogs
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
from qmsgap.clauses.routing import CitedReference, ReferenceRouter, Route, find_references
from qmsgap.clauses.store import (
    CatalogInfo,
    ImportResult,
    export_catalog,
    import_catalog,
    list_catalogs,
    load_catalog,
    load_crosswalks,
)
from qmsgap.settings import Settings

__all__ = [
    "Catalog",
    "CatalogDiff",
    "CatalogInfo",
    "Chapter",
    "CitedReference",
    "Clause",
    "Crosswalk",
    "CrosswalkLink",
    "ImportResult",
    "Obligation",
    "Practice",
    "PracticeTypeRule",
    "Reference",
    "ReferenceRouter",
    "Route",
    "TailoredClause",
    "Tailoring",
    "citation_router",
    "diff_catalogs",
    "export_catalog",
    "find_references",
    "import_catalog",
    "list_catalogs",
    "load_catalog",
    "load_crosswalks",
    "mandatory_practices",
    "obligation",
]


def citation_router(catalog_id: str = "asqms", settings: Settings | None = None) -> ReferenceRouter:
    """A :class:`ReferenceRouter` onto ``catalog_id`` with all its crosswalks.

    Raises:
        NotFound: if there is no such catalog.
        CatalogError: if catalog or crosswalk data is invalid.
    """
    return ReferenceRouter(
        load_catalog(catalog_id, settings), load_crosswalks(catalog_id, settings)
    )
