"""From practice results to clause status, readiness, the prioritized gap list and guidance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from qmsgap.clauses.models import Practice
from qmsgap.mapping.schema import (
    STATUS_CREDIT,
    ClauseCoverage,
    GapItem,
    PracticeCoverage,
    Status,
    Summary,
)

MANDATORY_WEIGHT = 2.0
OPTIONAL_WEIGHT = 1.0


def _weight(practice: PracticeCoverage) -> float:
    return MANDATORY_WEIGHT if practice.mandatory else OPTIONAL_WEIGHT


def weighted_credit(practices: Sequence[PracticeCoverage]) -> float | None:
    """Mean credit (covered 1, partial 0.5, gap 0) of applicable practices, mandatory ones
    weighted double; ``None`` when no practice is applicable."""
    applicable = [p for p in practices if p.status is not Status.NOT_APPLICABLE]
    total = sum(_weight(p) for p in applicable)
    if not total:
        return None
    return sum(_weight(p) * STATUS_CREDIT[p.status] for p in applicable) / total


def clause_status(practices: Sequence[PracticeCoverage]) -> Status:
    """A clause is covered when all its mandatory practices are (all practices if none is
    mandatory), a gap when none of them is even partly covered, partial otherwise."""
    applicable = [p for p in practices if p.status is not Status.NOT_APPLICABLE]
    if not applicable:
        return Status.NOT_APPLICABLE
    deciding = [p for p in applicable if p.mandatory] or applicable
    statuses = {p.status for p in deciding}
    if statuses == {Status.COVERED}:
        return Status.COVERED
    if statuses == {Status.GAP}:
        return Status.GAP
    return Status.PARTIAL


def guidance(practice: Practice, status: Status, missing_aspects: Sequence[str]) -> str:
    """What to write next, drawn from the catalog's expected evidence."""
    evidence = list(practice.expected_evidence)
    if status is Status.GAP:
        wanted = "; ".join(evidence[:4]) if evidence else "a documented provision"
        requirement = _lower_first(practice.requirement)
        return f"Nothing found. Write: {wanted}. It must show that {requirement}"
    if status is Status.PARTIAL:
        if missing_aspects:
            return "Partly addressed. Not found: " + "; ".join(missing_aspects) + "."
        wanted = "; ".join(evidence[:3]) if evidence else "the specific provisions"
        return f"Partly addressed or only generic. Make explicit for software: {wanted}."
    return ""


def _lower_first(text: str) -> str:
    text = text.strip()
    return text[:1].lower() + text[1:] if text else text


def gap_list(clauses: Sequence[ClauseCoverage]) -> list[GapItem]:
    """Mandatory gaps first, then mandatory partials, then optional gaps and partials; catalog
    order within each group."""
    order = {
        (True, Status.GAP): 0,
        (True, Status.PARTIAL): 1,
        (False, Status.GAP): 2,
        (False, Status.PARTIAL): 3,
    }
    pending = [
        (order[(p.mandatory, p.status)], position, clause.id, p)
        for position, (clause, p) in enumerate((c, p) for c in clauses for p in c.practices)
        if (p.mandatory, p.status) in order
    ]
    pending.sort(key=lambda item: (item[0], item[1]))
    return [
        GapItem(
            rank=rank,
            practice_id=p.id,
            clause_id=clause_id,
            title=p.title,
            type=p.type,
            mandatory=p.mandatory,
            status=p.status,
            guidance=p.guidance,
        )
        for rank, (_, _, clause_id, p) in enumerate(pending, start=1)
    ]


def summarize(clauses: Sequence[ClauseCoverage]) -> Summary:
    practices = [p for c in clauses for p in c.practices]
    counts = Counter(p.status for p in practices)
    credit = weighted_credit(practices)
    clause_counts = Counter(c.status for c in clauses)
    return Summary(
        covered=counts[Status.COVERED],
        partial=counts[Status.PARTIAL],
        gap=counts[Status.GAP],
        not_applicable=counts[Status.NOT_APPLICABLE],
        readiness=round(100.0 * credit, 1) if credit is not None else 0.0,
        mandatory_gaps=sum(1 for p in practices if p.mandatory and p.status is Status.GAP),
        clauses={status: clause_counts[status] for status in Status},
    )
