"""``qmsgap eval`` and ``qmsgap bench``: measure accuracy against the gold sets, and speed."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qmsgap.errors import ConfigurationError

if TYPE_CHECKING:
    from rich.table import Table

_GOLD_SETS = ("sample", "real", "all")
_SYSTEMS = "bm25,naive-rag,qmsgap"


def register(app: typer.Typer) -> None:
    app.command("eval")(run_eval)
    app.command("bench")(run_bench)


def run_eval(
    gold: Annotated[str, typer.Option("--gold", help="Gold set: sample, real or all.")] = "all",
    systems: Annotated[
        str, typer.Option("--systems", help="Comma-separated systems: bm25, naive-rag, qmsgap.")
    ] = _SYSTEMS,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for results.json, results.md and PNG plots.")
    ] = Path("eval/results"),
    software_type: Annotated[
        str, typer.Option("--software-type", help="ASQMS software type the systems assume.")
    ] = "II",
    real_corpus: Annotated[
        Path | None,
        typer.Option(
            "--real-corpus",
            help="Folder of the real QMS documents (default: corpus_root of documents.yaml, "
            "relative to the repository).",
        ),
    ] = None,
    gold_dir: Annotated[
        Path | None, typer.Option("--gold-dir", help="Folder holding the gold sets.")
    ] = None,
    sample_corpus: Annotated[
        Path | None, typer.Option("--sample-corpus", help="Folder of the sample supplier QMS.")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ingest again instead of reading the cache.")
    ] = False,
) -> None:
    """Score bm25, naive RAG and qmsgap side by side on the gold sets."""
    import logging

    from rich.console import Console

    from qmsgap.clauses import load_catalog
    from qmsgap.eval import report
    from qmsgap.eval.runner import (
        DEFAULT_GOLD_DIR,
        DEFAULT_SAMPLE_CORPUS,
        EvaluationRunner,
        build_systems,
    )
    from qmsgap.settings import get_settings

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
    if gold not in _GOLD_SETS:
        raise ConfigurationError(f"--gold must be one of {', '.join(_GOLD_SETS)}, not {gold!r}")
    names = [n.strip() for n in systems.split(",") if n.strip()]
    if not names:
        raise ConfigurationError("--systems names no system")
    settings = get_settings()
    console = Console(stderr=True)
    runner = EvaluationRunner(
        settings=settings,
        systems=build_systems(names, settings),
        catalog=load_catalog("asqms"),
        gold_dir=gold_dir or DEFAULT_GOLD_DIR,
        sample_corpus=sample_corpus or DEFAULT_SAMPLE_CORPUS,
        real_corpus=real_corpus,
        software_type=software_type,
        use_cache=not no_cache,
        progress=lambda msg: console.print(f"[dim]{msg}[/dim]"),
    )
    sample = runner.run_sample() if gold in ("sample", "all") else None
    real = runner.run_real() if gold in ("real", "all") else None
    command = "qmsgap " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    written = report.write_outputs(out, sample, real, command)

    stdout = Console()
    for evaluation in (sample, real):
        if evaluation is not None and evaluation.corpus.failures:
            failed = ", ".join(f"{f.path} [{f.code}]" for f in evaluation.corpus.failures)
            stdout.print(f"[yellow]not ingested (scored as absent): {failed}[/yellow]")
    if sample is not None:
        stdout.print(
            _table(
                "Sample supplier QMS: practice level",
                report.metric_rows(
                    [(r.system, report.sample_summary(r)) for r in sample.results],
                    report.SAMPLE_COLUMNS,
                ),
            )
        )
        if sample.located.unlocated:
            stdout.print(
                f"[yellow]{len(sample.located.unlocated)} gold quotes not found in the corpus "
                f"(listed in {out / 'results.md'})[/yellow]"
            )
    if real is not None:
        stdout.print(
            _table(
                "Real QMS documents: document level",
                report.metric_rows(
                    [(r.system, report.real_summary(r)) for r in real.results],
                    report.REAL_COLUMNS,
                ),
            )
        )
    stdout.print(f"written to {out}: {', '.join(p.name for p in written)}")


def _table(title: str, content: tuple[list[str], list[list[str]]]) -> Table:
    from rich.table import Table

    header, rows = content
    table = Table(title=title)
    table.add_column(header[0], no_wrap=True)
    for name in header[1:]:
        table.add_column(name, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table


def run_bench(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for bench.json and the scaling plot.")
    ] = Path("eval/results"),
    sizes: Annotated[
        str, typer.Option("--sizes", help="Comma-separated copies of the sample QMS to scale to.")
    ] = "1,4,16",
    sample_corpus: Annotated[
        Path | None, typer.Option("--sample-corpus", help="Folder of the sample supplier QMS.")
    ] = None,
) -> None:
    """Measure parsing, embedding, end-to-end analysis, memory and scaling."""
    from qmsgap.eval.bench import Benchmark
    from qmsgap.eval.runner import DEFAULT_SAMPLE_CORPUS
    from qmsgap.settings import get_settings

    try:
        copies = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError as exc:
        raise ConfigurationError(f"--sizes must be integers, not {sizes!r}") from exc
    if not copies or min(copies) < 1:
        raise ConfigurationError("--sizes needs positive integers")
    bench = Benchmark(get_settings(), sample_corpus or DEFAULT_SAMPLE_CORPUS, copies, out)
    bench.run(echo=typer.echo)
