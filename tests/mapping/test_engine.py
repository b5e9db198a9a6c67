from __future__ import annotations

from pathlib import Path

import pytest

from qmsgap.errors import CatalogError
from qmsgap.mapping.engine import MappingEngine
from qmsgap.mapping.schema import SCHEMA_ID, CoverageReport, Status

pytestmark = pytest.mark.unit


def test_statuses_evidence_and_summary(engine, documents, catalog) -> None:
    report = engine.analyze(documents, catalog=catalog, software_type="I")
    status = {p.id: p.status for p in report.practices()}
    assert status == {
        "5.5.1": Status.COVERED,
        "5.5.2": Status.COVERED,
        "5.10.1": Status.GAP,
        "6.10.1": Status.GAP,
    }
    baseline = report.practice("5.5.1")
    assert baseline.evidence and baseline.evidence[0].document == "qp/cm.md"
    assert baseline.evidence[0].section == ["4 Baselines"]
    assert report.practice("5.10.1").evidence == []
    assert (
        "Write: Licence review procedure; Licence review records"
        in report.practice("5.10.1").guidance
    )
    assert report.summary.covered == 2 and report.summary.gap == 2
    # Type I: BP mandatory (weight 2), AP optional (1): (2*1 + 1*1) / (2+1+2+2) = 3/7
    assert report.summary.readiness == pytest.approx(42.9)
    assert [g.practice_id for g in report.gaps] == ["5.10.1", "6.10.1"]
    assert report.clauses[0].status is Status.COVERED


def test_every_quote_is_the_exact_canonical_slice(engine, documents, catalog) -> None:
    analysis = engine.run(documents, catalog=catalog, software_type="II", evidence_k=5)
    by_id = {d.document_id: d for d in documents}
    items = [e for p in analysis.report.practices() for e in p.evidence]
    items += [e for ranked in analysis.ranked.values() for e in ranked]
    assert items
    for e in items:
        assert by_id[e.document_id].canonical_text[e.start : e.end] == e.quote
    page_items = [e for e in items if e.document == "qp/cal.pdf"]
    assert page_items and all(e.page == 1 for e in page_items)


def test_tailored_clause_is_not_applicable_with_its_justification(
    engine, documents, catalog
) -> None:
    reason = "Tier-2 supplier: no vehicle deployment"
    report = engine.analyze(documents, catalog=catalog, tailoring={"6.10": reason})
    clause = next(c for c in report.clauses if c.id == "6.10")
    assert clause.status is Status.NOT_APPLICABLE and clause.not_applicable_reason == reason
    assert clause.practices[0].status is Status.NOT_APPLICABLE
    assert reason in clause.practices[0].rationale
    assert report.summary.not_applicable == 1
    assert all(g.practice_id != "6.10.1" for g in report.gaps)


def test_software_type_ii_makes_advanced_practices_mandatory(engine, documents, catalog) -> None:
    type_i = engine.analyze(documents, catalog=catalog, software_type="I")
    type_ii = engine.analyze(documents, catalog=catalog, software_type="II")
    assert not type_i.practice("5.5.2").mandatory
    assert type_ii.practice("5.5.2").mandatory


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"software_type": "III"}, CatalogError, "got 'III'"),
        ({"tailoring": {"9.9": "x"}}, CatalogError, "'9.9': not in catalog"),
        ({"tailoring": {"6.10": "  "}}, CatalogError, "a justification is required"),
    ],
)
def test_bad_options_are_refused(engine, documents, catalog, options, error, message) -> None:
    with pytest.raises(error, match=message):
        engine.analyze(documents, catalog=catalog, **options)


def test_reanalysis_embeds_only_what_is_new(
    settings, fake_embedder, documents, catalog, make_document, keywords_only, tmp_path: Path
) -> None:
    engine = MappingEngine(settings, fake_embedder, calibration=keywords_only)
    index_dir = tmp_path / "index"
    first = engine.run(documents, catalog=catalog, index_dir=index_dir)
    assert first.embedded_passages > 0
    again = engine.run(documents, catalog=catalog, index_dir=index_dir)
    assert again.embedded_passages == 0
    added = make_document("qp/oss.md", [(("2 Licences",), "Open source licence checks.")])
    grown = engine.run([*documents, added], catalog=catalog, index_dir=index_dir)
    new_texts = {t for batch in fake_embedder.calls[-3:] for t in batch}
    assert "oss > 2 Licences\nOpen source licence checks." in new_texts
    assert grown.embedded_passages == 3  # the passage and its two sentences, nothing else


def test_report_json_carries_the_schema_id_and_round_trips(engine, documents, catalog) -> None:
    report = engine.analyze(documents, catalog=catalog)
    text = report.to_json()
    assert f'"schema": "{SCHEMA_ID}"' in text
    assert CoverageReport.model_validate_json(text) == report
