"""Evidence terms: the concepts a passage must mention to count as evidence for a practice.

A practice's ``evidence_terms`` is a list of concept groups, and evidence must mention one term
of every group (for example ``[[tool, compiler, toolchain], [validation, qualif*]]``). Terms
are matched case-insensitively on English word stems, multi-word terms as consecutive words,
and a trailing ``*`` matches any word starting with the text before it. The mapping engine does
the matching. This module holds the rules a term list must follow and the one-line form used
in CSV and XLSX cells: terms separated by ``|``, groups by ``;``
(``tool | compiler ; validation | qualif*``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

EvidenceTerms = tuple[tuple[str, ...], ...]

TERM_SEPARATOR = "|"
GROUP_SEPARATOR = ";"
WILDCARD = "*"

_CELL_GROUPS = re.compile(r"[;\n]")


@dataclass(frozen=True)
class TermProblem:
    """One broken rule: ``group`` and ``term`` are 0-based; ``term`` is None for the group."""

    group: int
    term: int | None
    message: str

    def describe(self) -> str:
        """The problem as a message naming its place, 1-based: "group 2, term 3: ..."."""
        where = f"evidence_terms group {self.group + 1}"
        if self.term is not None:
            where += f", term {self.term + 1}"
        return f"{where}: {self.message}"


def normalise_term(term: str) -> str:
    """A term with surrounding whitespace removed and inner whitespace runs made one space."""
    return " ".join(term.split())


def term_problems(groups: Sequence[Sequence[str]]) -> list[TermProblem]:
    """Every rule the groups break, in order.

    Rules: every group holds at least one term; every term is non-empty; ``*`` appears only
    once, at the end, directly after a word; a term contains neither ``;`` nor ``|`` (they
    separate groups and terms in table cells); no term is repeated within its group (compared
    case-insensitively).
    """
    problems: list[TermProblem] = []
    for gi, group in enumerate(groups):
        if not group:
            problems.append(TermProblem(gi, None, "is empty (a group needs at least one term)"))
            continue
        seen: dict[str, int] = {}
        for ti, raw in enumerate(group):
            term = normalise_term(raw)
            message = _term_problem(term)
            if message:
                problems.append(TermProblem(gi, ti, message))
                continue
            key = term.casefold()
            if key in seen:
                problems.append(
                    TermProblem(gi, ti, f"'{term}' repeats term {seen[key] + 1} of the same group")
                )
            seen.setdefault(key, ti)
    return problems


def _term_problem(term: str) -> str | None:
    if not term:
        return "is empty"
    for separator in (TERM_SEPARATOR, GROUP_SEPARATOR):
        if separator in term:
            return f"'{term}' contains '{separator}', which separates terms and groups in tables"
    if WILDCARD in term[:-1]:
        return f"'{term}': '*' may only end a term (e.g. 'qualif*')"
    if term.endswith(WILDCARD) and (len(term) == 1 or term[-2].isspace()):
        return f"'{term}': '*' must directly follow the start of a word (e.g. 'validat*')"
    return None


def format_evidence_terms(groups: Sequence[Sequence[str]]) -> str:
    """The one-line form: ``tool | compiler ; validation | qualif*`` (empty string: no groups)."""
    return f" {GROUP_SEPARATOR} ".join(f" {TERM_SEPARATOR} ".join(g) for g in groups)


def parse_evidence_terms(cell: str) -> EvidenceTerms:
    """Groups from a table cell: groups separated by ``;`` or line breaks, terms by ``|``.

    A blank cell means no groups. Empty groups and terms are kept (as empty) so that
    validation reports them with their position instead of dropping them silently.
    """
    text = cell.strip()
    if not text:
        return ()
    groups: list[tuple[str, ...]] = []
    for part in _CELL_GROUPS.split(text):
        if not part.strip():
            groups.append(())
            continue
        groups.append(tuple(normalise_term(t) for t in part.split(TERM_SEPARATOR)))
    return tuple(groups)
