"""Fixtures of the evaluation tests: a tiny catalog with two processes and five practices."""

from __future__ import annotations

import pytest

from qmsgap.clauses.models import (
    Catalog,
    Chapter,
    Clause,
    Obligation,
    Practice,
    PracticeTypeRule,
)


def _practice(pid: str, title: str, requirement: str, keywords: tuple[str, ...]) -> Practice:
    return Practice(id=pid, type="BP", title=title, requirement=requirement, keywords=keywords)


def build_catalog() -> Catalog:
    audit = Clause(
        id="4.4",
        chapter="4",
        title="Performance evaluation",
        practices=(
            _practice(
                "4.4.1",
                "Internal audit programme",
                "Plan and perform internal audits of the quality management system.",
                ("internal audit", "audit programme"),
            ),
            _practice(
                "4.4.2",
                "Management review",
                "Top management reviews the quality management system at planned intervals.",
                ("management review",),
            ),
        ),
    )
    support = Clause(
        id="5.1",
        chapter="5",
        title="Documentation management",
        practices=(
            _practice(
                "5.1.1",
                "Document control",
                "Documents are reviewed and approved before release.",
                ("approval", "release"),
            ),
            _practice(
                "5.1.2",
                "Software bill of materials",
                "Maintain a software bill of materials for every release.",
                ("SBOM",),
            ),
            _practice(
                "5.1.3",
                "Record retention",
                "Records are retained for defined periods.",
                ("retention",),
            ),
        ),
    )
    return Catalog(
        id="tiny",
        version="1",
        title="Tiny test catalog",
        software_types=("I", "II"),
        practice_types=(
            PracticeTypeRule(
                key="BP",
                name="Basic practice",
                obligation={"I": Obligation.MANDATORY, "II": Obligation.MANDATORY},
            ),
        ),
        chapters=(Chapter(id="4", title="System"), Chapter(id="5", title="Support")),
        clauses=(audit, support),
    )


@pytest.fixture
def tiny_catalog() -> Catalog:
    return build_catalog()
