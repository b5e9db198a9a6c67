"""Reviewers' decisions applied to an engine report.

Decisions belong to the workspace, not to one analysis, so they carry over to every later
analysis:

- rejected evidence is removed wherever the engine proposes it again (same practice, same
  document version, overlapping span);
- accepted evidence is marked ``review: accepted``; when the engine no longer proposes it, it is
  added back with ``origin: reviewer`` as long as its document version is part of the analysis;
- passages attached by a reviewer appear with ``origin: reviewer`` under the same rule;
- a manual status replaces the engine's (``status_source: manual``) with the reviewer's reason.

Clause statuses, clause scores, the gap list and the summary are then recomputed with the
engine's own rules (:mod:`qmsgap.mapping.rollup`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from qmsgap.mapping.rollup import clause_status, gap_list, summarize, weighted_credit
from qmsgap.mapping.schema import (
    ClauseCoverage,
    CoverageReport,
    Evidence,
    PracticeCoverage,
    Status,
)


@dataclass(frozen=True)
class EvidenceDecision:
    """A decision on one span of one document version for one practice."""

    practice_id: str
    decision: str  # 'accepted' | 'rejected'
    evidence: Evidence  # location and quote, taken from the server's canonical text

    def covers(self, item: Evidence) -> bool:
        mine = self.evidence
        return (
            item.document_id == mine.document_id and item.start < mine.end and mine.start < item.end
        )


@dataclass(frozen=True)
class ManualStatus:
    practice_id: str
    status: Status
    reason: str
    set_by: str
    set_at: datetime


def apply_reviews(
    report: CoverageReport,
    decisions: Iterable[EvidenceDecision],
    statuses: Iterable[ManualStatus],
) -> CoverageReport:
    """A copy of ``report`` with the decisions applied and the roll-ups recomputed."""
    by_practice: dict[str, list[EvidenceDecision]] = defaultdict(list)
    for decision in decisions:
        by_practice[decision.practice_id].append(decision)
    manual = {s.practice_id: s for s in statuses}
    available = {d.id for d in report.documents if d.format is not None}
    clauses: list[ClauseCoverage] = []
    for clause in report.clauses:
        practices = [
            _practice(p, by_practice.get(p.id, []), manual.get(p.id), available)
            for p in clause.practices
        ]
        credit = weighted_credit(practices)
        clauses.append(
            clause.model_copy(
                update={
                    "practices": practices,
                    "status": clause_status(practices),
                    "score": round(credit, 4) if credit is not None else 0.0,
                }
            )
        )
    return report.model_copy(
        update={"clauses": clauses, "gaps": gap_list(clauses), "summary": summarize(clauses)}
    )


def _practice(
    practice: PracticeCoverage,
    decisions: list[EvidenceDecision],
    manual: ManualStatus | None,
    available: set[str],
) -> PracticeCoverage:
    update: dict[str, object] = {}
    if decisions:
        update["evidence"] = _evidence(practice.evidence, decisions, available)
    if manual is not None:
        when = manual.set_at.strftime("%Y-%m-%d")
        update["status"] = manual.status
        update["status_source"] = "manual"
        update["rationale"] = f"Set by {manual.set_by} on {when}: {manual.reason}"
        if manual.status in (Status.COVERED, Status.NOT_APPLICABLE):
            update["guidance"] = ""
        elif not practice.guidance or practice.status is not manual.status:
            update["guidance"] = f"A reviewer rated this practice {manual.status.value}: " + (
                manual.reason
            )
    return practice.model_copy(update=update) if update else practice


def _evidence(
    items: list[Evidence], decisions: list[EvidenceDecision], available: set[str]
) -> list[Evidence]:
    rejected = [d for d in decisions if d.decision == "rejected"]
    accepted = [d for d in decisions if d.decision == "accepted"]
    kept: list[Evidence] = []
    matched: set[int] = set()
    for item in items:
        if any(d.covers(item) for d in rejected):
            continue
        hits = [i for i, d in enumerate(accepted) if d.covers(item)]
        if hits:
            matched.update(hits)
        kept.append(item.model_copy(update={"review": "accepted"}) if hits else item)
    for index, decision in enumerate(accepted):
        if index in matched or decision.evidence.document_id not in available:
            continue
        kept.append(
            decision.evidence.model_copy(update={"origin": "reviewer", "review": "accepted"})
        )
    return kept
