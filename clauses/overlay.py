"""Licensed overlays: official requirement texts applied practice by practice.

An overlay names, per practice id, the licensed requirement text (and optionally the title).
Applied to a catalog, it replaces those texts, marks the practices ``source: licensed`` and keeps
everything else (evidence, keywords, references, themes). A practice the catalog lacks is added
when the entry names an existing clause, a type and a title.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from qmsgap.clauses.loader import builtin_themes
from qmsgap.clauses.models import Catalog, Clause, Practice
from qmsgap.clauses.validation import DocumentOrigins, Problems, check_catalog, validate_model
from qmsgap.clauses.yamlsource import DataPath, Location, SourceDocument, read_yaml_file


class OverlayEntry(BaseModel):
    """One practice's licensed text. ``clause_id`` and ``type`` are needed only for practices
    the base catalog does not have."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    requirement: str = Field(min_length=1)
    title: str | None = None
    clause_id: str | None = None
    type: str | None = None


class Overlay(BaseModel):
    """Licensed requirement texts for one catalog."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    overlay_for: str
    imported_from: str = ""
    imported_at: str = ""
    practices: tuple[OverlayEntry, ...]


@dataclass
class OverlayChanges:
    """What applying an overlay changed, by practice id."""

    updated: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def read_overlay(path: Path, max_bytes: int | None = None) -> tuple[Overlay, SourceDocument]:
    """Read a stored overlay file.

    Raises:
        CatalogError: if the file is not a valid overlay (with line numbers).
    """
    document = read_yaml_file(path, max_bytes=max_bytes)
    problems = Problems()
    overlay = validate_model(
        Overlay, document.data, DocumentOrigins(document), (), problems, kind_of_root="overlay"
    )
    problems.raise_if_any(f"overlay {path}")
    assert overlay is not None
    return overlay, document


def apply_overlay(
    base: Catalog, overlay: Overlay, document: SourceDocument | None = None
) -> tuple[Catalog, OverlayChanges]:
    """``base`` with the overlay's texts applied (source: licensed), and what changed.

    Raises:
        CatalogError: if a new practice names no existing clause or no type, or the result
            fails validation (located in the overlay file when ``document`` is given).
    """
    name = document.name if document else f"overlay for '{base.id}'"
    problems = Problems()
    entries: dict[str, tuple[int, OverlayEntry]] = {}
    for index, entry in enumerate(overlay.practices):
        where = document.location(("practices", index)) if document else Location(name)
        if entry.id in entries:
            problems.add(where, f"practice '{entry.id}'", "listed twice in the overlay")
        entries[entry.id] = (index, entry)
    known = {p.id for _, p in base.iter_practices()}
    clause_ids = {c.id for c in base.clauses}
    new_by_clause: dict[str, list[Practice]] = {}
    updated: list[str] = []
    unchanged: list[str] = []
    added: list[str] = []
    for practice_id, (index, entry) in entries.items():
        if practice_id in known:
            continue
        where = document.location(("practices", index)) if document else Location(name)
        if not entry.clause_id or entry.clause_id not in clause_ids:
            problems.add(
                where,
                f"practice '{practice_id}'",
                f"not in catalog '{base.id}'; a new practice needs an existing clause_id "
                f"(got {entry.clause_id!r})",
            )
            continue
        if not entry.type or not entry.title:
            problems.add(where, f"practice '{practice_id}'", "a new practice needs type and title")
            continue
        new_by_clause.setdefault(entry.clause_id, []).append(
            Practice(
                id=practice_id,
                type=entry.type,
                title=entry.title,
                requirement=entry.requirement,
                source="licensed",
            )
        )
        added.append(practice_id)
    problems.raise_if_any(f"overlay for catalog '{base.id}'")

    clauses: list[Clause] = []
    for clause in base.clauses:
        practices: list[Practice] = []
        for practice in clause.practices:
            hit = entries.get(practice.id)
            if hit is None:
                practices.append(practice)
                continue
            entry = hit[1]
            changed = practice.model_copy(
                update={
                    "requirement": entry.requirement,
                    "title": entry.title or practice.title,
                    "source": "licensed",
                }
            )
            (updated if changed.requirement != practice.requirement else unchanged).append(
                practice.id
            )
            practices.append(changed)
        practices.extend(new_by_clause.get(clause.id, []))
        clauses.append(clause.model_copy(update={"practices": tuple(practices)}))
    result = base.model_copy(update={"clauses": tuple(clauses)})

    class _OverlayOrigins:
        def location(self, path: DataPath) -> Location:
            if len(path) >= 4 and path[0] == "clauses" and path[2] == "practices":
                ci, pi = path[1], path[3]
                if isinstance(ci, int) and isinstance(pi, int):
                    practice_id = result.clauses[ci].practices[pi].id
                    if practice_id in entries and document is not None:
                        return document.location(("practices", entries[practice_id][0]))
            return Location(name)

    check_catalog(result, _OverlayOrigins(), problems, themes=builtin_themes())
    problems.raise_if_any(f"catalog '{base.id}' with overlay")
    return result, OverlayChanges(updated=updated, added=added, unchanged=unchanged)
