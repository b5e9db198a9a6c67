"""What changed between two analyses of a workspace, per clause and per practice.

Both reports are compared with the reviews applied, as users see them. A practice is
``improved`` when its status moved up (gap < partial < covered), ``regressed`` when it moved
down, ``changed`` when it moved to or from not applicable or only its evidence changed, and
``unchanged`` otherwise. Evidence items are told apart by document version and span.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from qmsgap.mapping.schema import CoverageReport, Evidence, Status

Change = Literal["improved", "regressed", "changed", "unchanged", "added", "removed"]
_RANK = {Status.GAP: 0, Status.PARTIAL: 1, Status.COVERED: 2}


class EvidenceRef(BaseModel):
    document_id: str
    document: str
    page: int | None
    start: int
    end: int
    quote: str
    origin: Literal["engine", "reviewer"]


class PracticeDiff(BaseModel):
    id: str
    clause_id: str
    title: str
    change: Change
    status_before: Status | None
    status_after: Status | None
    source_before: Literal["engine", "manual"] | None
    source_after: Literal["engine", "manual"] | None
    score_before: float | None
    score_after: float | None
    score_delta: float
    evidence_added: list[EvidenceRef] = Field(default_factory=list)
    evidence_removed: list[EvidenceRef] = Field(default_factory=list)


class ClauseDiff(BaseModel):
    id: str
    title: str
    change: Change
    status_before: Status | None
    status_after: Status | None
    score_before: float | None
    score_after: float | None
    score_delta: float
    practices: list[PracticeDiff]


class DocumentChange(BaseModel):
    document: str
    change: Literal["added", "removed", "updated"]
    sha256_before: str | None
    sha256_after: str | None


class DiffSummary(BaseModel):
    improved: int
    regressed: int
    changed: int
    unchanged: int
    readiness_before: float
    readiness_after: float
    readiness_delta: float
    mandatory_gaps_before: int
    mandatory_gaps_after: int


class AnalysisDiff(BaseModel):
    """The answer of ``GET /workspaces/{id}/diff``."""

    base_analysis_id: str
    head_analysis_id: str
    summary: DiffSummary
    documents: list[DocumentChange]
    clauses: list[ClauseDiff] = Field(
        description="Clauses with at least one changed practice (all of them with ?all=true)."
    )


def _key(item: Evidence) -> tuple[str, int, int]:
    return (item.document_id, item.start, item.end)


def _ref(item: Evidence) -> EvidenceRef:
    return EvidenceRef(
        document_id=item.document_id,
        document=item.document,
        page=item.page,
        start=item.start,
        end=item.end,
        quote=item.quote,
        origin=item.origin,
    )


def _change(before: Status | None, after: Status | None, evidence_moved: bool) -> Change:
    if before is None:
        return "added"
    if after is None:
        return "removed"
    if before in _RANK and after in _RANK and before is not after:
        return "improved" if _RANK[after] > _RANK[before] else "regressed"
    if before is not after or evidence_moved:
        return "changed"
    return "unchanged"


def diff_reports(
    base: CoverageReport,
    head: CoverageReport,
    *,
    base_id: str,
    head_id: str,
    include_unchanged: bool = False,
) -> AnalysisDiff:
    """Compare two (reviewed) reports of the same workspace."""
    before = {p.id: (c, p) for c in base.clauses for p in c.practices}
    after = {p.id: (c, p) for c in head.clauses for p in c.practices}
    order = [p.id for c in head.clauses for p in c.practices]
    order += [pid for pid in before if pid not in after]
    counts = {"improved": 0, "regressed": 0, "changed": 0, "unchanged": 0}
    per_clause: dict[str, list[PracticeDiff]] = {}
    for pid in order:
        old = before.get(pid)
        new = after.get(pid)
        old_items = {_key(e): e for e in old[1].evidence} if old else {}
        new_items = {_key(e): e for e in new[1].evidence} if new else {}
        added = [_ref(e) for k, e in new_items.items() if k not in old_items]
        removed = [_ref(e) for k, e in old_items.items() if k not in new_items]
        status_before = old[1].status if old else None
        status_after = new[1].status if new else None
        change = _change(status_before, status_after, bool(added or removed))
        if change in counts:
            counts[change] += 1
        else:
            counts["changed"] += 1
        clause, practice = new or old  # type: ignore[misc]
        score_before = old[1].score if old else None
        score_after = new[1].score if new else None
        per_clause.setdefault(clause.id, []).append(
            PracticeDiff(
                id=pid,
                clause_id=clause.id,
                title=practice.title,
                change=change,
                status_before=status_before,
                status_after=status_after,
                source_before=old[1].status_source if old else None,
                source_after=new[1].status_source if new else None,
                score_before=score_before,
                score_after=score_after,
                score_delta=round((score_after or 0.0) - (score_before or 0.0), 4),
                evidence_added=added,
                evidence_removed=removed,
            )
        )
    clauses = _clauses(base, head, per_clause, include_unchanged)
    return AnalysisDiff(
        base_analysis_id=base_id,
        head_analysis_id=head_id,
        summary=DiffSummary(
            **counts,
            readiness_before=base.summary.readiness,
            readiness_after=head.summary.readiness,
            readiness_delta=round(head.summary.readiness - base.summary.readiness, 1),
            mandatory_gaps_before=base.summary.mandatory_gaps,
            mandatory_gaps_after=head.summary.mandatory_gaps,
        ),
        documents=_documents(base, head),
        clauses=clauses,
    )


def _clauses(
    base: CoverageReport,
    head: CoverageReport,
    per_clause: dict[str, list[PracticeDiff]],
    include_unchanged: bool,
) -> list[ClauseDiff]:
    old = {c.id: c for c in base.clauses}
    new = {c.id: c for c in head.clauses}
    ids = [c.id for c in head.clauses] + [c.id for c in base.clauses if c.id not in new]
    out: list[ClauseDiff] = []
    for clause_id in ids:
        practices = per_clause.get(clause_id, [])
        changed = [p for p in practices if p.change != "unchanged"]
        if not changed and not include_unchanged:
            continue
        a, b = old.get(clause_id), new.get(clause_id)
        reference = b or a
        assert reference is not None
        status_before = a.status if a else None
        status_after = b.status if b else None
        out.append(
            ClauseDiff(
                id=clause_id,
                title=reference.title,
                change=_change(status_before, status_after, bool(changed)),
                status_before=status_before,
                status_after=status_after,
                score_before=a.score if a else None,
                score_after=b.score if b else None,
                score_delta=round((b.score if b else 0.0) - (a.score if a else 0.0), 4),
                practices=practices if include_unchanged else changed,
            )
        )
    return out


def _documents(base: CoverageReport, head: CoverageReport) -> list[DocumentChange]:
    old = {d.document: d.id for d in base.documents}
    new = {d.document: d.id for d in head.documents}
    changes: list[DocumentChange] = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            changes.append(
                DocumentChange(
                    document=name, change="added", sha256_before=None, sha256_after=new[name]
                )
            )
        elif name not in new:
            changes.append(
                DocumentChange(
                    document=name, change="removed", sha256_before=old[name], sha256_after=None
                )
            )
        elif old[name] != new[name]:
            changes.append(
                DocumentChange(
                    document=name, change="updated", sha256_before=old[name], sha256_after=new[name]
                )
            )
    return changes
