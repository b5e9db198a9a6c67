"""Excel workbooks (.xlsx): every sheet a section, every row a line with its column headers.

QMS spreadsheets (process maps, RACI, control plans, FMEA) often carry a title block above
the real header row; the header row is the first of the top rows that is filled about as
widely as the table and holds only short text. Rows above it are kept as plain lines.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from qmsgap.errors import CorruptDocument
from qmsgap.ingest.blocks import (
    BlockKind,
    DocumentBuilder,
    RawDocument,
    TextLimitReached,
    clean_text,
)
from qmsgap.ingest.models import DocumentFormat
from qmsgap.ingest.tables import render_rows

_HEADER_SEARCH_ROWS = 20
_MAX_COLUMNS = 200


class XlsxReader:
    """Reads a workbook with openpyxl in read-only mode, values only (cached formula results)."""

    def __init__(self, *, max_chars: int) -> None:
        self.max_chars = max_chars

    def read(self, data: bytes) -> RawDocument:
        """Parse ``data``.

        Raises:
            CorruptDocument: the workbook cannot be opened or a sheet is damaged.
        """
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
        except (InvalidFileException, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            raise CorruptDocument(f"the Excel workbook cannot be opened: {exc}") from exc
        builder = DocumentBuilder(self.max_chars)
        warnings: list[str] = []
        try:
            for sheet in workbook.worksheets:
                try:
                    rows = [_row_values(row) for row in sheet.iter_rows(values_only=True)]
                except (KeyError, ValueError, TypeError, AttributeError) as exc:
                    warnings.append(f"sheet {sheet.title!r} could not be read ({exc})")
                    continue
                self._sheet(builder, str(sheet.title), rows)
        except TextLimitReached:
            pass
        finally:
            properties = _properties(workbook)
            workbook.close()
        raw = builder.finish(DocumentFormat.XLSX)
        raw.properties = properties
        raw.warnings = warnings + raw.warnings
        return raw

    @staticmethod
    def _sheet(builder: DocumentBuilder, title: str, rows: list[list[str]]) -> None:
        rows = _trim(rows)
        if not rows:
            return
        builder.add(title, BlockKind.HEADING, level=1, gap=True)
        header_at = _header_row(rows)
        group = builder.new_group()
        for row in rows[: header_at if header_at is not None else 0]:
            line = " | ".join(cell for cell in row if cell)
            if line:
                builder.add(line, BlockKind.LINE, clean=False)
        table = rows[header_at:] if header_at is not None else rows
        for index, line in enumerate(render_rows(table, header=header_at is not None)):
            builder.add(line, BlockKind.TABLE_ROW, group=group, gap=index == 0, clean=False)


def _number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"


def _cell(value: Any) -> str:
    """A cell value as text: whole numbers without '.0', midnight datetimes as dates."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    elif isinstance(value, float):
        text = _number(value)
    else:
        text = clean_text(str(value), keep_newlines=False)
    return text


def _row_values(row: Iterable[Any]) -> list[str]:
    values = [_cell(value) for _, value in zip(range(_MAX_COLUMNS), row, strict=False)]
    while values and not values[-1]:
        values.pop()
    return values


def _trim(rows: list[list[str]]) -> list[list[str]]:
    return [row for row in rows if any(row)]


def _is_label(cell: str) -> bool:
    return bool(cell) and len(cell) <= 60 and not cell.replace(".", "").replace("-", "").isdigit()


def _header_row(rows: Sequence[Sequence[str]]) -> int | None:
    """Index of the header row among the first rows, or ``None`` for a table without one."""
    top = rows[:_HEADER_SEARCH_ROWS]
    if len(rows) < 2:
        return None
    widest = max(sum(1 for cell in row if cell) for row in top)
    if widest < 2:
        return None
    for index, row in enumerate(top[:-1] if len(top) == len(rows) else top):
        filled = [cell for cell in row if cell]
        if len(filled) >= max(2, 0.6 * widest) and all(_is_label(cell) for cell in filled):
            return index
    return None


def _properties(workbook: Any) -> dict[str, str]:
    try:
        props = workbook.properties
    except AttributeError:
        return {}
    out: dict[str, str] = {}
    for key, name in (
        ("title", "title"),
        ("creator", "author"),
        ("subject", "subject"),
        ("keywords", "keywords"),
        ("category", "category"),
        ("version", "version"),
        ("identifier", "identifier"),
        ("lastModifiedBy", "last_modified_by"),
    ):
        value = getattr(props, key, None)
        if value:
            out[name] = str(value).strip()[:500]
    for key, name in (("created", "created"), ("modified", "modified")):
        stamp = getattr(props, key, None)
        if isinstance(stamp, dt.datetime):
            out[name] = stamp.isoformat()
    return out
