"""Report writers for a :class:`~qmsgap.mapping.schema.CoverageReport`.

Every writer takes the report and a destination path and writes atomically (temp file in the
same folder, then rename), so a crash never leaves half a report where a good one was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qmsgap.files import atomic_path
from qmsgap.mapping.reports.docx_report import write_docx
from qmsgap.mapping.reports.html import render_html
from qmsgap.mapping.reports.pdf_report import write_pdf
from qmsgap.mapping.reports.tables import write_csv, write_xlsx
from qmsgap.mapping.schema import CoverageReport

Writer = Callable[[CoverageReport, Path], None]


def write_json(report: CoverageReport, path: Path) -> None:
    path.write_text(report.to_json(), encoding="utf-8")


def write_html(report: CoverageReport, path: Path) -> None:
    path.write_text(render_html(report), encoding="utf-8")


WRITERS: dict[str, Writer] = {
    "json": write_json,
    "html": write_html,
    "csv": write_csv,
    "xlsx": write_xlsx,
    "docx": write_docx,
    "pdf": write_pdf,
}


def write_report(report: CoverageReport, fmt: str, path: Path) -> Path:
    """Write ``report`` as ``fmt`` to ``path`` atomically; returns the path.

    Raises KeyError for an unknown format and OSError when the folder is not writable.
    """
    writer = WRITERS[fmt]
    path = path.expanduser()
    with atomic_path(path) as tmp:
        writer(report, tmp)
    return path


__all__ = ["WRITERS", "write_report"]
