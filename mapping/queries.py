"""Queries: each practice becomes several searches.

A practice is looked for the way an auditor would look for it: by what it requires (the
paraphrase), by the records that would prove it (expected evidence), by the words suppliers
use for it (key terms), and lexically by its title and key terms. Each dense query is a short,
focused text, because one long query averages its meanings away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qmsgap.clauses.models import Catalog, Clause, Practice

_MAX_EVIDENCE_QUERIES = 4


@dataclass(frozen=True)
class PracticeQueries:
    """The searches for one practice."""

    clause: Clause
    practice: Practice
    dense: tuple[str, ...]
    lexical: str
    keywords: tuple[str, ...]
    aspects: tuple[tuple[str, str], ...]
    """(expected-evidence item, the dense query that looks for it)"""

    @property
    def id(self) -> str:
        return self.practice.id


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def build_queries(clause: Clause, practice: Practice) -> PracticeQueries:
    """The dense and lexical queries for ``practice``.

    ``aspects`` are the (first few) expected-evidence items, each searched separately so a
    partial match can say what is missing.
    """
    title = _clean(practice.title)
    requirement = _clean(practice.requirement)
    dense = [f"{title}. {requirement}"]
    evidence = [_clean(e) for e in practice.expected_evidence if e.strip()]
    aspects = tuple((item, f"{title}: {item}") for item in evidence[:_MAX_EVIDENCE_QUERIES])
    dense.extend(query for _, query in aspects)
    keywords = tuple(dict.fromkeys(k.strip() for k in practice.keywords if k.strip()))
    if keywords:
        dense.append(f"{clause.title}: {', '.join(keywords)}")
    lexical = " ".join([title, clause.title, *keywords])
    return PracticeQueries(
        clause=clause,
        practice=practice,
        dense=tuple(dict.fromkeys(dense)),
        lexical=lexical,
        keywords=keywords,
        aspects=aspects,
    )


def catalog_queries(catalog: Catalog) -> list[PracticeQueries]:
    """Queries for every practice of ``catalog``, in catalog order."""
    return [build_queries(clause, practice) for clause, practice in catalog.iter_practices()]
