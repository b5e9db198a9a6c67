"""Fixtures for mapping tests: a four-practice catalog, two documents, an engine whose status
depends only on the share of key terms found (so statuses are predictable with the fake
embedder)."""

from __future__ import annotations

import pytest

from qmsgap.clauses.models import Catalog, Chapter, Clause, Obligation, Practice, PracticeTypeRule
from qmsgap.mapping.cache import EmbeddingCache
from qmsgap.mapping.engine import MappingEngine
from qmsgap.mapping.scoring import Calibration


def _practice(pid: str, ptype: str, title: str, keywords: tuple[str, ...]) -> Practice:
    return Practice(
        id=pid,
        type=ptype,
        title=title,
        requirement=f"The organisation ensures {title.lower()}.",
        expected_evidence=(f"{title} procedure", f"{title} records"),
        keywords=keywords,
    )


@pytest.fixture
def catalog() -> Catalog:
    rules = (
        PracticeTypeRule(
            key="BP",
            name="Basic",
            obligation={"I": Obligation.MANDATORY, "II": Obligation.MANDATORY},
        ),
        PracticeTypeRule(
            key="AP",
            name="Advanced",
            obligation={"I": Obligation.OPTIONAL, "II": Obligation.MANDATORY},
        ),
    )
    return Catalog(
        id="mini",
        version="1",
        title="Mini",
        software_types=("I", "II"),
        practice_types=rules,
        chapters=(Chapter(id="5", title="Support"),),
        clauses=(
            Clause(
                id="5.5",
                chapter="5",
                title="Configuration management",
                practices=(
                    _practice("5.5.1", "BP", "Baselines", ("baseline", "git tag")),
                    _practice("5.5.2", "AP", "Configuration audits", ("configuration audit",)),
                ),
            ),
            Clause(
                id="5.10",
                chapter="5",
                title="Open source management",
                practices=(
                    _practice(
                        "5.10.1", "BP", "Licence review", ("open source licence", "copyleft")
                    ),
                ),
            ),
            Clause(
                id="6.10",
                chapter="5",
                title="Software deployment",
                practices=(_practice("6.10.1", "BP", "Deployment rules", ("ota", "rollback")),),
            ),
        ),
    )


# Only the share of key terms found decides: covered when all are found, gap when none.
KEYWORDS_ONLY = Calibration(
    weights={"keyword_coverage": 4.0},
    bias=0.0,
    cut_partial=1.0,
    cut_covered=3.0,
    evidence_min_score=0.0,
)


@pytest.fixture
def documents(make_document):
    return [
        make_document(
            "qp/cm.md",
            [
                (
                    ("4 Baselines",),
                    "A baseline is created for every release. The git tag names it.",
                ),
                (("5 Audits",), "A configuration audit checks every baseline before delivery."),
            ],
            title="Configuration Management Procedure",
        ),
        make_document(
            "qp/cal.pdf",
            [(("3 Calibration",), "Gauges are calibrated yearly. Records are kept for 10 years.")],
            title="Calibration",
            pages=True,
        ),
    ]


@pytest.fixture
def engine(settings, fake_embedder) -> MappingEngine:
    return MappingEngine(
        settings, fake_embedder, calibration=KEYWORDS_ONLY, cache=EmbeddingCache(None)
    )


@pytest.fixture
def keywords_only() -> Calibration:
    return KEYWORDS_ONLY
