"""Writing catalogs as CSV and XLSX in the columns of :mod:`qmsgap.clauses.tables`.

Every XLSX cell is written as text (type 's'), so a value starting with '=' can never become a
formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from qmsgap.clauses.evidence_terms import format_evidence_terms
from qmsgap.clauses.models import Catalog, Reference
from qmsgap.clauses.tables import PRACTICE_COLUMNS


def format_references(references: Iterable[Reference]) -> str:
    return "\n".join(
        " | ".join([r.standard, r.clause] + ([r.note] if r.note else [])) for r in references
    )


def catalog_rows(catalog: Catalog) -> list[dict[str, str]]:
    """One row per practice with every column of :data:`PRACTICE_COLUMNS`."""
    titles = {c.id: c.title for c in catalog.chapters}
    rows: list[dict[str, str]] = []
    for clause, practice in catalog.iter_practices():
        rows.append(
            {
                "chapter": clause.chapter,
                "chapter_title": titles.get(clause.chapter, ""),
                "clause_id": clause.id,
                "clause_title": clause.title,
                "clause_title_known": str(clause.title_known).lower(),
                "clause_purpose": clause.purpose,
                "clause_tailorable": str(clause.tailorable).lower(),
                "clause_tailoring_rationale": clause.tailoring_rationale or "",
                "clause_references": format_references(clause.references),
                "clause_notes": clause.notes or "",
                "practice_id": practice.id,
                "type": practice.type,
                "title": practice.title,
                "requirement": practice.requirement,
                "expected_evidence": "\n".join(practice.expected_evidence),
                "keywords": "\n".join(practice.keywords),
                "evidence_terms": format_evidence_terms(practice.evidence_terms),
                "references": format_references(practice.references),
                "themes": "\n".join(practice.themes),
                "official": str(practice.official).lower(),
                "source": practice.source,
                "notes": practice.notes or "",
            }
        )
    return rows


def write_csv(catalog: Catalog, path: Path) -> None:
    """Write the practice rows as UTF-8 CSV (comma-separated, RFC 4180 quoting)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PRACTICE_COLUMNS))
        writer.writeheader()
        writer.writerows(catalog_rows(catalog))


def write_xlsx(catalog: Catalog, path: Path) -> None:
    """Write a self-contained workbook: sheets catalog, practice_types, chapters, practices.
    Every cell is written as text (type 's'), so nothing can turn into a formula."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    meta = {
        "id": catalog.id,
        "version": catalog.version,
        "title": catalog.title,
        "publisher": catalog.publisher,
        "description": catalog.description,
        "software_types": "\n".join(catalog.software_types),
        "notes": catalog.notes or "",
        "source": catalog.source,
    }
    sheets: list[tuple[str, list[str], list[list[str]]]] = [
        ("catalog", ["key", "value"], [[k, v] for k, v in meta.items()]),
        (
            "practice_types",
            ["key", "name", "obligation"],
            [
                [r.key, r.name, "\n".join(f"{k}={v.value}" for k, v in r.obligation.items())]
                for r in catalog.practice_types
            ],
        ),
        ("chapters", ["id", "title"], [[c.id, c.title] for c in catalog.chapters]),
    ]
    practice_rows = catalog_rows(catalog)
    sheets.append(
        (
            "practices",
            list(PRACTICE_COLUMNS),
            [[row[c] for c in PRACTICE_COLUMNS] for row in practice_rows],
        )
    )
    from openpyxl.cell import WriteOnlyCell

    for title, header, body in sheets:
        sheet = workbook.create_sheet(title)
        for values in [header, *body]:
            cells = []
            for value in values:
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            sheet.append(cells)
    workbook.save(path)
