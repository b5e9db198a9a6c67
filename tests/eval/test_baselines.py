"""The baselines on a tiny synthetic corpus: realistic rankings, offsets, thresholds."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qmsgap.clauses.models import Catalog
from qmsgap.eval.baselines import (
    BM25Baseline,
    NaiveRagBaseline,
    Thresholds,
    cross_fit,
    fit_thresholds,
    fold_of,
)
from qmsgap.eval.systems import (
    PracticePrediction,
    QmsgapSystem,
    System,
    threshold_confidence,
    threshold_status,
)
from qmsgap.ingest.models import ParsedDocument
from qmsgap.mapping.scoring import FEATURES
from qmsgap.settings import Settings

pytestmark = pytest.mark.unit

AUDIT = (
    "The internal audit programme is planned every year. Internal audits cover every process "
    "of the quality management system and auditors are independent."
)
REVIEW = "Top management holds a management review twice a year and records minutes."
CALIBRATION = "Measuring equipment is calibrated against national standards every six months."
DOCS = "Documents are reviewed and approved by the process owner before release."


@pytest.fixture
def documents(make_document: Callable[..., ParsedDocument]) -> list[ParsedDocument]:
    return [
        make_document("qm.md", [(("9.2",), AUDIT), (("9.3",), REVIEW)]),
        make_document("lab.md", [(("7.1.5",), CALIBRATION), (("7.5",), DOCS)]),
    ]


def test_bm25_ranks_the_passage_with_the_query_terms_first(
    documents: list[ParsedDocument], tiny_catalog: Catalog
) -> None:
    system = BM25Baseline(thresholds=Thresholds(covered=3.0, partial=1.0))
    assert isinstance(system, System)
    predictions = system.run(documents, tiny_catalog, "II")
    assert set(predictions) == {"4.4.1", "4.4.2", "5.1.1", "5.1.2", "5.1.3"}
    audit = predictions["4.4.1"]
    top = audit.evidence[0]
    assert (top.document, top.start, top.end) == (
        "qm.md",
        documents[0].passages[0].start,
        documents[0].passages[0].end,
    )
    assert audit.score == top.score > 0
    assert [e.score for e in audit.evidence] == sorted(
        (e.score for e in audit.evidence), reverse=True
    )
    assert predictions["4.4.2"].evidence[0].start == documents[0].passages[1].start
    assert predictions["5.1.1"].evidence[0].document == "lab.md"
    # "Software bill of materials ... SBOM" shares no word with the corpus but "release"
    sbom = predictions["5.1.2"]
    assert sbom.score < audit.score
    assert audit.status == threshold_status(audit.score, 3.0, 1.0)


def test_bm25_without_thresholds_leaves_statuses_to_fitting(
    documents: list[ParsedDocument], tiny_catalog: Catalog
) -> None:
    system = BM25Baseline()
    assert system.fit_on_gold
    predictions = system.run(documents, tiny_catalog, "II")
    assert {p.status for p in predictions.values()} == {"gap"}


def test_bm25_on_an_empty_corpus(tiny_catalog: Catalog) -> None:
    predictions = BM25Baseline(Thresholds(1.0, 0.5)).run([], tiny_catalog, "II")
    assert all(p.evidence == () and p.status == "gap" for p in predictions.values())


def test_naive_rag_chunks_keep_exact_offsets(
    make_document: Callable[..., ParsedDocument], fake_embedder: object
) -> None:
    long_text = " ".join(f"Sentence number {i} about document control." for i in range(80))
    doc = make_document("long.md", [(("1",), long_text)])
    system = NaiveRagBaseline(fake_embedder)  # type: ignore[arg-type]
    chunks = system.chunks([doc])
    assert len(chunks) > 3
    for path, start, text in chunks:
        assert path == "long.md"
        assert doc.canonical_text[start : start + len(text)] == text
        assert len(text) <= 1000
    # chunks of the long paragraph overlap (chunk_overlap=200); chunk 0 is the heading "1"
    assert chunks[2][1] < chunks[1][1] + len(chunks[1][2])


def test_naive_rag_retrieves_by_title_and_thresholds_the_cosine(
    documents: list[ParsedDocument], tiny_catalog: Catalog, fake_embedder: object
) -> None:
    system = NaiveRagBaseline(fake_embedder, thresholds=Thresholds(0.5, 0.35))  # type: ignore[arg-type]
    predictions = system.run(documents, tiny_catalog, "II")
    review = predictions["4.4.2"]  # title "Management review"
    assert review.evidence[0].document == "qm.md"
    text = documents[0].canonical_text[review.evidence[0].start : review.evidence[0].end]
    assert "management review" in text
    for pred in predictions.values():
        assert -1.0 <= pred.score <= 1.0001
        assert pred.status == threshold_status(pred.score, 0.5, 0.35)
        assert 0.5 <= pred.confidence <= 1.0
    # the query is the title only: one batch of five titles after the chunk batch
    assert fake_embedder.calls[-1] == [  # type: ignore[attr-defined]
        "Internal audit programme",
        "Management review",
        "Document control",
        "Software bill of materials",
        "Record retention",
    ]


def test_threshold_status_and_confidence_by_hand() -> None:
    assert threshold_status(0.5, 0.5, 0.35) == "covered"
    assert threshold_status(0.4, 0.5, 0.35) == "partial"
    assert threshold_status(0.1, 0.5, 0.35) == "gap"
    assert threshold_confidence(0.5, 0.5, 0.35) == 0.5  # on a threshold: a coin flip
    # 0.425 is 0.075 from both thresholds; band 0.15 -> 0.5 + 0.5 * 0.5
    assert threshold_confidence(0.425, 0.5, 0.35) == pytest.approx(0.75)
    assert threshold_confidence(0.9, 0.5, 0.35) == 1.0  # far away: capped


def test_fit_thresholds_by_hand() -> None:
    scores = {"a": 0.9, "b": 0.8, "c": 0.5, "d": 0.1}
    gold = {"a": "covered", "b": "covered", "c": "partial", "d": "gap"}
    # the only perfect split: covered between 0.5 and 0.8 (midpoint 0.65), partial between
    # 0.1 and 0.5 (midpoint 0.3)
    fitted = fit_thresholds(scores, gold)
    assert (fitted.covered, fitted.partial) == (pytest.approx(0.65), pytest.approx(0.3))
    with pytest.raises(ValueError, match="empty"):
        fit_thresholds(scores, {})
    with pytest.raises(ValueError, match="no score"):
        fit_thresholds({}, gold)
    with pytest.raises(ValueError, match="above covered"):
        Thresholds(covered=0.2, partial=0.3)


def test_cross_fit_never_uses_a_practice_to_decide_its_own_status() -> None:
    ids = [f"p{i}" for i in range(40)]
    scores = {pid: (i % 10) / 10 for i, pid in enumerate(ids)}
    gold = {
        pid: ("covered" if s >= 0.6 else "partial" if s >= 0.3 else "gap")
        for pid, s in scores.items()
    }
    predictions = {pid: PracticePrediction(pid, "gap", 0.5, scores[pid], ()) for pid in ids}
    predictions["unlabelled"] = PracticePrediction("unlabelled", "gap", 0.5, 0.95, ())
    fitted = cross_fit(predictions, gold)
    assert set(fitted.thresholds) == {0, 1}
    for pid in ids:
        other = fitted.thresholds[fold_of(pid)]
        train = {p: g for p, g in gold.items() if fold_of(p) != fold_of(pid)}
        assert other == fit_thresholds(scores, train)
        assert fitted.predictions[pid].status == threshold_status(
            scores[pid], other.covered, other.partial
        )
    # the data are separable, so both folds recover them exactly
    assert all(fitted.predictions[p].status == gold[p] for p in ids)
    assert fitted.predictions["unlabelled"].status == "covered"


def test_qmsgap_adapter_returns_every_practice_with_valid_offsets(
    documents: list[ParsedDocument],
    tiny_catalog: Catalog,
    settings: Settings,
    fake_embedder: object,
) -> None:
    system = QmsgapSystem(settings, fake_embedder)  # type: ignore[arg-type]
    assert isinstance(system, System)
    predictions = system.run(documents, tiny_catalog, "II")
    assert set(predictions) == {"4.4.1", "4.4.2", "5.1.1", "5.1.2", "5.1.3"}
    texts = {d.path: d.canonical_text for d in documents}
    for pred in predictions.values():
        assert pred.status in ("covered", "partial", "gap", "not_applicable")
        assert 0.0 <= pred.confidence <= 1.0
        assert len(pred.evidence) <= 5
        for item in pred.evidence:
            assert 0 <= item.start < item.end <= len(texts[item.document])
    # the ranked candidates are kept even where the status is a gap
    assert predictions["4.4.1"].evidence
    top = predictions["4.4.1"].evidence[0]
    assert "audit" in texts[top.document][top.start : top.end].lower()


def test_qmsgap_out_of_fold_replaces_statuses_fitted_on_the_labels(settings: Settings) -> None:
    system = QmsgapSystem(settings)
    assert not system.fit_on_gold  # nothing known about the shipped model before a run
    system.provenance = {"examples": 30, "penalty": 0.1}
    assert system.fit_on_gold
    gold: dict[str, str] = {}
    predictions = {}
    for i in range(30):
        pid = f"p{i}"
        level = i % 3  # 0 gap, 1 partial, 2 covered: well separated on one feature
        gold[pid] = ("gap", "partial", "covered")[level]
        system.features[pid] = {FEATURES[0]: 0.2 + 0.3 * level + 0.01 * (i % 5)}
        predictions[pid] = PracticePrediction(pid, "covered", 0.99, 0.5, ())
    out, notes = system.out_of_fold(predictions, gold)
    assert {pid: p.status for pid, p in out.items()} == gold
    assert all(p.confidence < 0.99 for p in out.values())
    assert "out-of-fold" in notes[0]
    with pytest.raises(ValueError, match="no engine features"):
        system.out_of_fold(predictions, {"unknown": "gap"})
