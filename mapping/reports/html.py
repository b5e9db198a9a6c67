"""The HTML report: one self-contained file (inline CSS and SVG, no script, no network) that
reads well on screen and prints cleanly."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

from qmsgap.mapping.schema import CoverageReport, Status

STATUS_COLOURS = {
    Status.COVERED: "#2e7d32",
    Status.PARTIAL: "#f9a825",
    Status.GAP: "#c62828",
    Status.NOT_APPLICABLE: "#9e9e9e",
}
STATUS_LABELS = {
    Status.COVERED: "Covered",
    Status.PARTIAL: "Partial",
    Status.GAP: "Gap",
    Status.NOT_APPLICABLE: "Not applicable",
}


@dataclass(frozen=True)
class Bar:
    """One stacked bar of the per-chapter chart: (status, count, x, width) segments."""

    label: str
    y: int
    segments: tuple[tuple[Status, int, float, float], ...]


def chapter_bars(report: CoverageReport, width: float = 420.0) -> list[Bar]:
    """Practice counts per chapter and status, laid out as stacked horizontal bars."""
    chapters: dict[str, Counter[Status]] = {}
    for clause in report.clauses:
        counts = chapters.setdefault(clause.chapter, Counter())
        counts.update(p.status for p in clause.practices)
    bars = []
    for row, (chapter, counts) in enumerate(chapters.items()):
        total = sum(counts.values()) or 1
        x = 0.0
        segments = []
        for status in Status:
            if counts[status]:
                w = width * counts[status] / total
                segments.append((status, counts[status], x, w))
                x += w
        bars.append(Bar(label=f"Chapter {chapter}", y=row * 34, segments=tuple(segments)))
    return bars


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("qmsgap.mapping", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(colours=STATUS_COLOURS, labels=STATUS_LABELS, Status=Status)
    return env


def render_html(report: CoverageReport) -> str:
    template = _environment().get_template("report.html.j2")
    return template.render(report=report, bars=chapter_bars(report))
