"""The evaluation runner end to end on a tiny synthetic gold set (real ingestion, fake model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qmsgap.clauses.models import Catalog
from qmsgap.cli import app
from qmsgap.errors import ConfigurationError, GoldLabelError
from qmsgap.eval import report
from qmsgap.eval.baselines import BM25Baseline, NaiveRagBaseline
from qmsgap.eval.runner import EvaluationRunner, build_systems, document_predictions
from qmsgap.eval.systems import EvidenceHit, PracticePrediction, QmsgapSystem
from qmsgap.settings import Settings

pytestmark = pytest.mark.integration

AUDIT_QUOTE = (
    "Internal audits are planned every year and cover every process of the quality management "
    "system."
)
REVIEW_QUOTE = "Top management holds a management review twice a year and records the minutes."
DOCS_QUOTE = "Documents are reviewed and approved by the process owner before release."

MANUAL = f"""# Quality manual

## 9.2 Internal audit

{AUDIT_QUOTE} Auditors are independent of the audited area.

## 9.3 Management review

{REVIEW_QUOTE}
"""
PROCEDURE = f"""# Document control

## 4 Approval

{DOCS_QUOTE} Obsolete documents are withdrawn.

## 5 Calibration

Measuring equipment is calibrated against national standards every six months.
"""


def _label(pid: str, status: str, *evidence: tuple[str, str]) -> str:
    return json.dumps(
        {
            "practice_id": pid,
            "status": status,
            "evidence": [{"document": d, "quote": q} for d, q in evidence],
            "rationale": "test",
            "labeller": "test",
        }
    )


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "manual.md").write_text(MANUAL)
    (sample / "procedures").mkdir()
    (sample / "procedures" / "doc-control.md").write_text(PROCEDURE)
    gold = tmp_path / "gold"
    (gold / "sample-supplier-qms").mkdir(parents=True)
    (gold / "sample-supplier-qms" / "labels.jsonl").write_text(
        "\n".join(
            [
                _label("4.4.1", "covered", ("manual.md", AUDIT_QUOTE)),
                _label("4.4.2", "partial", ("manual.md", REVIEW_QUOTE)),
                _label("5.1.1", "covered", ("procedures/doc-control.md", DOCS_QUOTE)),
                _label("5.1.2", "gap"),
                _label("5.1.3", "gap"),
            ]
        )
    )
    (gold / "real-qms").mkdir()
    (gold / "real-qms" / "documents.yaml").write_text(
        "corpus_root: ignored\ndocuments:\n"
        "  manual.md: {processes: ['4.4']}\n"
        "  procedures/doc-control.md: {processes: ['5.1']}\n"
    )
    return sample, gold, tmp_path / "out"


@pytest.mark.slow
# qmsgap's out-of-fold refit sees only five labels here, one class with a single member
@pytest.mark.filterwarnings("ignore:The least populated class:UserWarning")
def test_runner_end_to_end(
    setup: tuple[Path, Path, Path], tiny_catalog: Catalog, settings: Settings, fake_embedder: object
) -> None:
    sample, gold, out = setup
    systems = {
        "bm25": BM25Baseline,
        "naive-rag": lambda: NaiveRagBaseline(fake_embedder),  # type: ignore[arg-type]
        "qmsgap": lambda: QmsgapSystem(settings, fake_embedder),  # type: ignore[arg-type]
    }
    messages: list[str] = []
    runner = EvaluationRunner(
        settings=settings,
        systems=systems,  # type: ignore[arg-type]
        catalog=tiny_catalog,
        gold_dir=gold,
        sample_corpus=sample,
        real_corpus=sample,
        progress=messages.append,
    )
    evaluation = runner.run_sample()
    assert [r.system for r in evaluation.results] == ["bm25", "naive-rag", "qmsgap"]
    assert evaluation.located.unlocated == ()
    assert sum(len(s) for s in evaluation.located.spans.values()) == 3
    bm25 = evaluation.results[0]
    # BM25 finds each labelled passage first: recall@1 = 1 on the three practices with gold
    assert bm25.retrieval["recall@1"].mean == 1.0
    assert bm25.retrieval["recall@1"].count == 3
    assert any("fold" in note for note in bm25.notes)
    for result in evaluation.results:
        assert set(result.status.accuracy.per_item) == {"4.4.1", "4.4.2", "5.1.1", "5.1.2", "5.1.3"}
        assert result.calibration.ece is not None
    # the IR view: the audit practice's relevant passage is the one holding the quote
    relevant = evaluation.ir.relevant_docs["4.4.1"]
    assert len(relevant) == 1
    assert AUDIT_QUOTE in evaluation.ir.corpus[next(iter(relevant))]

    real = runner.run_real()
    assert [r.system for r in real.results] == ["bm25", "naive-rag", "qmsgap"]
    assert any("thresholds fitted on all sample labels" in n for n in real.results[0].notes)
    # BM25 ranks the manual first for process 4.4 -> AP 1
    assert real.results[0].ranking.per_item["4.4"] == 1.0

    written = report.write_outputs(out, evaluation, real, "qmsgap eval --test")
    names = {p.name for p in written}
    assert {"results.json", "results.md", "ir-sample.json"} <= names
    assert "reliability-sample-qmsgap.png" in names
    payload = json.loads((out / "results.json").read_text())
    assert set(payload["sample"]["systems"]) == {"bm25", "naive-rag", "qmsgap"}
    row = payload["sample"]["systems"]["bm25"]["per_practice"]["4.4.1"]
    assert row["gold"] == "covered"
    assert row["recall@1"] == 1.0
    assert payload["real"]["systems"]["qmsgap"]["summary"]["map"] is not None
    md = (out / "results.md").read_text()
    assert "| metric | bm25 | naive-rag | qmsgap |" in md
    assert "| evidence recall@1 | 1.000 |" in md
    assert (out / "reliability-sample-bm25.png").read_bytes()[:4] == b"\x89PNG"


def test_runner_reports_labelling_bugs(
    setup: tuple[Path, Path, Path], tiny_catalog: Catalog, settings: Settings
) -> None:
    sample, gold, _ = setup
    labels = gold / "sample-supplier-qms" / "labels.jsonl"
    labels.write_text(
        _label("4.4.1", "covered", ("manual.md", "This sentence is nowhere in the manual at all."))
    )
    runner = EvaluationRunner(
        settings=settings,
        systems={"bm25": BM25Baseline},
        catalog=tiny_catalog,
        gold_dir=gold,
        sample_corpus=sample,
    )
    _, _, located = runner.load_sample()
    assert [(q.practice_id, q.problem) for q in located.unlocated] == [("4.4.1", "quote not found")]
    labels.write_text(_label("4.4.1", "covered", ("absent.md", AUDIT_QUOTE)))
    with pytest.raises(GoldLabelError, match=r"absent\.md"):
        runner.load_sample()


def test_document_predictions_rule() -> None:
    preds = {
        "4.4.1": PracticePrediction(
            "4.4.1",
            "covered",
            0.9,
            0.8,
            tuple(EvidenceHit(f"d{i}.md", 0, 10, 1.0 - i / 10) for i in range(5)),
        ),
        "4.4.2": PracticePrediction("4.4.2", "gap", 0.9, 0.1, (EvidenceHit("z.md", 0, 5, 0.95),)),
    }
    predicted, ranked = document_predictions(preds, {"4.4.1": "4.4", "4.4.2": "4.4"})
    # only the top 3 evidence items of the covered practice count; the gap counts for ranking only
    assert predicted == {"4.4": ["d0.md", "d1.md", "d2.md"]}
    assert ranked["4.4"] == ["d0.md", "z.md", "d1.md", "d2.md", "d3.md", "d4.md"]


def test_unknown_system_and_bad_cli_options(settings: Settings) -> None:
    with pytest.raises(ConfigurationError, match="unknown systems"):
        build_systems(["bm25", "gpt"], settings)
    result = CliRunner().invoke(app, ["eval", "--gold", "bogus"])
    assert isinstance(result.exception, ConfigurationError)
    result = CliRunner().invoke(app, ["bench", "--sizes", "1,x"])
    assert isinstance(result.exception, ConfigurationError)
