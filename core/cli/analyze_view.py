"""Terminal output of ``qmsgap analyze``: a progress bar and the summary tables (rich)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from qmsgap.mapping.schema import Status
from qmsgap.pipeline import AnalysisRun

STEPS = {
    "parse": "Parsing documents",
    "index": "Indexing passages",
    "retrieve": "Finding evidence",
    "score": "Scoring clauses",
}
STYLE = {
    Status.COVERED: "green",
    Status.PARTIAL: "yellow",
    Status.GAP: "red",
    Status.NOT_APPLICABLE: "dim",
}


@contextmanager
def progress_bar(*, disabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A callback ``(step, done, total)`` drawing one bar per step on stderr."""
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=disabled,
        transient=False,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def update(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(STEPS.get(step, step), total=max(total, 1))
            progress.update(tasks[step], completed=done, total=max(total, 1))

        yield update


def print_summary(run: AnalysisRun, written: dict[str, Path]) -> None:
    console = Console()
    report = run.analysis.report
    s = report.summary
    console.print(
        f"\n[bold]{report.framework.title}[/] ({report.framework.id} {report.framework.version}),"
        f" software type {report.software_type}: "
        f"[bold]{len(run.documents)}[/] documents analyzed under {run.root}"
    )
    table = Table(title="Coverage per chapter (practices)")
    table.add_column("Chapter")
    for status in Status:
        table.add_column(status.value.replace("_", " "), justify="right", style=STYLE[status])
    per_chapter: dict[str, Counter[Status]] = {}
    for clause in report.clauses:
        per_chapter.setdefault(clause.chapter, Counter()).update(p.status for p in clause.practices)
    for chapter, counts in per_chapter.items():
        table.add_row(chapter, *(str(counts[status]) for status in Status))
    table.add_row("[bold]all[/]", str(s.covered), str(s.partial), str(s.gap), str(s.not_applicable))
    console.print(table)
    console.print(
        f"Readiness [bold]{s.readiness:.0f}%[/] · {s.mandatory_gaps} mandatory gaps · "
        f"clauses: " + ", ".join(f"{n} {st.value}" for st, n in s.clauses.items() if n)
    )
    if report.gaps:
        gaps = Table(title="Top of the gap list")
        for column in ("#", "practice", "type", "status", "what to write next"):
            gaps.add_column(column, overflow="fold")
        for g in report.gaps[:10]:
            gaps.add_row(
                str(g.rank),
                f"{g.practice_id} {g.title}",
                g.type + (" (mandatory)" if g.mandatory else ""),
                f"[{STYLE[g.status]}]{g.status.value}[/]",
                g.guidance[:140] + ("…" if len(g.guidance) > 140 else ""),
            )
        console.print(gaps)
    findings = sum(len(d.findings) for d in report.documents)
    console.print(
        f"{findings} document-control findings; {len(run.failures)} files could not be read"
        + (f"; {len(run.duplicates)} duplicate files ignored" if run.duplicates else "")
        + f"; parsed {run.ingest.parsed}, from cache {run.ingest.from_cache}; "
        f"embedded {run.analysis.embedded_passages} new texts."
    )
    for failure in run.failures:
        console.print(f"  [red]not read[/] {failure.path}: {failure.message}")
    for fmt, path in written.items():
        console.print(f"{fmt.upper():>5} report: [bold]{path.resolve()}[/]")
