"""Turning evaluation results into JSON, a Markdown table, rich tables and reliability PNGs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qmsgap.eval.metrics import STATUSES, Confusion
from qmsgap.eval.runner import (
    RealEvaluation,
    RealResult,
    SampleEvaluation,
    SampleResult,
)

SAMPLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("recall@1", "evidence recall@1"),
    ("recall@3", "evidence recall@3"),
    ("recall@5", "evidence recall@5"),
    ("mrr", "evidence MRR"),
    ("ndcg@5", "evidence nDCG@5"),
    ("passage_recall@5", "recall@5, evidence widened to passages"),
    ("evidence_chars", "mean evidence length (chars)"),
    ("accuracy", "status accuracy"),
    ("macro_f1", "status macro-F1"),
    ("f1_covered", "F1 covered"),
    ("f1_partial", "F1 partial"),
    ("f1_gap", "F1 gap"),
    ("clause_accuracy", "clause status accuracy"),
    ("clause_macro_f1", "clause status macro-F1"),
    ("clause_coverage_mae", "clause coverage MAE"),
    ("ece", "ECE (10 bins)"),
    ("brier", "Brier score"),
    ("seconds", "run time s"),
)
REAL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("micro_precision", "micro precision"),
    ("micro_recall", "micro recall"),
    ("micro_f1", "micro F1"),
    ("macro_precision", "macro precision"),
    ("macro_recall", "macro recall"),
    ("macro_f1", "macro F1"),
    ("map", "MAP (documents per process)"),
    ("seconds", "run time s"),
)
RUN_TIME_NOTE = (
    "Run times include warm embedding caches where present; speed is measured by "
    "`qmsgap bench`, not here."
)


def sample_summary(result: SampleResult) -> dict[str, float | None]:
    """The means of one system on the sample set, keyed as in :data:`SAMPLE_COLUMNS`."""
    out: dict[str, float | None] = {k: v.mean for k, v in result.retrieval.items()}
    out["accuracy"] = result.status.accuracy.mean
    out["macro_f1"] = result.status.macro_f1
    for label in STATUSES:
        scores = result.status.per_class.get(label)
        out[f"f1_{label}"] = scores.f1 if scores else None
    out["clause_accuracy"] = result.clauses.status.accuracy.mean
    out["clause_macro_f1"] = result.clauses.status.macro_f1
    out["clause_coverage_mae"] = result.clauses.coverage_error.mean
    out["ece"] = result.calibration.ece
    out["brier"] = result.calibration.brier.mean
    out["evidence_chars"] = result.evidence_chars
    out["seconds"] = result.seconds
    return out


def real_summary(result: RealResult) -> dict[str, float | None]:
    """The scores of one system on the real-documents set, keyed as in :data:`REAL_COLUMNS`."""
    pairs = result.pairs
    return {
        "micro_precision": pairs.micro.precision,
        "micro_recall": pairs.micro.recall,
        "micro_f1": pairs.micro.f1,
        "macro_precision": pairs.macro_precision,
        "macro_recall": pairs.macro_recall,
        "macro_f1": pairs.macro_f1,
        "map": result.ranking.mean,
        "predicted_pairs": float(pairs.micro.predicted),
        "gold_pairs": float(pairs.micro.gold),
        "seconds": result.seconds,
    }


def _confusion_json(confusion: Confusion) -> dict[str, Any]:
    return {"labels": list(confusion.labels), "rows_gold_columns_predicted": confusion.matrix}


def sample_json(evaluation: SampleEvaluation) -> dict[str, Any]:
    """Everything about the sample-set run: gold problems, per-system means and per-item scores."""
    gold = evaluation.gold
    counts = {s: sum(1 for lb in gold.labels.values() if lb.status == s) for s in STATUSES}
    systems: dict[str, Any] = {}
    for result in evaluation.results:
        per_practice: dict[str, Any] = {}
        for pid, label in gold.labels.items():
            pred = result.predictions.get(pid)
            row: dict[str, Any] = {
                "gold": label.status,
                "predicted": pred.status if pred else "missing",
                "confidence": pred.confidence if pred else None,
                "score": pred.score if pred else None,
            }
            for metric, scores in result.retrieval.items():
                row[metric] = scores.per_item.get(pid)
            row["evidence"] = [asdict(e) for e in pred.evidence] if pred else []
            per_practice[pid] = row
        clauses = result.clauses
        systems[result.system] = {
            "summary": sample_summary(result),
            "notes": list(result.notes),
            "per_class": {k: asdict(v) for k, v in result.status.per_class.items()},
            "confusion": _confusion_json(result.status.confusion),
            "missing_predictions": list(result.status.missing),
            "clauses": {
                "per_class": {k: asdict(v) for k, v in clauses.status.per_class.items()},
                "confusion": _confusion_json(clauses.status.confusion),
                "per_clause": {
                    cid: {
                        "gold": clauses.gold_status[cid],
                        "predicted": clauses.predicted_status[cid],
                        "coverage_error": clauses.coverage_error.per_item[cid],
                    }
                    for cid in clauses.gold_status
                },
            },
            "calibration": {
                "ece": result.calibration.ece,
                "brier": result.calibration.brier.mean,
                "bins": [asdict(b) for b in result.calibration.bins],
            },
            "per_practice": per_practice,
        }
    located = evaluation.located
    return {
        "gold_set": "sample",
        "labels_file": str(gold.path),
        "corpus": str(evaluation.corpus.root),
        "labels": len(gold.labels),
        "status_counts": counts,
        "gold_spans_located": sum(len(s) for s in located.spans.values()),
        "unlocated_quotes": [asdict(q) for q in located.unlocated],
        "ambiguous_quotes": [asdict(q) for q in located.ambiguous],
        "label_warnings": list(gold.warnings),
        "documents": len(evaluation.corpus.documents),
        "documents_from_ingest_cache": evaluation.corpus.from_cache,
        "ingest_seconds": evaluation.corpus.seconds,
        "passages": sum(len(d.passages) for d in evaluation.corpus.documents),
        "ingest_failures": [f.model_dump() for f in evaluation.corpus.failures],
        "systems": systems,
    }


def real_json(evaluation: RealEvaluation) -> dict[str, Any]:
    """Everything about the real-documents run: per-system pair scores, per-process scores."""
    systems: dict[str, Any] = {}
    for result in evaluation.results:
        systems[result.system] = {
            "summary": real_summary(result),
            "notes": list(result.notes),
            "per_process": {
                process: {
                    **asdict(scores),
                    "average_precision": result.ranking.per_item.get(process),
                    "predicted_documents": result.predicted.get(process, []),
                }
                for process, scores in result.pairs.per_group.items()
            },
        }
    return {
        "gold_set": "real",
        "labels_file": str(evaluation.gold.path),
        "corpus": str(evaluation.gold.corpus_root),
        "documents_labelled": len(evaluation.gold.documents),
        "documents_ingested": len(evaluation.corpus.documents),
        "documents_from_ingest_cache": evaluation.corpus.from_cache,
        "ingest_seconds": evaluation.corpus.seconds,
        "ingest_failures": [f.model_dump() for f in evaluation.corpus.failures],
        "label_warnings": list(evaluation.gold.warnings),
        "document_evidence_k": 3,
        "systems": systems,
    }


def _fmt(value: float | None, key: str) -> str:
    if value is None:
        return "n/a"
    if key in ("seconds", "evidence_chars"):
        return f"{value:.1f}" if key == "seconds" else f"{value:.0f}"
    return f"{value:.3f}"


def metric_rows(
    summaries: Sequence[tuple[str, dict[str, float | None]]],
    metrics: Sequence[tuple[str, str]],
) -> tuple[list[str], list[list[str]]]:
    """The three-way table, one row per metric and one column per system.

    Returns the header (``"metric"`` then the system names) and the formatted rows.
    """
    header = ["metric", *(name for name, _ in summaries)]
    rows = [
        [label, *(_fmt(summary.get(key), key) for _, summary in summaries)]
        for key, label in metrics
    ]
    return header, rows


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def markdown(sample: SampleEvaluation | None, real: RealEvaluation | None, command: str) -> str:
    """The Markdown report: the three-way tables, confusion matrices and gold problems."""
    from qmsgap.eval.bench import source_revision

    parts = [
        "# qmsgap evaluation",
        "",
        f"Reproduce with: `{command}` (source revision {source_revision() or 'unknown'})",
        "",
    ]
    if sample is not None:
        gold = sample.gold
        counts = {s: sum(1 for lb in gold.labels.values() if lb.status == s) for s in STATUSES}
        parts += [
            "## Sample supplier QMS (practice level)",
            "",
            f"{len(gold.labels)} labelled practices ({counts['covered']} covered, "
            f"{counts['partial']} partial, {counts['gap']} gap); "
            f"{len(sample.corpus.documents)} documents, "
            f"{sum(len(d.passages) for d in sample.corpus.documents)} passages; "
            f"{sum(len(s) for s in sample.located.spans.values())} gold spans located, "
            f"{len(sample.located.unlocated)} not found, "
            f"{len(sample.located.ambiguous)} ambiguous.",
            "",
            _markdown_table(
                *metric_rows(
                    [(r.system, sample_summary(r)) for r in sample.results], SAMPLE_COLUMNS
                )
            ),
            "",
            RUN_TIME_NOTE,
            "",
        ]
        for result in sample.results:
            confusion = result.status.confusion
            parts += [
                f"### {result.system}: status confusion (rows gold, columns predicted)",
                "",
                _markdown_table(
                    ["gold \\ predicted", *confusion.labels],
                    [
                        [label, *(str(v) for v in row)]
                        for label, row in zip(confusion.labels, confusion.matrix, strict=True)
                        if label in STATUSES
                    ],
                ),
                "",
                *(f"- {note}" for note in result.notes),
                "",
            ]
        if sample.located.unlocated:
            parts += ["### Gold quotes not found (labelling problems)", ""]
            parts += [
                f"- {q.practice_id} in `{q.document}`: {q.problem}"
                + (f" (occurs in {', '.join(q.found_in)})" if q.found_in else "")
                + f': "{q.quote[:80]}"'
                for q in sample.located.unlocated
            ]
            parts.append("")
    if real is not None:
        parts += [
            "## Real QMS documents (document level)",
            "",
            f"{len(real.gold.documents)} labelled documents, {len(real.corpus.documents)} "
            "ingested. A document serves a process when it is among the top 3 evidence items "
            "of a covered/partial practice of that process.",
            "",
            _markdown_table(
                *metric_rows([(r.system, real_summary(r)) for r in real.results], REAL_COLUMNS)
            ),
            "",
        ]
        for real_result in real.results:
            parts += [f"- {real_result.system}: {note}" for note in real_result.notes]
        parts.append("")
    return "\n".join(parts)


def write_outputs(
    out_dir: Path,
    sample: SampleEvaluation | None,
    real: RealEvaluation | None,
    command: str,
) -> list[Path]:
    """Write results JSON, the Markdown table, the IR view and reliability PNGs to ``out_dir``.

    Raises:
        OSError: the folder or a file cannot be written.
    """
    from qmsgap.eval.plots import reliability_plot

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    from qmsgap.eval.bench import source_revision

    payload: dict[str, Any] = {"command": command, "revision": source_revision()}
    if sample is not None:
        payload["sample"] = sample_json(sample)
        ir_path = out_dir / "ir-sample.json"
        ir_path.write_text(json.dumps(sample.ir.to_json(), indent=1), encoding="utf-8")
        written.append(ir_path)
        for result in sample.results:
            written.append(
                reliability_plot(
                    result.calibration,
                    out_dir / f"reliability-sample-{result.system}.png",
                    f"{result.system}: status confidence on the sample QMS",
                )
            )
    if real is not None:
        payload["real"] = real_json(real)
    results = out_dir / "results.json"
    results.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    md = out_dir / "results.md"
    md.write_text(markdown(sample, real, command), encoding="utf-8")
    return [results, md, *written]
