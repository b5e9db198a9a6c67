"""Reviews applied to a report and the diff of two reports, on hand-made reports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from qmsgap.mapping.schema import (
    ClauseCoverage,
    CoverageReport,
    DocumentEntry,
    Evidence,
    FrameworkRef,
    PracticeCoverage,
    Status,
)
from qmsgap.service.diff import diff_reports
from qmsgap.service.overlay import EvidenceDecision, ManualStatus, apply_reviews

pytestmark = pytest.mark.unit

DOC_A = "a" * 64
DOC_B = "b" * 64


def _evidence(doc: str, start: int, end: int, quote: str = "quoted text") -> Evidence:
    return Evidence(
        document_id=doc,
        document=f"{doc[0]}.md",
        passage_id=f"{doc[:16]}:0",
        page=None,
        section=["1 Scope"],
        quote=quote,
        start=start,
        end=end,
        score=0.7,
    )


def _practice(
    pid: str, status: Status, evidence: list[Evidence], mandatory: bool = True
) -> PracticeCoverage:
    return PracticeCoverage(
        id=pid,
        title=f"Practice {pid}",
        type="BP",
        mandatory=mandatory,
        status=status,
        score=0.6 if status is not Status.GAP else 0.1,
        confidence=0.8,
        guidance="" if status is Status.COVERED else "Write it down.",
        rationale="engine",
        evidence=evidence,
    )


def _report(
    practices: list[PracticeCoverage], documents: tuple[str, ...] = (DOC_A, DOC_B)
) -> CoverageReport:
    clause = ClauseCoverage(
        id="T.1", chapter="5", title="Clause", status=Status.PARTIAL, score=0.5, practices=practices
    )
    from qmsgap.mapping.rollup import gap_list, summarize

    return CoverageReport(
        qmsgap_version="0",
        embedder="fake",
        framework=FrameworkRef(id="tiny", version="1", title="Tiny"),
        software_type="II",
        documents=[
            DocumentEntry(id=d, document=f"{d[0]}.md", format="markdown") for d in documents
        ],
        clauses=[clause],
        gaps=gap_list([clause]),
        summary=summarize([clause]),
    )


def test_rejected_evidence_is_removed_and_accepted_marked_or_added_back() -> None:
    report = _report(
        [
            _practice("T.1.1", Status.COVERED, [_evidence(DOC_A, 10, 50), _evidence(DOC_B, 0, 30)]),
            _practice("T.1.2", Status.GAP, []),
        ]
    )
    decisions = [
        # overlaps the engine's span 10-50 of DOC_A: the item is hidden
        EvidenceDecision("T.1.1", "rejected", _evidence(DOC_A, 20, 40)),
        EvidenceDecision("T.1.1", "accepted", _evidence(DOC_B, 0, 30)),
        # not proposed by the engine: added back as the reviewer's
        EvidenceDecision("T.1.2", "accepted", _evidence(DOC_B, 100, 140, "missed passage")),
        # its document is not part of the analysis: not shown
        EvidenceDecision("T.1.2", "accepted", _evidence("c" * 64, 0, 10)),
    ]
    reviewed = apply_reviews(report, decisions, [])
    first = reviewed.practice("T.1.1")
    assert [(e.document_id, e.review, e.origin) for e in first.evidence] == [
        (DOC_B, "accepted", "engine")
    ]
    second = reviewed.practice("T.1.2")
    assert [(e.quote, e.origin, e.review) for e in second.evidence] == [
        ("missed passage", "reviewer", "accepted")
    ]
    assert second.status is Status.GAP and second.status_source == "engine"
    assert report.practice("T.1.1").evidence[0].document_id == DOC_A  # input untouched


def test_manual_status_wins_and_rollups_are_recomputed() -> None:
    report = _report([_practice("T.1.1", Status.GAP, []), _practice("T.1.2", Status.COVERED, [])])
    assert report.summary.gap == 1 and report.gaps[0].practice_id == "T.1.1"
    when = datetime(2025, 3, 4, tzinfo=UTC)
    reviewed = apply_reviews(
        report,
        [],
        [ManualStatus("T.1.1", Status.COVERED, "Seen in the SCM plan", "c@x.example", when)],
    )
    practice = reviewed.practice("T.1.1")
    assert practice.status is Status.COVERED and practice.status_source == "manual"
    assert practice.rationale == "Set by c@x.example on 2025-03-04: Seen in the SCM plan"
    assert practice.guidance == ""
    assert reviewed.clauses[0].status is Status.COVERED and reviewed.clauses[0].score == 1.0
    assert reviewed.summary.covered == 2 and reviewed.summary.readiness == 100.0
    assert reviewed.gaps == []


def test_manual_gap_gets_guidance_naming_the_reviewer_rating() -> None:
    report = _report([_practice("T.1.1", Status.COVERED, [])])
    reviewed = apply_reviews(
        report,
        [],
        [ManualStatus("T.1.1", Status.GAP, "Only a draft", "a@x.example", datetime.now(UTC))],
    )
    assert reviewed.practice("T.1.1").guidance == "A reviewer rated this practice gap: Only a draft"
    assert [g.practice_id for g in reviewed.gaps] == ["T.1.1"]


def test_diff_classifies_status_moves_and_evidence_changes() -> None:
    base = _report(
        [
            _practice("T.1.1", Status.GAP, []),
            _practice("T.1.2", Status.COVERED, [_evidence(DOC_A, 0, 10)]),
            _practice("T.1.3", Status.PARTIAL, [_evidence(DOC_A, 0, 10)]),
            _practice("T.1.4", Status.COVERED, [_evidence(DOC_A, 5, 9)]),
        ],
        documents=(DOC_A,),
    )
    head = _report(
        [
            _practice("T.1.1", Status.COVERED, [_evidence(DOC_B, 0, 20)]),
            _practice("T.1.2", Status.PARTIAL, [_evidence(DOC_A, 0, 10)]),
            _practice("T.1.3", Status.PARTIAL, [_evidence(DOC_B, 3, 8)]),
            _practice("T.1.4", Status.COVERED, [_evidence(DOC_A, 5, 9)]),
        ],
        documents=(DOC_A, DOC_B),
    )
    result = diff_reports(base, head, base_id="b" * 32, head_id="h" * 32)
    changes = {p.id: p.change for c in result.clauses for p in c.practices}
    assert changes == {"T.1.1": "improved", "T.1.2": "regressed", "T.1.3": "changed"}
    improved = next(p for p in result.clauses[0].practices if p.id == "T.1.1")
    assert improved.status_before is Status.GAP and improved.status_after is Status.COVERED
    assert improved.score_delta == pytest.approx(0.5)
    assert [e.document_id for e in improved.evidence_added] == [DOC_B]
    moved = next(p for p in result.clauses[0].practices if p.id == "T.1.3")
    assert [e.start for e in moved.evidence_removed] == [0] and [
        e.start for e in moved.evidence_added
    ] == [3]
    assert (result.summary.improved, result.summary.regressed, result.summary.changed) == (1, 1, 1)
    assert result.summary.unchanged == 1
    assert [(d.document, d.change) for d in result.documents] == [("b.md", "added")]
    everything = diff_reports(
        base, head, base_id="b" * 32, head_id="h" * 32, include_unchanged=True
    )
    assert len(everything.clauses[0].practices) == 4
