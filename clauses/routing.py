"""Routing citations of other standards to catalog ids.

A supplier document that says "per ISO 9001 8.5.6", "IATF 16949 clause 8.3.2.3", "SUP.8 BP3" or
"ISO 26262-8:2018 clause 11" tells us which ASQMS practices it is about. :func:`find_references`
finds such citations in free text; :class:`ReferenceRouter` turns them into catalog ids through
the crosswalks (ISO 9001, IATF 16949, ASPICE) and, for every standard, through the references
that practices themselves carry (ISO 26262, ISO/SAE 21434, UNECE R155/R156 ...).

Matching is by clause prefix: a citation of 7.5.3.2 uses the 7.5.3 link ("parent" match); a
citation of 8.5 uses every 8.5.x link ("child" match); the relationship is adjusted accordingly.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from qmsgap.clauses.models import Catalog, Crosswalk, Relationship

Match = Literal["exact", "parent", "child"]

ISO_9001 = "ISO 9001:2015"
IATF_16949 = "IATF 16949:2016"
ASPICE = "ASPICE 4.0"
ISO_26262 = "ISO 26262:2018"
ISO_21434 = "ISO/SAE 21434:2021"
UNECE_R155 = "UNECE R155"
UNECE_R156 = "UNECE R156"

#: Cited editions that are routed like the edition qmsgap's data uses (same clause numbering).
_EDITION_ALIASES = {"ASPICE 3.1": ASPICE, "ISO 26262:2011": ISO_26262}


@dataclass(frozen=True)
class CitedReference:
    """One citation found in text. ``clause`` is "" when the whole standard is cited."""

    standard: str
    clause: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Route:
    """A catalog id a citation leads to, and how."""

    target: str
    relationship: Relationship
    via: str
    """Crosswalk id, or "practice-references" when found through a practice's own references."""
    source: str
    """The clause of the cited standard that matched (the crosswalk source or reference clause)."""
    match: Match
    rationale: str
    reference: CitedReference


_CLAUSE_WORD = (
    r"(?:clauses?|cl\.|sections?|sec\.|chapters?|chap\.|paragraphs?|para\.|§+|no\."
    r"|Abschnitte?|Abschn\.|Kapitel|Kap\.|Ziffer|Ziff\.|Punkt|Nr\.|第|条款|章节)"
)
_NUMBER = r"\d{1,2}(?:\.\d{1,2}){0,5}"
_DOTTED = r"\d{1,2}(?:\.\d{1,2}){1,5}"
_LIST_TAIL = rf"(?:\s*(?:,|;|&|/|\band\b|\bor\b)\s*{_DOTTED})*"
# A clause after the standard's name: "clause 7.5.3", "§ 8", "8.5.6", "7.5 and 8.5.6".
_CLAUSE_AFTER = (
    rf"(?:\s*[,;:(]?\s*(?:{_CLAUSE_WORD}\s*(?P<kw>{_NUMBER}{_LIST_TAIL})"
    rf"|(?P<bare>{_DOTTED}{_LIST_TAIL})))?"
)

