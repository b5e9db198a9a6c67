"""Catalogs a user imported, kept in the data directory, and the public loading API.

Layout under ``settings.data_dir / "catalogs" / <id>/``:

- ``catalog.yaml``: a full catalog imported with ``--mode replace``. It replaces (shadows) a
  built-in catalog of the same id, or adds a new one.
- ``overlay.yaml``: licensed requirement texts imported with ``--mode overlay``, applied practice
  by practice on top of the catalog (built-in or replaced) when it is loaded and
  ``settings.catalogs.apply_licensed_overlays`` is true. Everything else (evidence, keywords,
  references, themes) stays as in the base.

Imported files never go into the repository. Both files are validated on import and again on
every load (the data directory is user-writable), with safe YAML only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from qmsgap.clauses import tables, tablewriter
from qmsgap.clauses.loader import (
    builtin_catalog_ids,
    builtin_themes,
    catalog_from_document,
    load_builtin_catalog,
    load_builtin_crosswalks,
)
from qmsgap.clauses.models import Catalog, Clause, Crosswalk
from qmsgap.clauses.overlay import Overlay, OverlayEntry, apply_overlay, read_overlay
from qmsgap.clauses.validation import DocumentOrigins, Problems, validate_model
from qmsgap.clauses.yamlsource import SourceDocument, parse_yaml, read_yaml_file
from qmsgap.errors import CatalogError, NotFound
from qmsgap.files import write_text_atomic
from qmsgap.settings import Settings

ImportMode = Literal["replace", "overlay"]
ExportFormat = Literal["yaml", "csv", "xlsx"]
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class CatalogInfo(BaseModel):
    """A catalog as ``list_catalogs`` reports it."""

    model_config = ConfigDict(frozen=True)

    id: str
    version: str
    title: str
    origin: Literal["builtin", "imported"]
    shadows_builtin: bool = Field(default=False, description="An import replaces the built-in.")
    licensed_overlay: bool = Field(default=False, description="A licensed overlay is stored.")
    clauses: int
    practices: int


class ImportResult(BaseModel):
    """What an import stored and changed."""

    catalog_id: str
    mode: ImportMode
    stored_at: str
    practices: int
    updated: list[str] = Field(default_factory=list, description="Practices whose text changed.")
    added: list[str] = Field(default_factory=list, description="Practices new to the catalog.")
    unchanged: list[str] = Field(default_factory=list)


# ----------------------------------------------------------------------------- paths


def _store_dir(settings: Settings) -> Path:
    return settings.data_dir / "catalogs"


def _check_id(catalog_id: str) -> str:
    if not _ID.match(catalog_id):
        raise CatalogError(
            f"catalog id '{catalog_id}' is not valid: use lower-case letters, digits, '.', '_' "
            "and '-' (at most 64 characters)"
        )
    return catalog_id


def _catalog_path(settings: Settings, catalog_id: str) -> Path:
    return _store_dir(settings) / _check_id(catalog_id) / "catalog.yaml"


def _overlay_path(settings: Settings, catalog_id: str) -> Path:
    return _store_dir(settings) / _check_id(catalog_id) / "overlay.yaml"


# ----------------------------------------------------------------------------- loading


def _imported_ids(settings: Settings) -> list[str]:
    root = _store_dir(settings)
    if not root.is_dir():
        return []
    return sorted(
        p.name
        for p in root.iterdir()
        if _ID.match(p.name) and ((p / "catalog.yaml").is_file() or (p / "overlay.yaml").is_file())
    )


def _read_stored_catalog(path: Path, catalog_id: str, settings: Settings) -> Catalog:
    document = read_yaml_file(path, max_bytes=settings.catalogs.max_import_bytes)
    catalog, _ = catalog_from_document(document, None, themes=builtin_themes())
    if catalog.id != catalog_id:
        raise CatalogError(f"{path}: id '{catalog.id}' does not match its folder '{catalog_id}'")
    return catalog


def _base_catalog(catalog_id: str, settings: Settings | None) -> Catalog:
    if settings is not None:
        path = _catalog_path(settings, catalog_id)
        if path.is_file():
            return _read_stored_catalog(path, catalog_id, settings)
    return load_builtin_catalog(catalog_id)


def load_catalog(catalog_id: str, settings: Settings | None = None) -> Catalog:
    """The catalog ``catalog_id``.

    Without ``settings`` only built-in catalogs are read (nothing in any data directory). With
    ``settings``, an imported replacement in ``settings.data_dir`` wins over the built-in, and a
    stored licensed overlay is applied when ``settings.catalogs.apply_licensed_overlays`` is on.

    Raises:
        NotFound: if there is no such catalog.
        CatalogError: if its data (built-in, imported or overlay) is invalid.
    """
    if settings is None:
        return load_builtin_catalog(catalog_id)
    path = _catalog_path(settings, catalog_id)
    if not path.is_file() and catalog_id not in builtin_catalog_ids():
        known = sorted(set(builtin_catalog_ids()) | set(_imported_ids(settings)))
        raise NotFound(f"no catalog '{catalog_id}' (known: {', '.join(known)})")
    catalog = _base_catalog(catalog_id, settings)
    overlay_path = _overlay_path(settings, catalog_id)
    if settings.catalogs.apply_licensed_overlays and overlay_path.is_file():
        overlay, document = read_overlay(overlay_path, settings.catalogs.max_import_bytes)
        catalog, _ = apply_overlay(catalog, overlay, document)
    return catalog


def list_catalogs(settings: Settings | None = None) -> list[CatalogInfo]:
    """Built-in catalogs and (with ``settings``) imported ones, sorted by id.

    Raises:
        CatalogError: if a catalog's data is invalid.
    """
    builtin = builtin_catalog_ids()
    ids = sorted(set(builtin) | set(_imported_ids(settings) if settings else []))
    infos: list[CatalogInfo] = []
    for catalog_id in ids:
        imported = settings is not None and _catalog_path(settings, catalog_id).is_file()
        if settings is None and catalog_id not in builtin:
            continue
        if settings is not None and not imported and catalog_id not in builtin:
            continue  # an overlay without a catalog to apply it to; `show` reports it
        catalog = load_catalog(catalog_id, settings)
        infos.append(
            CatalogInfo(
                id=catalog.id,
                version=catalog.version,
                title=catalog.title,
                origin="imported" if imported else "builtin",
                shadows_builtin=imported and catalog_id in builtin,
                licensed_overlay=settings is not None
                and _overlay_path(settings, catalog_id).is_file(),
                clauses=len(catalog.clauses),
                practices=len(catalog.all_practices()),
            )
        )
    return infos


def load_crosswalks(target_catalog_id: str, settings: Settings | None = None) -> list[Crosswalk]:
    """Crosswalks onto ``target_catalog_id`` (built-in crosswalk data; none for a catalog that
    exists only as an import).

    With ``settings`` and an imported replacement catalog, link targets the replacement lacks
    are dropped (and links left without targets), so routing never yields unknown ids.

    Raises:
        NotFound: if there is no built-in catalog ``target_catalog_id``.
        CatalogError: if crosswalk data is invalid.
    """
    if target_catalog_id not in builtin_catalog_ids():
        load_catalog(target_catalog_id, settings)  # NotFound if it does not exist at all
        return []  # crosswalk data exists only for built-in catalogs
    crosswalks = list(load_builtin_crosswalks(target_catalog_id))
    if settings is None or not _catalog_path(settings, target_catalog_id).is_file():
        return crosswalks
    catalog = load_catalog(target_catalog_id, settings)
    filtered: list[Crosswalk] = []
    for crosswalk in crosswalks:
        links = []
        for link in crosswalk.links:
            targets = tuple(t for t in link.targets if catalog.has_id(t))
            if targets:
                links.append(link.model_copy(update={"targets": targets}))
        filtered.append(crosswalk.model_copy(update={"links": tuple(links)}))
    return filtered


# ----------------------------------------------------------------------------- import


def _table_for(path: Path, settings: Settings) -> tables.Table:
    max_bytes = settings.catalogs.max_import_bytes
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return tables.read_csv(path, max_bytes)
    if suffix in (".xlsx", ".xlsm"):
        return tables.read_xlsx(
            path,
            max_bytes,
            max_uncompressed_bytes=settings.limits.max_archive_uncompressed_bytes,
            max_ratio=settings.limits.max_archive_ratio,
        )
    raise CatalogError(f"{path.name}: unsupported file type '{suffix}' (use .yaml, .csv or .xlsx)")


def read_catalog_file(
    path: Path, settings: Settings, *, base_id: str | None = None, catalog_id: str | None = None
) -> Catalog:
    """Read any catalog file (YAML full catalog, CSV or XLSX) into a validated catalog.

    ``catalog_id`` overrides the id; ``base_id`` names the catalog whose metadata (practice
    types, chapters, software types) a CSV uses.

    Raises:
        CatalogError / NotFound: on invalid content or an unknown base.
    """
    max_bytes = settings.catalogs.max_import_bytes
    if path.suffix.lower() in (".yaml", ".yml"):
        document = read_yaml_file(path, path.name, max_bytes=max_bytes)
        data = document.data
        if isinstance(data, Mapping) and "clauses" not in data and "practices" in data:
            raise CatalogError(
                f"{path.name}: this is an overlay (a 'practices' list), not a full catalog; "
                "import it with --mode overlay"
            )
        if isinstance(data, Mapping) and catalog_id and data.get("id") != catalog_id:
            data = {**data, "id": catalog_id}
            document = SourceDocument(document.name, data, document.lines)
        catalog, raw = catalog_from_document(
            document, None, themes=builtin_themes(), max_bytes=max_bytes
        )
        return _mark_licensed(catalog, raw)
    table = _table_for(path, settings)
    wanted = catalog_id or table.meta.get("id") or base_id
    if not wanted:
        raise CatalogError(f"{path.name}: name the catalog with --id (no 'catalog' sheet)")
    base_name = base_id or wanted
    base: Catalog | None = None
    if not (table.meta and table.practice_types):
        base = load_catalog(base_name, settings)
    return tables.catalog_from_table(
        table, base, catalog_id=_check_id(wanted), themes=builtin_themes()
    )


def _mark_licensed(catalog: Catalog, raw: Mapping[str, Any]) -> Catalog:
    """Practices (and the catalog) without an explicit ``source`` in the file become licensed."""
    raw_clauses = raw.get("clauses") or []
    clauses: list[Clause] = []
    for ci, clause in enumerate(catalog.clauses):
        raw_practices: list[Any] = []
        if ci < len(raw_clauses) and isinstance(raw_clauses[ci], Mapping):
            raw_practices = list(raw_clauses[ci].get("practices") or [])
        practices = []
        for pi, practice in enumerate(clause.practices):
            given = (
                pi < len(raw_practices)
                and isinstance(raw_practices[pi], Mapping)
                and ("source" in raw_practices[pi])
            )
            practices.append(
                practice if given else practice.model_copy(update={"source": "licensed"})
            )
        clauses.append(clause.model_copy(update={"practices": tuple(practices)}))
    update: dict[str, Any] = {"clauses": tuple(clauses)}
    if "source" not in raw:
        update["source"] = "licensed"
    return catalog.model_copy(update=update)


def _overlay_from_file(path: Path, settings: Settings, catalog_id: str) -> Overlay:
    max_bytes = settings.catalogs.max_import_bytes
    entries: list[OverlayEntry] = []
    if path.suffix.lower() in (".yaml", ".yml"):
        document = read_yaml_file(path, path.name, max_bytes=max_bytes)
        data = document.data
        if isinstance(data, Mapping) and "clauses" in data:
            catalog, _ = catalog_from_document(
                document, None, themes=builtin_themes(), max_bytes=max_bytes
            )
            for clause, practice in catalog.iter_practices():
                entries.append(
                    OverlayEntry(
                        id=practice.id,
                        requirement=practice.requirement,
                        title=practice.title,
                        clause_id=clause.id,
                        type=practice.type,
                    )
                )
        else:
            problems = Problems()
            raw = dict(data) if isinstance(data, Mapping) else data
            if isinstance(raw, dict):
                raw.setdefault("overlay_for", catalog_id)
            overlay = validate_model(
                Overlay, raw, DocumentOrigins(document), (), problems, kind_of_root="overlay"
            )
            problems.raise_if_any(f"overlay {path.name}")
            assert overlay is not None
            entries = list(overlay.practices)
    else:
        table = _table_for(path, settings)
        tables.check_columns(table, tables.REQUIRED_OVERLAY_COLUMNS)
        problems = Problems()
        for row in table.rows:
            where = table.location(row)
            practice_id, text = row.get("practice_id"), row.get("requirement")
            if not practice_id:
                problems.add(where, None, "practice_id is empty")
                continue
            if not text:
                problems.add(
                    where, f"practice '{practice_id}'", "requirement (the licensed text) is empty"
                )
                continue
            entries.append(
                OverlayEntry(
                    id=practice_id,
                    requirement=text,
                    title=row.get("title") or None,
                    clause_id=row.get("clause_id") or None,
                    type=row.get("type") or None,
                )
            )
        problems.raise_if_any(f"overlay from {table.name}")
    if not entries:
        raise CatalogError(f"{path.name}: no practices to import")
    return Overlay(
        overlay_for=catalog_id,
        imported_from=path.name,
        imported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        practices=tuple(entries),
    )


def import_catalog(
    path: Path,
    settings: Settings,
    *,
    mode: ImportMode = "overlay",
    catalog_id: str | None = None,
    base_id: str | None = None,
) -> ImportResult:
    """Import a licensed catalog file into ``settings.data_dir / "catalogs"``.

    ``overlay`` (default): licensed requirement texts replace the catalog's paraphrases practice
    by practice (``catalog_id`` defaults to ``asqms``); a later overlay import merges into the
    stored one. ``replace``: the file becomes the whole catalog ``catalog_id``.

    Raises:
        CatalogError: on any invalid content (nothing is stored then), or when a replacement
            is imported while an overlay for the same id exists (remove it first).
        NotFound: if an overlay targets an unknown catalog.
    """
    if mode == "replace":
        catalog = read_catalog_file(path, settings, base_id=base_id, catalog_id=catalog_id)
        overlay_path = _overlay_path(settings, catalog.id)
        if overlay_path.is_file():
            raise CatalogError(
                f"a licensed overlay is stored for '{catalog.id}'; remove it first "
                f"(qmsgap catalog remove {catalog.id} --overlay) so its texts are not lost silently"
            )
        target = _catalog_path(settings, catalog.id)
        write_text_atomic(target, catalog_yaml(catalog))
        return ImportResult(
            catalog_id=catalog.id,
            mode="replace",
            stored_at=str(target),
            practices=len(catalog.all_practices()),
            added=[p.id for p in catalog.all_practices()],
        )
    wanted = _check_id(catalog_id or "asqms")
    base = _base_catalog(wanted, settings)
    before = {p.id: p.requirement for p in load_catalog(wanted, settings).all_practices()}
    incoming = _overlay_from_file(path, settings, wanted)
    merged = incoming
    target = _overlay_path(settings, wanted)
    if target.is_file():  # merge with the stored overlay: the new file wins practice by practice
        stored, _ = read_overlay(target, settings.catalogs.max_import_bytes)
        entries = {e.id: e for e in stored.practices}
        entries.update({e.id: e for e in incoming.practices})
        merged = incoming.model_copy(update={"practices": tuple(entries.values())})
    after, _ = apply_overlay(base, merged)  # raises before anything is written
    text = yaml.safe_dump(
        merged.model_dump(mode="json", exclude_none=True),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    parse_yaml(text, str(target))  # what we store must read back
    write_text_atomic(target, text)
    now = {p.id: p.requirement for p in after.all_practices()}
    ids = [e.id for e in incoming.practices]
    return ImportResult(
        catalog_id=wanted,
        mode="overlay",
        stored_at=str(target),
        practices=len(ids),
        updated=[i for i in ids if i in before and before[i] != now[i]],
        added=[i for i in ids if i not in before],
        unchanged=[i for i in ids if i in before and before[i] == now[i]],
    )


def remove_import(catalog_id: str, settings: Settings, *, overlay: bool) -> Path:
    """Delete a stored import (the replacement catalog, or with ``overlay`` the overlay).

    Raises:
        NotFound: if nothing of that kind is stored for ``catalog_id``.
    """
    path = _overlay_path(settings, catalog_id) if overlay else _catalog_path(settings, catalog_id)
    if not path.is_file():
        kind = "overlay" if overlay else "imported catalog"
        raise NotFound(f"no {kind} stored for '{catalog_id}'")
    path.unlink()
    if not any(path.parent.iterdir()):
        path.parent.rmdir()
    return path


# ----------------------------------------------------------------------------- export


def catalog_yaml(catalog: Catalog) -> str:
    """The single-file YAML form of ``catalog`` (clauses inline), readable by the importer."""
    data = catalog.model_dump(mode="json", exclude_none=True)
    header = (
        f"# Catalog '{catalog.id}' version {catalog.version}, exported by qmsgap.\n"
        "# Requirement texts with source 'builtin' are qmsgap's own paraphrases.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def export_catalog(catalog: Catalog, path: Path, fmt: ExportFormat) -> Path:
    """Write ``catalog`` to ``path`` as YAML, CSV or XLSX.

    Raises:
        CatalogError: if the format is unknown.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "yaml":
        write_text_atomic(path, catalog_yaml(catalog))
    elif fmt == "csv":
        tablewriter.write_csv(catalog, path)
    elif fmt == "xlsx":
        tablewriter.write_xlsx(catalog, path)
    else:
        raise CatalogError(f"unknown export format '{fmt}' (yaml, csv, xlsx)")
    return path


def stored_overlay_ids(settings: Settings) -> list[str]:
    """Ids with a stored licensed overlay."""
    return [i for i in _imported_ids(settings) if _overlay_path(settings, i).is_file()]
