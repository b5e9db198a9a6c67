"""``qmsgap analyze``: map a folder of QMS documents onto a framework and write reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FORMATS = ("json", "html", "csv", "xlsx", "docx", "pdf")


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)


def _tailoring(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        clause, sep, reason = item.partition("=")
        if not sep or not clause.strip() or not reason.strip():
            raise typer.BadParameter(
                f'{item!r}: use CLAUSE=JUSTIFICATION, e.g. --tailor "6.10=no OTA deployment"'
            )
        out[clause.strip()] = reason.strip()
    return out


def analyze(
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH", help="Documents or folders to analyze.")
    ],
    software_type: Annotated[
        str, typer.Option("--software-type", help="I (no safety/security risk) or II.")
    ] = "II",
    framework: Annotated[str, typer.Option(help="Catalog id, see `qmsgap catalog list`.")] = (
        "asqms"
    ),
    tailor: Annotated[
        list[str] | None,
        typer.Option(help="CLAUSE=JUSTIFICATION: declare a process not applicable. Repeatable."),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON report.")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Write the HTML report.")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the CSV report.")] = None,
    xlsx_out: Annotated[Path | None, typer.Option("--xlsx", help="Write the XLSX report.")] = None,
    docx_out: Annotated[Path | None, typer.Option("--docx", help="Write the DOCX report.")] = None,
    pdf_out: Annotated[Path | None, typer.Option("--pdf", help="Write the PDF report.")] = None,
    out: Annotated[
        Path,
        typer.Option(help="Folder for report.html and report.json when no format is chosen."),
    ] = Path("qmsgap-report"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Analyze documents and print the coverage summary; reports go where you say."""
    from qmsgap.cli.analyze_view import print_summary, progress_bar
    from qmsgap.mapping.reports import WRITERS, write_report
    from qmsgap.pipeline import Analyzer
    from qmsgap.settings import get_settings

    tailoring = _tailoring(tailor or [])
    targets = {
        fmt: path
        for fmt, path in zip(
            FORMATS, (json_out, html_out, csv_out, xlsx_out, docx_out, pdf_out), strict=True
        )
        if path is not None
    }
    if not targets:
        targets = {"html": out / "report.html", "json": out / "report.json"}
    unavailable = sorted(set(targets) - set(WRITERS))
    if unavailable:
        raise typer.BadParameter(f"report formats not available in this build: {unavailable}")
    analyzer = Analyzer(get_settings())
    with progress_bar(disabled=quiet) as progress:
        run = analyzer.run(
            paths,
            catalog_id=framework,
            software_type=software_type,
            tailoring=tailoring,
            progress=progress,
        )
    written = {fmt: write_report(run.analysis.report, fmt, path) for fmt, path in targets.items()}
    print_summary(run, written)