_ISO9001 = re.compile(
    r"\b(?:DIN\s+)?(?:EN\s+)?ISO\s*9001(?:\s*[:/]\s*(?P<year>\d{4}))?" + _CLAUSE_AFTER,
    re.IGNORECASE,
)
_GBT19001 = re.compile(
    r"\bGB\s*/\s*T\s*19001(?:\s*[-–:]\s*(?P<year>\d{4}))?" + _CLAUSE_AFTER, re.IGNORECASE
)
_IATF = re.compile(
    r"\b(?:IATF|ISO\s*/\s*TS)(?:\s*16949)?(?:\s*[:/]\s*(?P<year>\d{4}))?" + _CLAUSE_AFTER,
    re.IGNORECASE,
)
_CLAUSE_BEFORE = re.compile(
    rf"\b{_CLAUSE_WORD}\s*(?P<clause>{_NUMBER})\s+(?:of|in)\s+(?:the\s+)?"
    r"(?P<std>IATF(?:\s*16949)?|ISO\s*9001)(?:\s*[:/]\s*(?P<year>\d{4}))?",
    re.IGNORECASE,
)
_ASPICE_PROCESS = re.compile(
    r"(?P<prefix>\b(?:Automotive\s+SPICE|A-?SPICE)(?:\s*(?:v|version\s*)?(?P<version>[34]\.\d))?"
    r"[\s,:]*(?:process\s+)?)?"
    r"\b(?P<group>ACQ|SPL|SYS|SWE|SUP|MAN|PIM|REU|VAL|MLE|HWE)\s*\.\s*(?P<number>\d{1,2})\b"
    r"(?:\s*[.\s]\s*BP\s*\.?\s*(?P<bp>\d{1,2})\b)?",
    re.IGNORECASE,
)
_ISO26262 = re.compile(
    r"\bISO\s*26262(?:\s*[-‐–]\s*(?P<part>\d{1,2}))?(?:\s*[:/]\s*(?P<year>\d{4}))?"
    rf"(?:\s*[,;(]?\s*{_CLAUSE_WORD}\s*(?P<clause>{_NUMBER}))?",
    re.IGNORECASE,
)
_ISO21434 = re.compile(
    r"\b(?:ISO\s*/\s*SAE|ISO|SAE)\s*21434(?:\s*[:/]\s*(?P<year>\d{4}))?" + _CLAUSE_AFTER,
    re.IGNORECASE,
)
_UNECE = re.compile(
    r"\b(?:UN\s*ECE|UNECE|UN)?[\s-]*(?:R|Regulation\s*(?:No\.?\s*)?)\s*(?P<number>155|156)\b"
    rf"(?:\s*[,;(]?\s*(?:(?:{_CLAUSE_WORD})\s*(?P<kw>{_NUMBER})"
    rf"|(?:para(?:graph)?\.?\s*)(?P<para>{_NUMBER})))?",
    re.IGNORECASE,
)


#: Every citation contains one of these; text without them is skipped cheaply.
_PREFILTER = re.compile(
    r"9001|16949|26262|21434|15[56]|\b(?:ACQ|SPL|SYS|SWE|SUP|MAN|PIM|REU|VAL|MLE|HWE)\s*\.",
    re.IGNORECASE,
)


def _is_year(value: str) -> bool:
    return re.fullmatch(r"(?:19|20)\d\d", value) is not None


def _split_clauses(value: str | None) -> list[str]:
    if not value:
        return [""]
    parts = re.split(r"\s*(?:,|;|&|/|\band\b|\bor\b)\s*", value, flags=re.IGNORECASE)
    return [p.rstrip(".") for p in parts if p and not _is_year(p)] or [""]


def _iso_edition(year: str | None, default: str, base: str) -> str:
    if year is None or default.endswith(year):
        return default
    return f"{base}:{year}"


def find_references(text: str) -> list[CitedReference]:
    """Every citation of a known standard in ``text``, in order of appearance.

    Known: ISO 9001 (and GB/T 19001-2016, its identical Chinese adoption), IATF 16949 (and
    ISO/TS 16949), ASPICE process ids (with optional base
    practice), ISO 26262 (part and clause), ISO/SAE 21434, UNECE R155/R156. Citations of other
    editions keep their edition (e.g. "ISO 9001:2008") so that they are not routed by the
    2015 crosswalk.
    """
    if not _PREFILTER.search(text):
        return []
    return _find(text)


