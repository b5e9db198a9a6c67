"""``qmsgap ingest PATH...``: read documents and show what was found in each.

Per document: format, pages, passages, kind, document-control metadata, findings and
warnings; documents that could not be read are listed with the reason. Exit status 0 when at
least one document was read (even if others failed), 2 when none could be read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from qmsgap.ingest.models import IngestOutcome, ParsedDocument


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)


def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Files or folders (searched recursively).", show_default=False),
    ],
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Also write every outcome (with passages) to this JSON file."),
    ] = None,
    pdf_backend: Annotated[
        Literal["pypdf", "pypdfium2"] | None,
        typer.Option("--pdf-backend", help="Override settings.ingest.pdf_backend."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, max=32, help="Parsing worker processes.")
    ] = None,
    findings: Annotated[
        bool, typer.Option("--findings/--no-findings", help="List every finding.")
    ] = True,
) -> None:
    """Read documents (PDF, Word, Excel, PowerPoint, Markdown, HTML, text) into passages."""
    from rich.console import Console

    from qmsgap.errors import NotFound
    from qmsgap.ingest import Ingestor, discover
    from qmsgap.ingest.models import IngestFailure
    from qmsgap.settings import get_settings

    settings = get_settings()
    if pdf_backend is not None:
        settings = settings.model_copy(
            update={"ingest": settings.ingest.model_copy(update={"pdf_backend": pdf_backend})}
        )
    missing = [path for path in paths if not path.exists()]
    files = discover([path for path in paths if path.exists()])
    if not files and not missing:
        raise NotFound("no documents found under the given paths")
    root = paths[0] if len(paths) == 1 and paths[0].is_dir() else None
    console = Console()
    outcomes: list[IngestOutcome] = [
        IngestFailure(path=str(path), code="not_found", message="no such file or folder")
        for path in missing
    ]
    with (
        console.status(f"reading {len(files)} documents ..."),
        Ingestor(settings, workers=workers) as ingestor,
    ):
        outcomes.extend(ingestor.run(files, root=root))
    _print(console, outcomes, findings)
    if json_file is not None:
        payload = [outcome.model_dump(mode="json") for outcome in outcomes]
        json_file.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        console.print(f"outcomes written to {json_file}")
    if not any(not isinstance(outcome, IngestFailure) for outcome in outcomes):
        raise typer.Exit(code=2)


def _print(console: Console, outcomes: list[IngestOutcome], show_findings: bool) -> None:
    from rich.table import Table

    from qmsgap.ingest.models import IngestFailure

    table = Table(title="Documents", show_lines=False)
    table.add_column("document", overflow="fold", ratio=1)
    for column in ("format", "pages", "passages", "kind", "number", "rev.", "date"):
        table.add_column(column, no_wrap=True)
    table.add_column("findings", justify="right", no_wrap=True)
    failures: list[IngestFailure] = []
    documents: list[ParsedDocument] = []
    for outcome in outcomes:
        if isinstance(outcome, IngestFailure):
            failures.append(outcome)
            continue
        documents.append(outcome)
        meta = outcome.metadata
        table.add_row(
            outcome.path,
            outcome.format.value,
            str(outcome.page_count or "-"),
            str(len(outcome.passages)),
            meta.kind.value,
            meta.document_number or "-",
            meta.revision or "-",
            meta.issue_date.isoformat() if meta.issue_date else "-",
            _severity_counts(outcome),
        )
    console.print(table)
    for document in documents:
        _print_details(console, document, show_findings)
    if failures:
        errors = Table(title="Not read", title_style="bold red")
        errors.add_column("document", overflow="fold")
        errors.add_column("error")
        errors.add_column("why", overflow="fold")
        for failure in failures:
            errors.add_row(failure.path, failure.code, failure.message)
        console.print(errors)
    passages = sum(len(d.passages) for d in documents)
    console.print(
        f"{len(documents)} read, {len(failures)} not read, {passages} passages, "
        f"{sum(len(d.findings) for d in documents)} findings"
    )


def _severity_counts(document: ParsedDocument) -> str:
    counts: dict[str, int] = {}
    for finding in document.findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    return " ".join(f"{n} {severity}" for severity, n in sorted(counts.items())) or "0"


def _print_details(console: Console, document: ParsedDocument, show_findings: bool) -> None:
    meta = document.metadata
    facts = [
        f"title: {meta.title}" if meta.title else None,
        f"approver: {meta.approver}" if meta.approver else None,
        f"author: {meta.author}" if meta.author else None,
    ]
    line = "; ".join(fact for fact in facts if fact)
    if not (line or document.warnings or (show_findings and document.findings)):
        return
    console.print(f"[bold]{document.path}[/bold]" + (f"  {line}" if line else ""), highlight=False)
    for warning in document.warnings:
        console.print(f"  [yellow]warning[/yellow] {warning}", highlight=False)
    if show_findings:
        for finding in document.findings:
            where = []
            if finding.page is not None:
                where.append(f"p. {finding.page}")
            if finding.section:
                where.append(" > ".join(finding.section))
            place = f" ({', '.join(where)})" if where else ""
            console.print(
                f"  [{finding.severity}] {finding.code.value}{place}: {finding.message}",
                highlight=False,
                markup=False,
            )
