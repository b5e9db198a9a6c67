"""Tabular reports: CSV (one row per practice and evidence item) and XLSX (several sheets)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qmsgap.mapping.schema import CoverageReport, Status

_PRACTICE_PART = (
    "clause_id",
    "clause_title",
    "practice_id",
    "practice_title",
    "type",
    "mandatory",
    "status",
    "status_source",
    "score",
    "confidence",
    "guidance",
)
_EVIDENCE_PART = (
    "evidence_rank",
    "document",
    "document_sha256",
    "page",
    "section",
    "quote",
    "start",
    "end",
    "evidence_score",
    "evidence_origin",
    "evidence_review",
)
PRACTICE_COLUMNS = _PRACTICE_PART + _EVIDENCE_PART


def _cell(value: Any) -> Any:
    """Spreadsheet-safe: text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def practice_rows(report: CoverageReport) -> Iterator[dict[str, Any]]:
    """One row per evidence item (one row with empty evidence columns when there is none)."""
    for clause in report.clauses:
        for p in clause.practices:
            base = {
                "clause_id": clause.id,
                "clause_title": clause.title,
                "practice_id": p.id,
                "practice_title": p.title,
                "type": p.type,
                "mandatory": "yes" if p.mandatory else "no",
                "status": p.status.value,
                "status_source": p.status_source,
                "score": p.score,
                "confidence": p.confidence,
                "guidance": p.guidance,
            }
            if not p.evidence:
                yield {**base, **dict.fromkeys(_EVIDENCE_PART, "")}
            for rank, e in enumerate(p.evidence, start=1):
                yield {
                    **base,
                    "evidence_rank": rank,
                    "document": e.document,
                    "document_sha256": e.document_id,
                    "page": e.page if e.page is not None else "",
                    "section": " > ".join(e.section),
                    "quote": e.quote,
                    "start": e.start,
                    "end": e.end,
                    "evidence_score": e.score,
                    "evidence_origin": e.origin,
                    "evidence_review": e.review or "",
                }


def write_csv(report: CoverageReport, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=PRACTICE_COLUMNS)
        writer.writeheader()
        for row in practice_rows(report):
            writer.writerow({k: _cell(v) for k, v in row.items()})


def write_xlsx(report: CoverageReport, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    fills = {
        Status.COVERED.value: PatternFill("solid", fgColor="C6EFCE"),
        Status.PARTIAL.value: PatternFill("solid", fgColor="FFEB9C"),
        Status.GAP.value: PatternFill("solid", fgColor="FFC7CE"),
        Status.NOT_APPLICABLE.value: PatternFill("solid", fgColor="DDDDDD"),
    }
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    s = report.summary
    framework = report.framework
    for row in (
        ("Framework", f"{framework.title} ({framework.id} {framework.version})"),
        ("Software type", report.software_type),
        ("Generated", report.generated_at.isoformat(timespec="seconds")),
        ("Readiness (%)", s.readiness),
        ("Covered", s.covered),
        ("Partial", s.partial),
        ("Gap", s.gap),
        ("Not applicable", s.not_applicable),
        ("Mandatory gaps", s.mandatory_gaps),
    ):
        summary.append(row)

    def sheet(title: str, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        ws = book.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for values in rows:
            ws.append([_cell(v) for v in values])
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        if "status" in header:
            col = header.index("status") + 1
            for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                if cell.value in fills:
                    cell.fill = fills[cell.value]
        for index, name in enumerate(header, start=1):
            width = 60 if name in ("quote", "guidance") else max(12, len(name) + 2)
            ws.column_dimensions[get_column_letter(index)].width = width

    sheet(
        "Practices",
        PRACTICE_COLUMNS,
        [tuple(r[c] for c in PRACTICE_COLUMNS) for r in practice_rows(report)],
    )
    sheet(
        "Gaps",
        ("rank", "practice_id", "clause_id", "title", "type", "mandatory", "status", "guidance"),
        [
            (
                g.rank,
                g.practice_id,
                g.clause_id,
                g.title,
                g.type,
                "yes" if g.mandatory else "no",
                g.status.value,
                g.guidance,
            )
            for g in report.gaps
        ],
    )
    sheet(
        "Documents",
        (
            "document",
            "sha256",
            "kind",
            "title",
            "number",
            "revision",
            "pages",
            "passages",
            "errors",
        ),
        [
            (
                d.document,
                d.id,
                d.kind.value if d.kind else "",
                d.title or "",
                d.document_number or "",
                d.revision or "",
                d.pages,
                d.passages,
                "; ".join(d.errors),
            )
            for d in report.documents
        ],
    )
    sheet(
        "Findings",
        ("document", "code", "severity", "message", "page", "section", "quote"),
        [
            (
                d.document,
                f.code.value,
                f.severity,
                f.message,
                f.page or "",
                " > ".join(f.section),
                f.quote,
            )
            for d in report.documents
            for f in d.findings
        ],
    )
    book.save(path)
