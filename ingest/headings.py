"""Find section headings in flowing text (PDF pages, plain text) and running page furniture.

A numbered line ("4.2.1 Control of documents", "7 Support", "Appendix A Forms") is only a
*candidate*. Table-of-contents entries, numbered list items, dates and table rows look the
same, so the candidates that are kept are the longest chain whose numbers follow each other
the way a document outline does (4 -> 4.1 -> 4.2 -> 5), preferring short, title-like lines.
Entries repeated later in the document (a table of contents) are dropped first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_NUMBERED = re.compile(
    r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,5})(?P<dot>\.?)\s+(?P<title>[^\W\d_][^\n]*)$"
)
_APPENDIX = re.compile(
    r"^(?P<word>Appendix|Annex|Attachment|Anhang|Anlage)\s+(?P<id>[A-Z]|\d{1,2})\b"
    r"(?:\s*[:.\-–—)]?\s*(?P<title>[^\n]*))?$",
)
_LEADER = re.compile(r"(\.\s?){4,}|…|_{4,}|\s\.\s\.")
_TRAILING_PAGE = re.compile(r"\s\d{1,3}$")
_STANDARD_BEFORE_NUMBER = re.compile(
    r"(ISO|IEC|IATF|VDA|EN|DIN|SAE|Part|Annex|Level|Type|Class|Rev\.?|Revision|Version)\s+\d+$",
    re.I,
)
# A numbered *paragraph* ("8.3 Audit results are reported to top management monthly and the")
# looks like a heading; headings rarely carry a finite verb or stop on a function word.
_SENTENCE_VERB = re.compile(r"\b(shall|must|should|will|is|are|was|were|has|have|may)\b", re.I)
_TRAILING_FUNCTION_WORD = re.compile(
    r"\b(the|a|an|of|in|to|and|or|with|for|by|on|at|from|as|that|which|per)$", re.I
)
_MAX_HEADING_CHARS = 120
_MAX_HEADING_WORDS = 14
_MAX_CANDIDATES = 1500


@dataclass(frozen=True)
class Candidate:
    """A line that looks like a numbered heading."""

    index: int
    number: tuple[int, ...]
    title: str
    appendix: bool = False

    @property
    def level(self) -> int:
        return 1 if self.appendix else len(self.number)

    @property
    def score(self) -> float:
        words = len(self.title.split())
        return 1.0 - 0.04 * min(words, 14)


def _title_like(title: str) -> bool:
    """Short, capitalised, not a sentence, not a table-of-contents line, mostly letters."""
    if not title[0].isupper() or len(title.split()) > _MAX_HEADING_WORDS:
        return False
    if title.endswith((".", ",", ";")) or _LEADER.search(title):
        return False
    if _TRAILING_FUNCTION_WORD.search(title):
        return False
    if len(title.split()) > 6 and _SENTENCE_VERB.search(title):
        return False
    if _TRAILING_PAGE.search(title) and not _STANDARD_BEFORE_NUMBER.search(title):
        return False
    letters = sum(ch.isalpha() for ch in title)
    return letters >= 2 and letters >= 0.5 * len(title.replace(" ", ""))


def parse_candidate(index: int, line: str) -> Candidate | None:
    """The numbered-heading reading of ``line``, or ``None`` when it is not heading-like."""
    if not line or len(line) > _MAX_HEADING_CHARS or not (line[0].isdigit() or line[0] == "A"):
        return None
    if _APPENDIX.match(line):
        return Candidate(index=index, number=(), title=line, appendix=True)
    match = _NUMBERED.match(line)
    if not match or not _title_like(match.group("title").strip()):
        return None
    number = tuple(int(part) for part in match.group("num").split("."))
    return Candidate(index=index, number=number, title=line) if number[0] <= 40 else None


def _follows(previous: tuple[int, ...] | None, number: tuple[int, ...]) -> bool:
    """Whether ``number`` may come right after ``previous`` in an outline."""
    if previous is None:
        if len(number) == 1:
            return number[0] <= 10
        return all(part <= 1 for part in number[1:])
    depth = len(number)
    if depth > len(previous) + 1:
        return False
    if number[: depth - 1] != previous[: depth - 1]:
        return False
    last = number[-1]
    if depth == len(previous) + 1:
        return last in (0, 1, 2)
    return previous[depth - 1] < last <= previous[depth - 1] + 3


class NumberedHeadingDetector:
    """Choose the numbered headings among the lines of a text.

    Options: ``min_chain`` is the fewest headings that count as an outline (a single "1 ..."
    line in a memo is more likely a list item).
    """

    def __init__(self, min_chain: int = 2) -> None:
        self.min_chain = min_chain

    def __call__(self, lines: Sequence[str]) -> dict[int, int]:
        """Map line index -> heading level for the lines judged to be headings."""
        candidates = [c for i, line in enumerate(lines) if (c := parse_candidate(i, line))]
        candidates = _drop_table_of_contents(candidates)[:_MAX_CANDIDATES]
        chosen = self._best_chain(candidates)
        if len(chosen) < self.min_chain:
            return {}
        return {c.index: c.level for c in chosen}

    def _best_chain(self, candidates: list[Candidate]) -> list[Candidate]:
        """Longest (highest scoring) chain; appendix headings reset the numbering."""
        segments: list[list[Candidate]] = [[]]
        appendices: list[Candidate] = []
        for candidate in candidates:
            if candidate.appendix:
                appendices.append(candidate)
                segments.append([])
            else:
                segments[-1].append(candidate)
        chosen: list[Candidate] = []
        for position, segment in enumerate(segments):
            if position > 0:
                chosen.append(appendices[position - 1])
            chosen.extend(_chain(segment, start_fresh=position == 0))
        return chosen


def _chain(candidates: list[Candidate], *, start_fresh: bool) -> list[Candidate]:
    """Dynamic programme over candidates: best[j] = best score of a chain ending in j."""
    count = len(candidates)
    if not count:
        return []
    best = [0.0] * count
    back = [-1] * count
    for j, cj in enumerate(candidates):
        if _follows(None, cj.number) or not start_fresh:
            best[j] = cj.score
        else:
            best[j] = float("-inf")
        for i in range(j):
            if best[i] == float("-inf") or not _follows(candidates[i].number, cj.number):
                continue
            score = best[i] + cj.score
            if score > best[j]:
                best[j] = score
                back[j] = i
    end = max(range(count), key=lambda k: best[k])
    if best[end] == float("-inf"):
        return []
    chain: list[Candidate] = []
    while end != -1:
        chain.append(candidates[end])
        end = back[end]
    chain.reverse()
    return chain


def _drop_table_of_contents(candidates: list[Candidate]) -> list[Candidate]:
    """A heading printed twice (table of contents, then body) keeps its last occurrence."""
    keys = [_key(c) for c in candidates]
    last = {key: i for i, key in enumerate(keys)}
    return [c for i, c in enumerate(candidates) if last[keys[i]] == i]


def _key(candidate: Candidate) -> str:
    return re.sub(r"\W+", " ", candidate.title).strip().lower()


_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|seite|p\.|pg\.?)\s*)?[-–]?\s*\d{1,4}\s*[-–]?"
    r"(?:\s*(?:of|/|von|de)\s*\d{1,4})?$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
_EDGE_LINES = 5


def running_lines(pages: Sequence[Sequence[str]]) -> list[set[int]]:
    """For every page, the indexes of its header/footer lines.

    A line among the first or last five of a page is page furniture when it is a page number
    ("Page 3 of 12", "- 3 -") or when the same line, digits ignored, sits at the top or bottom
    of at least half of the pages (and of at least two pages).
    """

    def edges(lines: Sequence[str]) -> list[int]:
        filled = [i for i, line in enumerate(lines) if line.strip()]
        return sorted(set(filled[:_EDGE_LINES] + filled[-_EDGE_LINES:]))

    page_edges = [edges(lines) for lines in pages]
    counts: Counter[str] = Counter()
    for lines, idx in zip(pages, page_edges, strict=True):
        counts.update({_furniture_key(lines[i]) for i in idx})
    needed = max(2, (len(pages) + 1) // 2)
    result: list[set[int]] = []
    for lines, idx in zip(pages, page_edges, strict=True):
        marked = set()
        for i in idx:
            line = lines[i].strip()
            if _PAGE_NUMBER.match(line) or (
                len(pages) >= 2 and counts[_furniture_key(line)] >= needed
            ):
                marked.add(i)
        result.append(marked)
    return result


def _furniture_key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split()).lower())
