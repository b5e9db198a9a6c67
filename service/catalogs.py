"""Catalogs as one organisation sees them: the built-in ones plus its own licensed imports.

The clauses package stores imports under ``settings.data_dir / "catalogs"``. Each organisation
gets its own data directory for that purpose (``data_dir/organisations/<id>``), so a licensed
catalog or overlay imported by one organisation is invisible to every other one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from qmsgap.clauses import Catalog, CatalogInfo, ImportResult
from qmsgap.settings import Settings


class OrganisationCatalogs:
    """Lists, loads and imports catalogs on behalf of one organisation at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def settings_for(self, organisation_id: str) -> Settings:
        """Settings whose data directory is the organisation's private catalog store."""
        private = self.settings.data_dir / "organisations" / organisation_id
        return self.settings.model_copy(update={"data_dir": private})

    def list(self, organisation_id: str) -> list[CatalogInfo]:
        """Built-in and imported catalogs, sorted by id.

        Raises:
            CatalogError: a stored catalog is invalid.
        """
        from qmsgap.clauses import list_catalogs

        return list_catalogs(self.settings_for(organisation_id))

    def load(self, catalog_id: str, organisation_id: str) -> Catalog:
        """The catalog ``catalog_id`` with the organisation's licensed overlay applied.

        Raises:
            NotFound: no such catalog for this organisation.
            CatalogError: its data is invalid.
        """
        from qmsgap.clauses import load_catalog

        return load_catalog(catalog_id, self.settings_for(organisation_id))

    def import_file(
        self,
        path: Path,
        organisation_id: str,
        *,
        mode: Literal["replace", "overlay"],
        catalog_id: str | None,
        base_id: str | None = None,
    ) -> ImportResult:
        """Import a licensed catalog file (YAML, CSV or XLSX, told by its suffix).

        Raises:
            CatalogError: invalid content (nothing is stored then).
            NotFound: an overlay for an unknown catalog.
        """
        from qmsgap.clauses import import_catalog

        return import_catalog(
            path,
            self.settings_for(organisation_id),
            mode=mode,
            catalog_id=catalog_id,
            base_id=base_id,
        )