def _find(text: str) -> list[CitedReference]:
    found: list[CitedReference] = []
    taken: list[tuple[int, int]] = []

    def add(standard: str, clauses: Iterable[str], match: re.Match[str]) -> None:
        span = (match.start(), match.end())
        if any(s < span[1] and span[0] < e for s, e in taken):
            return
        taken.append(span)
        for clause in clauses:
            found.append(CitedReference(standard, clause, match.group(0).strip(), *span))

    for match in _CLAUSE_BEFORE.finditer(text):
        is_iatf = match.group("std").upper().startswith("IATF")
        standard = (
            _iso_edition(match.group("year"), IATF_16949, "IATF 16949")
            if is_iatf
            else _iso_edition(match.group("year"), ISO_9001, "ISO 9001")
        )
        add(standard, [match.group("clause").rstrip(".")], match)
    for match in _ISO9001.finditer(text):
        standard = _iso_edition(match.group("year"), ISO_9001, "ISO 9001")
        add(standard, _split_clauses(match.group("kw") or match.group("bare")), match)
    for match in _GBT19001.finditer(text):  # China's identical adoption of ISO 9001
        year = match.group("year")
        standard = ISO_9001 if year in (None, "2016") else f"GB/T 19001-{year}"
        add(standard, _split_clauses(match.group("kw") or match.group("bare")), match)
    for match in _IATF.finditer(text):
        if match.group(0).upper().replace(" ", "").startswith("ISO/TS"):
            standard = "ISO/TS 16949"
        else:
            standard = _iso_edition(match.group("year"), IATF_16949, "IATF 16949")
        clauses = _split_clauses(match.group("kw") or match.group("bare"))
        if "16949" not in match.group(0) and clauses == [""]:
            continue  # a bare "IATF" is an organisation, not a citation
        add(standard, clauses, match)
    for match in _ASPICE_PROCESS.finditer(text):
        version = match.group("version")
        standard = f"ASPICE {version}" if version else ASPICE
        clause = f"{match.group('group').upper()}.{int(match.group('number'))}"
        if match.group("bp"):
            clause += f".BP{int(match.group('bp'))}"
        add(standard, [clause], match)
    for match in _ISO26262.finditer(text):
        year = match.group("year")
        standard = ISO_26262 if year in (None, "2018") else f"ISO 26262:{year}"
        part, clause = match.group("part"), match.group("clause")
        value = f"{int(part)}-{clause.rstrip('.')}" if part and clause else (part or "")
        add(standard, [value], match)
    for match in _ISO21434.finditer(text):
        year = match.group("year")
        standard = ISO_21434 if year in (None, "2021") else f"ISO/SAE 21434:{year}"
        add(standard, _split_clauses(match.group("kw") or match.group("bare")), match)
    for match in _UNECE.finditer(text):
        standard = UNECE_R155 if match.group("number") == "155" else UNECE_R156
        clause = (match.group("kw") or match.group("para") or "").rstrip(".")
        add(standard, [clause], match)
    found.sort(key=lambda ref: ref.start)
    return found


def _match(cited: str, source: str) -> Match | None:
    """How a cited clause relates to a data clause: same, narrower ("parent" exists) or broader."""
    if not cited or not source:
        return None
    c, s = cited.upper(), source.upper()
    if c == s:
        return "exact"
    if c.startswith(s + ".") or c.startswith(s + "-"):
        return "parent"
    if s.startswith(c + ".") or s.startswith(c + "-"):
        return "child"
    return None


def _derive(relationship: Relationship, match: Match) -> Relationship:
    """The relationship of the *cited* clause to the targets, given how it matched the link."""
    if match == "exact":
        return relationship
    if match == "parent":  # cited clause is narrower than the link's source
        return "subset" if relationship in ("equal", "subset") else "intersect"
    return "superset" if relationship in ("equal", "superset") else "intersect"


