"""Catalogs as tables: reading and writing the CSV and XLSX forms (columns in
docs/catalog-format.md).

One row per practice. Clause and chapter attributes repeat on every row of the clause (the first
non-empty value counts; a different non-empty value later is an error). List cells hold one item
per line (or items separated by ";" when the cell has no line break); a reference is
``standard | clause | note``; evidence terms read ``tool | compiler ; validation | qualif*``.
XLSX workbooks may add sheets ``catalog`` (key/value rows), ``practice_types`` and ``chapters``
so they are complete on their own; a CSV file takes that metadata from a base catalog.

Files are data: CSV through the ``csv`` module, XLSX through openpyxl in read-only mode. A
workbook cell holding a formula is refused (we never evaluate anything); written strings are
stored as text, never as formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qmsgap.clauses.evidence_terms import parse_evidence_terms
from qmsgap.clauses.models import Catalog, Chapter, Clause, Practice, PracticeTypeRule, Reference
from qmsgap.clauses.validation import Problems, check_catalog, subject_at
from qmsgap.clauses.yamlsource import DataPath, Location
from qmsgap.errors import CatalogError

PRACTICE_COLUMNS = (
    "chapter",
    "chapter_title",
    "clause_id",
    "clause_title",
    "clause_title_known",
    "clause_purpose",
    "clause_tailorable",
    "clause_tailoring_rationale",
    "clause_references",
    "clause_notes",
    "practice_id",
    "type",
    "title",
    "requirement",
    "expected_evidence",
    "keywords",
    "evidence_terms",
    "references",
    "themes",
    "official",
    "source",
    "notes",
)
REQUIRED_OVERLAY_COLUMNS = ("practice_id", "requirement")
REQUIRED_FULL_COLUMNS = ("clause_id", "practice_id", "type", "title", "requirement")
CATALOG_KEYS = (
    "id",
    "version",
    "title",
    "publisher",
    "description",
    "software_types",
    "notes",
    "source",
)
MAX_ROWS = 20_000

_PRACTICE_LISTS = {"expected_evidence", "keywords", "themes"}
_TRUE = {"true", "yes", "y", "1", "x", "ja", "wahr"}
_FALSE = {"false", "no", "n", "0", "", "nein", "falsch"}


@dataclass
class Row:
    """One table row: its line (CSV) or row number (XLSX) and its cells by column name."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()


@dataclass
class Table:
    """A catalog file read as rows, plus optional metadata sheets (XLSX)."""

    name: str
    columns: tuple[str, ...]
    rows: list[Row]
    meta: dict[str, str] = field(default_factory=dict)
    practice_types: list[Row] | None = None
    chapters: list[Row] | None = None

    def location(self, row: Row) -> Location:
        return Location(self.name, row.line)


# ----------------------------------------------------------------------------- reading


def _normalise_header(value: object) -> str:
    return str(value or "").strip().lower().replace(" ", "_").replace("-", "_")


def _rows_from_matrix(
    name: str, matrix: Sequence[Sequence[object]], lines: Sequence[int] | None = None
) -> tuple[tuple[str, ...], list[Row]]:
    """Header and rows of a matrix; ``lines[i]`` is the line of ``matrix[i]`` (default i+1)."""
    if not matrix:
        raise CatalogError(f"{name}: the file is empty (expected a header row)")
    line_of = list(lines) if lines is not None else list(range(1, len(matrix) + 1))
    header = tuple(_normalise_header(h) for h in matrix[0])
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            raise CatalogError(f"{name}:{line_of[0]}: duplicate column '{column}'")
        seen.add(column)
    rows: list[Row] = []
    for index in range(1, len(matrix)):
        values = matrix[index]
        cells = {
            header[i]: ("" if v is None else str(v))
            for i, v in enumerate(values)
            if i < len(header) and header[i]
        }
        if not any(v.strip() for v in cells.values()):
            continue  # blank line
        if len(rows) >= MAX_ROWS:
            raise CatalogError(f"{name}: more than {MAX_ROWS} rows")
        rows.append(Row(line_of[index], cells))
    return header, rows


