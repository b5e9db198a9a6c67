"""Render a workbook source (YAML) to XLSX with openpyxl.

Each sheet gets a title block (company, title, document number, revision), optional intro
lines, one bold header row with a filter, frozen panes under the header and wrapped cells.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from qmsgap.eval.corpus.sample_source import COMPANY, DocMeta

_HEAD_FILL = PatternFill("solid", fgColor="D9DEE6")
_THIN = Side(style="thin", color="8A94A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _sheet(ws: Any, meta: DocMeta, sheet: dict[str, Any]) -> int:
    rev = "" if meta.revision is None else f"   Rev. {meta.revision}"
    ws["A1"] = COMPANY
    ws["A1"].font = Font(bold=True, size=12, color="1F3A5F")
    ws["A2"] = f"{meta.title} - {sheet.get('title', sheet['name'])}"
    ws["A2"].font = Font(bold=True, size=11)
    revision = "" if meta.revision is None else f" | Revision: {meta.revision}"
    ws["A3"] = f"Document no.: {meta.doc_no}{revision} | Effective date: {meta.effective}"
    ws["A4"] = (
        f"Process owner: {meta.owner} | Prepared by: {meta.author} | Approved by: {meta.approver}"
    )
    for ref in ("A3", "A4"):
        ws[ref].font = Font(size=9, italic=True)
    row = 5
    for line in sheet.get("intro", []):
        ws.cell(row=row, column=1, value=str(line)).font = Font(size=9)
        row += 1
    row += 1
    columns = sheet["columns"]
    for index, column in enumerate(columns, start=1):
        name = column["name"] if isinstance(column, dict) else str(column)
        cell = ws.cell(row=row, column=index, value=name)
        cell.font = Font(bold=True, size=9)
        cell.fill = _HEAD_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        width = column.get("width", 14) if isinstance(column, dict) else 14
        ws.column_dimensions[get_column_letter(index)].width = width
    header_row = row
    for values in sheet.get("rows", []):
        row += 1
        for index, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=index, value=value)
            cell.font = Font(size=9)
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A{header_row}:{last}{max(row, header_row)}"
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.oddFooter.right.text = "Page &P of &N"
    ws.oddHeader.left.text = f"{COMPANY} {meta.doc_no}{rev}"
    return len(sheet.get("rows", []))


def render_xlsx(meta: DocMeta, sheets: list[dict[str, Any]], path: Path) -> int:
    """Write the workbook at ``path``; returns the number of data rows.

    Raises:
        OSError: when the file cannot be written.
    """
    workbook = Workbook()
    workbook.remove(workbook.active)
    rows = 0
    for sheet in sheets:
        rows += _sheet(workbook.create_sheet(str(sheet["name"])[:31]), meta, sheet)
    when = dt.datetime.combine(meta.effective, dt.time(8, 0))
    props = workbook.properties
    props.title = meta.title
    props.subject = meta.doc_no
    props.creator = meta.author
    props.lastModifiedBy = meta.approver
    props.category = meta.kind
    props.identifier = meta.doc_no
    props.revision = meta.revision
    props.keywords = str(meta.extra.get("keywords", ""))
    props.created = when - dt.timedelta(days=14)
    workbook.save(str(path))
    return rows