class ReferenceRouter:
    """Routes citations to ids of one catalog, through crosswalks and practice references.

    Usable directly as the mapping engine's ``CitationRouter`` (``router(text) -> set[str]``).
    """

    def __init__(
        self,
        catalog: Catalog,
        crosswalks: Sequence[Crosswalk] = (),
        *,
        broad_limit: int = 12,
    ) -> None:
        """``broad_limit``: a citation broader than any reference clause ("UNECE R155",
        "ISO 26262-6") routes to the practices referencing clauses under it only if there are
        at most this many; broader citations say too little to route."""
        self.catalog = catalog
        self.broad_limit = broad_limit
        self._clause_of = {p.id: c.id for c, p in catalog.iter_practices()}
        self.crosswalks = [c for c in crosswalks if c.target_catalog == catalog.id]
        self._by_standard: dict[str, list[tuple[str, Crosswalk, int]]] = {}
        for crosswalk in self.crosswalks:
            for index, link in enumerate(crosswalk.links):
                entry = (link.source, crosswalk, index)
                self._by_standard.setdefault(crosswalk.source_standard, []).append(entry)
        self._cache: dict[tuple[str, str], list[Route]] = {}
        self._practice_refs: dict[str, list[tuple[str, str]]] = {}
        for _, practice in catalog.iter_practices():
            for ref in practice.references:
                self._practice_refs.setdefault(ref.standard, []).append((ref.clause, practice.id))

    def route(self, reference: CitedReference) -> list[Route]:
        """The catalog ids ``reference`` leads to: crosswalk links first (exact match, else the
        nearest parent, else all children), then practices that reference the same clause.
        Each target appears once."""
        key = (reference.standard, reference.clause)
        if key not in self._cache:
            self._cache[key] = self._route_uncached(reference)
        return [dataclasses.replace(r, reference=reference) for r in self._cache[key]]

    def _route_uncached(self, reference: CitedReference) -> list[Route]:
        standard = _EDITION_ALIASES.get(reference.standard, reference.standard)
        routes: list[Route] = []
        seen: set[str] = set()

        def add(route: Route) -> None:
            if route.target not in seen:
                seen.add(route.target)
                routes.append(route)

        crosswalk_routes = self._crosswalk_routes(standard, reference)
        for route in crosswalk_routes:
            add(route)
        for route in self._reference_routes(standard, reference):
            # With crosswalk routes, practice references only refine them: keep practices that
            # are crosswalk targets or lie under a crosswalk target clause.
            if crosswalk_routes and not (
                route.target in seen or self._clause_of.get(route.target) in seen
            ):
                continue
            add(route)
        return routes

    def _reference_routes(self, standard: str, reference: CitedReference) -> list[Route]:
        entries = self._practice_refs.get(standard, [])
        if reference.clause:
            matched = [(c, pid, _match(reference.clause, c)) for c, pid in entries]
        else:
            matched = [(c, pid, "child") for c, pid in entries]
        chosen = [m for m in matched if m[2] == "exact"]
        if not chosen:
            parents = [m for m in matched if m[2] == "parent"]
            longest = max((len(c) for c, _, _ in parents), default=0)
            chosen = [m for m in parents if len(m[0]) == longest]
        if not chosen:
            broad = [m for m in matched if m[2] == "child"]
            if len({pid for _, pid, _ in broad}) <= self.broad_limit:
                chosen = broad
        routes: list[Route] = []
        for clause, practice_id, match in chosen:
            assert match is not None
            where = f"{standard} {clause}".strip()
            routes.append(
                Route(
                    target=practice_id,
                    relationship=_derive("intersect", match),
                    via="practice-references",
                    source=clause,
                    match=match,
                    rationale=f"practice {practice_id} references {where}",
                    reference=reference,
                )
            )
        return routes

    def _crosswalk_routes(self, standard: str, reference: CitedReference) -> list[Route]:
        entries = self._by_standard.get(standard, [])
        matched = [(source, cw, i, _match(reference.clause, source)) for source, cw, i in entries]
        exact = [m for m in matched if m[3] == "exact"]
        parents = sorted(
            (m for m in matched if m[3] == "parent"), key=lambda m: len(m[0]), reverse=True
        )
        children = [m for m in matched if m[3] == "child"]
        chosen = exact or parents[:1] or children
        routes: list[Route] = []
        for source, crosswalk, index, match in chosen:
            assert match is not None
            link = crosswalk.links[index]
            routes.extend(
                Route(
                    target=target,
                    relationship=_derive(link.relationship, match),
                    via=crosswalk.id,
                    source=source,
                    match=match,
                    rationale=link.rationale,
                    reference=reference,
                )
                for target in link.targets
            )
        return routes

    def route_text(self, text: str) -> list[Route]:
        """Routes of every citation found in ``text``, in order."""
        routes: list[Route] = []
        for reference in find_references(text):
            routes.extend(self.route(reference))
        return routes

    def __call__(self, text: str) -> set[str]:
        """The catalog ids cited in ``text`` (the mapping engine's CitationRouter)."""
        return {route.target for route in self.route_text(text)}