def read_csv(path: Path, max_bytes: int) -> Table:
    """Read a CSV catalog (UTF-8, optional BOM; delimiter , ; or tab detected from the header).

    Raises:
        CatalogError: if the file is too large, not UTF-8 or not CSV.
    """
    data = _read_bytes(path, max_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"{path.name}: not UTF-8 text (byte {exc.start}); save the file as 'CSV UTF-8'"
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    matrix: list[list[str]] = []
    lines: list[int] = []
    try:
        previous = 0
        for record in reader:
            lines.append(previous + 1)  # a quoted cell may span lines: keep the record's start
            previous = reader.line_num
            matrix.append(record)
    except csv.Error as exc:
        raise CatalogError(f"{path.name}:{reader.line_num}: not valid CSV ({exc})") from None
    columns, rows = _rows_from_matrix(path.name, matrix, lines)
    return Table(path.name, columns, rows)


def read_xlsx(
    path: Path,
    max_bytes: int,
    *,
    max_uncompressed_bytes: int = 500 * 1024 * 1024,
    max_ratio: float = 200.0,
) -> Table:
    """Read an XLSX catalog: sheet ``practices`` (or the first sheet) plus the optional
    ``catalog``, ``practice_types`` and ``chapters`` sheets.

    Raises:
        CatalogError: if the file is too large (packed, unpacked, or by compression ratio),
            not a workbook, or a cell holds a formula.
    """
    import zipfile

    import openpyxl

    packed = len(_read_bytes(path, max_bytes))
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise CatalogError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    if unpacked > max_uncompressed_bytes or unpacked > max_ratio * max(packed, 1):
        raise CatalogError(
            f"{path.name}: the workbook unpacks to {unpacked} bytes from {packed} "
            f"(limits: {max_uncompressed_bytes} bytes, ratio {max_ratio:g}); refused"
        )
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise CatalogError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    try:
        names = {name.strip().lower(): name for name in workbook.sheetnames}
        main = names.get("practices", workbook.sheetnames[0])

        def matrix(sheet_name: str) -> list[tuple[object, ...]]:
            sheet = workbook[sheet_name]
            values: list[tuple[object, ...]] = []
            for r_index, row in enumerate(sheet.iter_rows(), start=1):
                if r_index > MAX_ROWS + 1:
                    raise CatalogError(f"{path.name}[{sheet_name}]: more than {MAX_ROWS} rows")
                cells: list[object] = []
                for cell in row:
                    value = getattr(cell, "value", None)
                    if getattr(cell, "data_type", None) == "f" or (
                        isinstance(value, str)
                        and value.startswith("=")
                        and len(value) > 1
                        and getattr(cell, "data_type", None) != "s"
                    ):
                        ref = getattr(cell, "coordinate", f"row {r_index}")
                        raise CatalogError(
                            f"{path.name}[{sheet_name}]!{ref}: cell holds a formula; formulas "
                            "are not evaluated - paste the values instead"
                        )
                    cells.append(value)
                values.append(tuple(cells))
            return values

        label = f"{path.name}[{main}]"
        columns, rows = _rows_from_matrix(label, matrix(main))
        table = Table(label, columns, rows)
        if "catalog" in names:
            _, meta_rows = _rows_from_matrix(f"{path.name}[catalog]", matrix(names["catalog"]))
            for row in meta_rows:
                key, value = row.get("key"), row.get("value")
                if key:
                    table.meta[key.strip().lower()] = value
        if "practice_types" in names:
            _, table.practice_types = _rows_from_matrix(
                f"{path.name}[practice_types]", matrix(names["practice_types"])
            )
        if "chapters" in names:
            _, table.chapters = _rows_from_matrix(
                f"{path.name}[chapters]", matrix(names["chapters"])
            )
        return table
    finally:
        workbook.close()


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise CatalogError(f"{path.name}: file is {size} bytes, the limit is {max_bytes}")
        return path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise CatalogError(f"{path}: is a directory, expected a file") from None


# ----------------------------------------------------------------------------- cells


def split_list(value: str) -> tuple[str, ...]:
    """Items of a list cell: one per line, or separated by ';' when the cell has no line break."""
    parts = value.splitlines() if "\n" in value else value.split(";")
    return tuple(p.strip() for p in parts if p.strip())


def parse_references(
    value: str, where: Location, problems: Problems, subject: str
) -> list[Reference]:
    """References from a cell: items ``standard | clause | note`` (note optional)."""
    references: list[Reference] = []
    for item in split_list(value):
        parts = [p.strip() for p in item.split("|")]
        if len(parts) < 2 or not parts[0] or not parts[1] or len(parts) > 3:
            problems.add(
                where,
                subject,
                f"reference '{item}' must read 'standard | clause' or 'standard | clause | note'",
            )
            continue
        note = parts[2] if len(parts) == 3 and parts[2] else None
        references.append(Reference(standard=parts[0], clause=parts[1], note=note))
    return references


def parse_bool(value: str, where: Location, problems: Problems, subject: str, column: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    problems.add(where, subject, f"{column}: '{value}' is not true/false")
    return False


# ----------------------------------------------------------------------------- building


@dataclass
class TableOrigins:
    """Origins for a catalog built from a table: practices and clauses map to their rows."""

    default: Location
    clauses: dict[int, Location] = field(default_factory=dict)
    practices: dict[tuple[int, int], Location] = field(default_factory=dict)
    header: dict[str, Location] = field(default_factory=dict)

    def location(self, path: DataPath) -> Location:
        if len(path) >= 4 and path[0] == "clauses" and path[2] == "practices":
            key = (path[1], path[3])
            if isinstance(key[0], int) and isinstance(key[1], int) and key in self.practices:
                return self.practices[key]
        if len(path) >= 2 and path[0] == "clauses" and isinstance(path[1], int):
            return self.clauses.get(path[1], self.default)
        if path and isinstance(path[0], str) and path[0] in self.header:
            return self.header[path[0]]
        return self.default


def check_columns(table: Table, required: Sequence[str]) -> None:
    """Raises CatalogError naming missing and unknown columns."""
    missing = [c for c in required if c not in table.columns]
    unknown = [c for c in table.columns if c and c not in PRACTICE_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if unknown:
            parts.append(f"unknown column(s) {unknown}")
        raise CatalogError(
            f"{table.name}:1: " + "; ".join(parts) + f" (columns: {', '.join(PRACTICE_COLUMNS)})"
        )


def _practice_from_row(
    table: Table, row: Row, problems: Problems, default_source: str
) -> dict[str, Any]:
    where = table.location(row)
    subject = f"practice '{row.get('practice_id')}'"
    raw: dict[str, Any] = {
        "id": row.get("practice_id"),
        "type": row.get("type"),
        "title": row.get("title"),
        "requirement": row.get("requirement"),
        "source": row.get("source") or default_source,
    }
    for column in _PRACTICE_LISTS:
        if column in row.cells:
            raw[column] = split_list(row.cells[column])
    if "evidence_terms" in row.cells:
        raw["evidence_terms"] = parse_evidence_terms(row.cells["evidence_terms"])
    if row.get("references"):
        raw["references"] = parse_references(row.cells["references"], where, problems, subject)
    if "official" in row.cells:
        raw["official"] = parse_bool(row.cells["official"], where, problems, subject, "official")
    if row.get("notes"):
        raw["notes"] = row.get("notes")
    return raw


def catalog_from_table(
    table: Table,
    base: Catalog | None,
    *,
    catalog_id: str,
    themes: frozenset[str] | None,
    default_source: str = "licensed",
) -> Catalog:
    """A full catalog from a table; metadata from the workbook's sheets, else from ``base``.

    Raises:
        CatalogError: listing every problem with file and row.
    """
    check_columns(table, REQUIRED_FULL_COLUMNS)
    problems = Problems()
    origins = TableOrigins(Location(table.name, 1))
    header = _catalog_header(table, base, catalog_id, problems)
    chapters: dict[str, Chapter] = {c.id: c for c in header.chapters}
    clause_raw: dict[str, dict[str, Any]] = {}
    clause_practices: dict[str, list[tuple[Row, dict[str, Any]]]] = {}
    for row in table.rows:
        clause_id = row.get("clause_id")
        where = table.location(row)
        if not clause_id:
            problems.add(where, f"practice '{row.get('practice_id')}'", "clause_id is empty")
            continue
        attributes = clause_raw.setdefault(
            clause_id, {"id": clause_id, "__line": where, "chapter": "", "title": ""}
        )
        _merge_clause_cells(attributes, row, where, problems)
        chapter_id = row.get("chapter")
        if chapter_id and chapter_id not in chapters:
            chapters[chapter_id] = Chapter(
                id=chapter_id, title=row.get("chapter_title") or chapter_id
            )
        clause_practices.setdefault(clause_id, []).append(
            (row, _practice_from_row(table, row, problems, default_source))
        )
    clauses: list[Clause] = []
    base_clauses = {c.id: c for c in base.clauses} if base else {}
    for ci, (clause_id, attributes) in enumerate(clause_raw.items()):
        origins.clauses[ci] = attributes.pop("__line")
        inherited = base_clauses.get(clause_id)
        if not attributes.get("chapter") and inherited:
            attributes["chapter"] = inherited.chapter
        if not attributes.get("title") and inherited:
            attributes["title"] = inherited.title
        practices: list[Practice] = []
        for pi, (row, raw) in enumerate(clause_practices[clause_id]):
            origins.practices[(ci, pi)] = table.location(row)
            practice = _validate(Practice, raw, table.location(row), problems, "practice")
            if practice is not None:
                practices.append(practice)
        attributes["practices"] = practices
        clause = _validate(Clause, attributes, origins.clauses[ci], problems, "clause")
        if clause is not None:
            clauses.append(clause)
    problems.raise_if_any(f"catalog '{catalog_id}' from {table.name}")
    any_licensed = any(p.source == "licensed" for c in clauses for p in c.practices)
    source = table.meta.get("source") or ("licensed" if any_licensed else "builtin")
    if source not in ("builtin", "licensed"):
        problems.add(
            Location(table.name), None, f"catalog source '{source}' is not builtin/licensed"
        )
        source = "licensed"
    catalog = header.model_copy(
        update={
            "clauses": tuple(clauses),
            "chapters": tuple(chapters.values()),
            "source": source,
        }
    )
    check_catalog(catalog, origins, problems, themes=themes)
    problems.raise_if_any(f"catalog '{catalog_id}' from {table.name}")
    return catalog


def _merge_clause_cells(
    attributes: dict[str, Any], row: Row, where: Location, problems: Problems
) -> None:
    subject = f"clause '{attributes['id']}'"
    simple = {
        "chapter": "chapter",
        "clause_title": "title",
        "clause_purpose": "purpose",
        "clause_tailoring_rationale": "tailoring_rationale",
        "clause_notes": "notes",
    }
    for column, key in simple.items():
        value = row.get(column)
        if not value:
            continue
        if attributes.get(key) and attributes[key] != value:
            problems.add(
                where,
                subject,
                f"{column} '{value}' differs from the value given earlier ('{attributes[key]}')",
            )
        else:
            attributes[key] = value
    for column, key in (("clause_title_known", "title_known"), ("clause_tailorable", "tailorable")):
        if row.get(column) and key not in attributes:
            attributes[key] = parse_bool(row.cells[column], where, problems, subject, column)
    if row.get("clause_references") and "references" not in attributes:
        attributes["references"] = parse_references(
            row.cells["clause_references"], where, problems, subject
        )


def _validate(
    model: type[Practice] | type[Clause],
    raw: Mapping[str, Any],
    where: Location,
    problems: Problems,
    kind: str,
) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            if kind == "clause" and loc and loc[0] == "practices":
                continue  # practices were validated (and reported) on their own rows
            column = _column_name(kind, loc)
            subject = subject_at(raw, loc, kind) or f"{kind} '{raw.get('id', '')}'"
            message = "is empty" if error["type"] == "string_too_short" else error["msg"]
            problems.add(where, subject, f"{column}: {message}")
        return None


def _column_name(kind: str, loc: tuple[Any, ...]) -> str:
    name = str(loc[0]) if loc else ""
    if kind == "practice":
        return {"id": "practice_id"}.get(name, name)
    return {"id": "clause_id", "title": "clause_title", "purpose": "clause_purpose"}.get(
        name, f"clause_{name}" if name else "clause"
    )


def _catalog_header(
    table: Table, base: Catalog | None, catalog_id: str, problems: Problems
) -> Catalog:
    meta = dict(table.meta)
    where = Location(table.name, None)
    if base is None and not (meta and table.practice_types):
        raise CatalogError(
            f"{table.name}: a CSV (or a workbook without 'catalog' and 'practice_types' sheets) "
            "carries no catalog metadata; import it with --base CATALOG to take practice types, "
            "chapters and software types from that catalog"
        )
    practice_types = base.practice_types if base else ()
    if table.practice_types is not None:
        practice_types = tuple(_practice_type_rows(table, problems))
    chapters = base.chapters if base else ()
    if table.chapters is not None:
        chapters = tuple(
            Chapter(id=r.get("id"), title=r.get("title") or r.get("id"))
            for r in table.chapters
            if r.get("id")
        )
    software_types = (
        split_list(meta["software_types"])
        if meta.get("software_types")
        else (base.software_types if base else ("default",))
    )
    if meta.get("id") and meta["id"] != catalog_id:
        problems.add(
            where, None, f"catalog sheet names id '{meta['id']}', importing as '{catalog_id}'"
        )
    return Catalog(
        id=catalog_id,
        version=meta.get("version") or (base.version if base else "imported"),
        title=meta.get("title") or (base.title if base else catalog_id),
        publisher=meta.get("publisher", base.publisher if base else ""),
        description=meta.get("description", base.description if base else ""),
        software_types=software_types,
        practice_types=practice_types,
        chapters=chapters,
        clauses=(),
        source="licensed",
        notes=meta.get("notes") or (base.notes if base else None),
    )


def _practice_type_rows(table: Table, problems: Problems) -> list[PracticeTypeRule]:
    rules: list[PracticeTypeRule] = []
    for row in table.practice_types or []:
        obligation: dict[str, str] = {}
        for item in split_list(row.get("obligation")):
            key, _, value = item.partition("=")
            obligation[key.strip()] = value.strip()
        try:
            rules.append(
                PracticeTypeRule.model_validate(
                    {"key": row.get("key"), "name": row.get("name"), "obligation": obligation}
                )
            )
        except ValueError as exc:
            problems.add(
                Location(f"{table.name.split('[')[0]}[practice_types]", row.line),
                f"practice type '{row.get('key')}'",
                str(exc).splitlines()[0],
            )
    return rules
