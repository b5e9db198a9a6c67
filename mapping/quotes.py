"""Quotes: the most relevant sentences of an evidence passage, as an exact slice of the text.

A passage is split into sentence-like segments (sentences, list items, table rows); each segment
is scored against the practice; the best one, extended by a neighbour when that one is nearly as
relevant or the best is too short to stand alone, becomes the quote. Offsets are computed from
the passage's own offsets, and every quote is checked against the canonical text before use: a
quote that is not verbatim is a bug and raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qmsgap.ingest.models import ParsedDocument, Passage

# A boundary after sentence punctuation followed by whitespace and a capital, or a line break.
_BOUNDARY = re.compile(r"(?<=[.!?;])[ \t]+(?=[\"'(\[]?[A-Z])|\s*\n\s*")
# Words ending in a full stop that do not end a sentence.
_ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|cl|no|nr|rev|fig|approx|ca|vs|etc|incl|ref|sec|para|resp|min|max|"
    r"Mr|Ms|Dr|Prof|Dipl|Ing|St)|\b[A-Z])\.$",
    re.IGNORECASE,
)
_MIN_QUOTE_CHARS = 120
_MAX_QUOTE_CHARS = 450
_NEIGHBOUR_RATIO = 0.5


class QuoteMismatch(AssertionError):
    """A quote is not the exact slice of the canonical text it claims to be (a bug)."""


@dataclass(frozen=True)
class Segment:
    start: int  # offset within the passage text
    end: int
    text: str


def _wrapped_line(text: str, match: re.Match[str]) -> bool:
    """A single line break inside a sentence: the next line starts in lower case (or with
    punctuation) after a line that does not end a sentence, as PDF text wraps."""
    gap = match.group()
    if gap.count("\n") != 1:
        return False
    before = text[: match.start()].rstrip()
    after = text[match.end() : match.end() + 1]
    return bool(before) and before[-1] not in ".!?;:|" and (after.islower() or after in ",;)")


def segments(text: str) -> list[Segment]:
    """Sentence-like pieces of ``text`` with offsets, surrounding whitespace trimmed."""
    out: list[Segment] = []
    position = 0
    for match in [*_BOUNDARY.finditer(text), None]:
        end = match.start() if match else len(text)
        if match and "\n" not in match.group() and _ABBREVIATION.search(text[position:end]):
            continue  # "e.g. ISO", "cl. 7" : the sentence goes on
        if match and _wrapped_line(text, match):
            continue  # a line broken by the page layout, not a new item
        piece = text[position:end]
        stripped = piece.strip()
        if stripped:
            start = position + (len(piece) - len(piece.lstrip()))
            out.append(Segment(start, start + len(stripped), stripped))
        if match:
            position = match.end()
    return out


def best_span(segs: list[Segment], scores: np.ndarray) -> tuple[int, int]:
    """``(start, end)`` within the passage: the best segment, grown by its better neighbour
    while that neighbour is nearly as relevant or the quote is still too short."""
    if not segs:
        raise ValueError("a passage without text has no quote")
    best = int(np.argmax(scores))
    lo = hi = best
    while True:
        left = lo - 1 if lo > 0 else None
        right = hi + 1 if hi + 1 < len(segs) else None
        options = [i for i in (left, right) if i is not None]
        if not options:
            break
        nxt = max(options, key=lambda i: scores[i])
        length = segs[max(hi, nxt)].end - segs[min(lo, nxt)].start
        short = segs[hi].end - segs[lo].start < _MIN_QUOTE_CHARS
        close = scores[nxt] >= _NEIGHBOUR_RATIO * scores[best]
        if length > _MAX_QUOTE_CHARS or not (short or close):
            break
        lo, hi = min(lo, nxt), max(hi, nxt)
    return segs[lo].start, segs[hi].end


def page_of(document: ParsedDocument, passage: Passage, offset: int) -> int | None:
    """The page holding canonical ``offset`` (the passage's first page when pages are unknown)."""
    if passage.page_start is None:
        return None
    for span in document.pages:
        if span.start <= offset < span.end:
            return span.number
    return passage.page_start


def verified_quote(document: ParsedDocument, passage: Passage, start: int, end: int) -> str:
    """``canonical_text[start:end]`` after checking it lies inside ``passage`` and matches it.

    Raises QuoteMismatch when the passage does not agree with the canonical text.
    """
    quote = document.canonical_text[start:end]
    inner = passage.text[start - passage.start : end - passage.start]
    if not (passage.start <= start < end <= passage.end) or quote != inner:
        raise QuoteMismatch(
            f"quote {start}:{end} of {document.path} is not verbatim in passage {passage.id}"
        )
    return quote
