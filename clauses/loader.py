"""Reading catalogs and crosswalks from YAML, built-in or from any path.

A catalog source is either a directory holding ``catalog.yaml`` or a single YAML file. The root
mapping holds the catalog's fields; its clauses are listed inline under ``clauses`` and/or in the
files named by ``include`` (relative to the root file), each a mapping with a ``clauses`` list.
Built-in data lives in the package (``qmsgap/clauses/data``): ``catalogs/<id>/``, ``crosswalks/``
and ``themes.yaml``. Built-in reads are cached: the files are part of the installed package.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from qmsgap.clauses.models import Catalog, Clause, Crosswalk
from qmsgap.clauses.validation import (
    DocumentOrigins,
    Problems,
    check_catalog,
    check_crosswalk,
    validate_model,
)
from qmsgap.clauses.yamlsource import SourceDocument, read_yaml_file
from qmsgap.errors import CatalogError, NotFound

DATA_DIR = Path(__file__).resolve().parent / "data"
CATALOG_FILE = "catalog.yaml"
_CATALOG_KEYS_NOT_IN_MODEL = ("include", "clauses")


def builtin_catalog_ids() -> list[str]:
    """Ids of the catalogs shipped with qmsgap, sorted."""
    root = DATA_DIR / "catalogs"
    return sorted(p.name for p in root.iterdir() if (p / CATALOG_FILE).is_file())


def _label(path: Path) -> str:
    """How messages name a file: relative to the package data for built-ins, else as given."""
    try:
        return str(Path("clauses/data") / path.resolve().relative_to(DATA_DIR))
    except ValueError:
        return str(path)


def read_theme_vocabulary(path: Path | None = None) -> dict[str, str]:
    """The controlled theme vocabulary: theme id -> description.

    Raises:
        CatalogError: if the file is malformed.
    """
    source = path or DATA_DIR / "themes.yaml"
    document = read_yaml_file(source, _label(source))
    entries = document.data.get("themes") if isinstance(document.data, Mapping) else None
    if not isinstance(entries, list):
        raise CatalogError(f"{document.location(())}: expected a 'themes' list")
    vocabulary: dict[str, str] = {}
    for index, entry in enumerate(entries):
        if not (
            isinstance(entry, Mapping)
            and isinstance(entry.get("id"), str)
            and isinstance(entry.get("description"), str)
        ):
            raise CatalogError(f"{document.location(('themes', index))}: need id and description")
        if entry["id"] in vocabulary:
            raise CatalogError(f"{document.location(('themes', index))}: duplicate '{entry['id']}'")
        vocabulary[entry["id"]] = entry["description"]
    return vocabulary


@lru_cache(maxsize=1)
def builtin_themes() -> frozenset[str]:
    """Theme ids of the built-in vocabulary (cached)."""
    return frozenset(read_theme_vocabulary())


def read_catalog(
    source: Path,
    *,
    themes: frozenset[str] | None = None,
    max_bytes: int | None = None,
    label: str | None = None,
) -> Catalog:
    """Read and validate a catalog from a directory (with ``catalog.yaml``) or a YAML file.

    ``themes`` is the vocabulary practices' themes must come from (None: not checked).

    Raises:
        CatalogError: listing every problem found, each with file, line and id.
    """
    root_path = source / CATALOG_FILE if source.is_dir() else source
    root = read_yaml_file(root_path, label or _label(root_path), max_bytes=max_bytes)
    catalog, _ = catalog_from_document(root, root_path.parent, themes=themes, max_bytes=max_bytes)
    return catalog


def catalog_from_document(
    root: SourceDocument,
    base_dir: Path | None,
    *,
    themes: frozenset[str] | None = None,
    max_bytes: int | None = None,
) -> tuple[Catalog, Mapping[str, Any]]:
    """Build and validate a catalog from a parsed root document (following ``include``).

    Returns the catalog and the raw root mapping (importers look at which fields were given).

    Raises:
        CatalogError: listing every problem found.
    """
    if not isinstance(root.data, Mapping):
        raise CatalogError(f"{root.location(())}: a catalog file must be a mapping of fields")
    raw = dict(root.data)
    origins = DocumentOrigins(root)
    problems = Problems()
    raw_clauses: list[Any] = []

    inline = raw.get("clauses", [])
    if not isinstance(inline, list):
        problems.add(root.location(("clauses",)), None, "'clauses' must be a list")
        inline = []
    for index, item in enumerate(inline):
        origins.clause_sources.append((root, ("clauses", index)))
        raw_clauses.append(item)

    includes = raw.get("include", [])
    if includes and base_dir is None:
        problems.add(root.location(("include",)), None, "'include' is not allowed here")
        includes = []
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        problems.add(root.location(("include",)), None, "'include' must be a list of file names")
        includes = []
    for index, name in enumerate(includes):
        assert base_dir is not None
        path = (base_dir / name).resolve()
        if path.parent != base_dir.resolve():
            problems.add(
                root.location(("include", index)),
                None,
                f"included file '{name}' must sit next to the catalog file",
            )
            continue
        try:
            document = read_yaml_file(path, _label(path), max_bytes=max_bytes)
        except CatalogError as exc:
            problems.items.append(exc.message)
            continue
        listed = document.data.get("clauses") if isinstance(document.data, Mapping) else None
        if not isinstance(listed, list):
            problems.add(document.location(()), None, "expected a mapping with a 'clauses' list")
            continue
        for clause_index, item in enumerate(listed):
            origins.clause_sources.append((document, ("clauses", clause_index)))
            raw_clauses.append(item)

    header = {k: v for k, v in raw.items() if k not in _CATALOG_KEYS_NOT_IN_MODEL}
    header_model = validate_model(
        Catalog, {**header, "clauses": []}, origins, (), problems, subject_root=raw
    )
    clauses: list[Clause] = []
    for index, item in enumerate(raw_clauses):
        clause = validate_model(
            Clause, item, origins, ("clauses", index), problems, kind_of_root="clause"
        )
        if clause is not None:
            clauses.append(clause)
    catalog_name = f"catalog '{raw.get('id', root.name)}'"
    problems.raise_if_any(catalog_name)
    assert header_model is not None
    catalog = header_model.model_copy(update={"clauses": tuple(clauses)})
    check_catalog(catalog, origins, problems, themes=themes)
    problems.raise_if_any(catalog_name)
    return catalog, raw


@lru_cache(maxsize=16)
def load_builtin_catalog(catalog_id: str) -> Catalog:
    """A built-in catalog, validated (cached; the models are immutable).

    Raises:
        NotFound: if there is no built-in catalog ``catalog_id``.
        CatalogError: if the shipped data is invalid.
    """
    directory = DATA_DIR / "catalogs" / catalog_id
    if not catalog_id or "/" in catalog_id or not (directory / CATALOG_FILE).is_file():
        raise NotFound(
            f"no built-in catalog '{catalog_id}' (built-in: {', '.join(builtin_catalog_ids())})"
        )
    catalog = read_catalog(directory, themes=builtin_themes())
    if catalog.id != catalog_id:
        raise CatalogError(
            f"{_label(directory / CATALOG_FILE)}: id '{catalog.id}' does not match its folder "
            f"'{catalog_id}'"
        )
    return catalog


def read_crosswalk(path: Path, target: Catalog) -> Crosswalk:
    """Read one crosswalk file and check it against its target catalog.

    Raises:
        CatalogError: listing every problem (duplicate sources, dangling targets ...).
    """
    document = read_yaml_file(path, _label(path))
    origins = DocumentOrigins(document)
    problems = Problems()
    crosswalk = validate_model(
        Crosswalk, document.data, origins, (), problems, kind_of_root="crosswalk"
    )
    problems.raise_if_any(f"crosswalk {_label(path)}")
    assert crosswalk is not None
    check_crosswalk(crosswalk, target, origins, problems)
    problems.raise_if_any(f"crosswalk '{crosswalk.id}'")
    return crosswalk


@lru_cache(maxsize=16)
def load_builtin_crosswalks(target_catalog_id: str) -> tuple[Crosswalk, ...]:
    """Every built-in crosswalk onto ``target_catalog_id``, checked against the built-in catalog.

    Raises:
        NotFound: if there is no built-in catalog ``target_catalog_id``.
        CatalogError: if a crosswalk file is invalid.
    """
    target = load_builtin_catalog(target_catalog_id)
    found: list[Crosswalk] = []
    for path in sorted((DATA_DIR / "crosswalks").glob("*.yaml")):
        document = read_yaml_file(path, _label(path))
        if isinstance(document.data, Mapping) and document.data.get("target_catalog") == target.id:
            found.append(read_crosswalk(path, target))
    ids = [c.id for c in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogError(f"clauses/data/crosswalks: duplicate crosswalk ids {duplicates}")
    return tuple(found)
