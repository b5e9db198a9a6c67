"""``qmsgap calibrate``: fit the status model on a labelled corpus, with cross-validation."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

_EVAL = Path(__file__).resolve().parents[2] / "eval"


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate)


def calibrate(
    gold: Annotated[Path, typer.Option(help="Gold labels (labels.jsonl).")] = (
        _EVAL / "gold" / "sample-supplier-qms" / "labels.jsonl"
    ),
    corpus: Annotated[Path, typer.Option(help="The labelled documents.")] = (
        _EVAL / "corpus" / "sample-supplier-qms"
    ),
    software_type: Annotated[str, typer.Option("--software-type")] = "II",
    folds: Annotated[int, typer.Option(min=2, max=20, help="Cross-validation folds.")] = 5,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the fitted calibration here (JSON). Without it, only report."),
    ] = None,
) -> None:
    """Fit the status model on gold labels and report its cross-validated accuracy.

    Each practice is predicted by a model that never saw its label; --out writes the fitted
    weights and cut points (mapping/calibration/default.json is the shipped one).
    """
    from rich.console import Console
    from rich.table import Table

    from qmsgap import __version__
    from qmsgap.clauses import load_catalog
    from qmsgap.eval.gold import load_labels
    from qmsgap.mapping.calibrate import PENALTIES, Example, choose_and_fit, cross_validate
    from qmsgap.mapping.schema import Status
    from qmsgap.pipeline import Analyzer
    from qmsgap.settings import get_settings

    settings = get_settings()
    catalog = load_catalog("asqms", settings)
    labels = load_labels(gold, catalog, corpus)
    run = Analyzer(settings).run([corpus], software_type=software_type)
    features = run.analysis.features
    examples = [
        Example(pid, features[pid], Status(label.status))
        for pid, label in labels.labels.items()
        if pid in features
    ]
    console = Console()
    table = Table(title=f"{folds}-fold cross-validation on {len(examples)} labelled practices")
    for column in ("penalty", "macro-F1", "accuracy"):
        table.add_column(column, justify="right")
    for penalty in PENALTIES:
        cv = cross_validate(examples, folds, penalty)
        table.add_row(str(penalty), f"{cv.macro_f1:.3f}", f"{cv.accuracy:.3f}")
    console.print(table)
    calibration, best = choose_and_fit(
        examples,
        folds,
        gold=str(gold.relative_to(_EVAL.parent) if gold.is_relative_to(_EVAL.parent) else gold),
        gold_sha256=hashlib.sha256(gold.read_bytes()).hexdigest(),
        corpus_documents=len(run.documents),
        embedder=run.analysis.report.embedder,
        qmsgap_version=__version__,
    )
    console.print(
        f"chosen penalty {best.penalty}: cross-validated macro-F1 {best.macro_f1:.3f}, "
        f"accuracy {best.accuracy:.3f}"
    )
    if out is not None:
        out.write_text(calibration.to_json() + "\n", encoding="utf-8")
        console.print(f"calibration written to {out}")
