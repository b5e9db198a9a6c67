"""Passages: slices of the canonical text that fit the embedding model's window.

Word pieces are counted with the bundled model's own tokenizer (``tokenizer.json`` through the
``tokenizers`` library; no torch). A passage never crosses a section boundary, holds at most
``max_tokens`` word pieces *including* the model's special tokens, and is cut at the best
boundary available near the window's end: between paragraphs or tables, between table rows,
at a sentence end, at a line end, between words, and only for text without spaces inside a
word. Consecutive passages of a section share up to ``overlap_tokens`` word pieces, starting
at a sentence or row when one fits.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from qmsgap.errors import ModelUnavailable
from qmsgap.ingest.blocks import Block, BlockKind
from qmsgap.ingest.models import PageSpan, Passage
from qmsgap.ingest.sections import Section

_SENTENCE_END = re.compile(r"[.!?;:](?=[\"'”’)\]]?\s+[\"“(\[]?[A-Z0-9•\-])")
_LINE_END_PUNCT = (".", "!", "?", ";", ":")
_PARAGRAPH, _ROW, _SENTENCE, _LINE, _WORD = 4, 3, 2, 1, 0


class TokenCounter(Protocol):
    """Counts a model's word pieces. ``specials`` is what the model adds per sequence."""

    specials: int

    def spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """Character spans of the word pieces of each text, special tokens excluded."""
        ...

    def count(self, text: str) -> int:
        """Word pieces of ``text`` including the special tokens."""
        ...


class WordPieceCounter:
    """A Hugging Face ``tokenizers`` tokenizer with truncation and padding switched off."""

    def __init__(self, tokenizer: Any) -> None:
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self.specials = int(tokenizer.num_special_tokens_to_add(False))

    def spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [list(encoding.offsets) for encoding in encodings]

    def count(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=True).ids)


@lru_cache(maxsize=4)
def load_counter(model_dir: Path) -> WordPieceCounter:
    """The word-piece counter of the model in ``model_dir``, loaded once per process.

    Raises:
        ModelUnavailable: the directory has no readable ``tokenizer.json``.
    """
    from tokenizers import Tokenizer

    path = model_dir / "tokenizer.json"
    try:
        return WordPieceCounter(Tokenizer.from_file(str(path)))
    except Exception as exc:
        raise ModelUnavailable(f"cannot load the tokenizer {path}: {exc}") from exc


class Chunker:
    """Cuts sections into passages. Options: window size, overlap, and a character cap that
    bounds passages of text the tokenizer sees as one unknown word (``max_chars``)."""

    def __init__(
        self,
        counter: TokenCounter,
        *,
        max_tokens: int = 256,
        overlap_tokens: int = 32,
        max_chars: int | None = None,
    ) -> None:
        if max_tokens - counter.specials < 8:
            raise ValueError("max_tokens leaves no room for text")
        self.counter = counter
        self.budget = max_tokens - counter.specials
        self.max_tokens = max_tokens
        self.overlap = min(overlap_tokens, self.budget // 2)
        self.max_chars = max_chars or max_tokens * 12

    def __call__(
        self,
        text: str,
        sections: Sequence[Section],
        *,
        document_id: str,
        pages: Sequence[PageSpan] = (),
    ) -> list[Passage]:
        """Passages of every section, numbered from 0 in document order."""
        spans: list[tuple[int, int, tuple[str, ...]]] = []
        for section in sections:
            if not section.blocks:
                continue  # a heading alone says nothing a section path does not
            for start, end in self.cut(text, section):
                spans.append((start, end, section.path))
        page_starts = [page.start for page in pages]
        prefix = document_id[:16]
        passages = []
        for ordinal, (start, end, path) in enumerate(spans):
            first = _page_at(pages, page_starts, start)
            last = _page_at(pages, page_starts, end - 1)
            passages.append(
                Passage(
                    id=f"{prefix}:{ordinal}",
                    document_id=document_id,
                    ordinal=ordinal,
                    start=start,
                    end=end,
                    text=text[start:end],
                    page_start=first,
                    page_end=last if last is not None else first,
                    section=path,
                )
            )
        return passages

    def cut(self, text: str, section: Section) -> list[tuple[int, int]]:
        """``(start, end)`` of each passage of ``section``."""
        heading = (section.heading,) if section.heading is not None else ()
        blocks = [b for b in heading + section.blocks if b.end > b.start]
        if not blocks:
            return []
        starts: list[int] = []
        ends: list[int] = []
        pieces = self.counter.spans([text[b.start : b.end] for b in blocks])
        for block, offsets in zip(blocks, pieces, strict=True):
            for a, b in offsets:
                if b > a:
                    starts.append(block.start + a)
                    ends.append(block.start + b)
        breaks = _breakpoints(text, blocks, starts, ends)
        span = _Span(text, starts, ends, breaks, sorted(breaks))
        return self._pack(span, blocks[0].start, blocks[-1].end)

    def _pack(self, span: _Span, begin: int, finish: int) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        p = begin
        while p < finish:
            last = bisect_left(span.starts, p) + self.budget - 1
            limit = min(p + self.max_chars, finish)
            if last < len(span.ends):
                limit = min(limit, span.ends[last])
            if limit >= finish:
                cut, priority = finish, _PARAGRAPH
            else:
                cut, priority = self._choose(span, p, limit)
            cut = self._fit(span, p, cut)
            out.append((p, cut))
            if cut >= finish:
                break
            p = _skip_space(span.text, self._next_start(span, p, cut, priority))
        return out

    @staticmethod
    def _choose(span: _Span, p: int, limit: int) -> tuple[int, int]:
        """The best break in ``(p, limit]``: highest priority in the last half, then latest."""
        window = span.positions[
            bisect_right(span.positions, p) : bisect_right(span.positions, limit)
        ]
        if window:
            half = p + (limit - p) // 2
            late = [pos for pos in window if pos >= half] or window
            best = max(late, key=lambda pos: (span.breaks[pos], pos))
            return best, span.breaks[best]
        inside = span.starts[bisect_right(span.starts, p) : bisect_right(span.starts, limit)]
        if inside:  # no space in reach: cut between word pieces
            return inside[-1], -1
        return max(limit, p + 1), -2  # one unknown "word" longer than the window

    def _fit(self, span: _Span, p: int, cut: int) -> int:
        """Move ``cut`` back until the slice's own tokenisation fits (boundary effects)."""
        for _ in range(64):
            if self.counter.count(span.text[p:cut]) <= self.max_tokens or cut - p <= 1:
                return cut
            earlier = span.positions[
                bisect_right(span.positions, p) : bisect_left(span.positions, cut)
            ]
            inside = span.starts[bisect_right(span.starts, p) : bisect_left(span.starts, cut)]
            cut = earlier[-1] if earlier else (inside[-1] if inside else p + (cut - p) // 2)
        return cut

    def _next_start(self, span: _Span, p: int, cut: int, priority: int) -> int:
        """Where the next passage starts: inside the previous one by up to ``overlap`` pieces,
        at a line or sentence start when one is that close."""
        if self.overlap <= 0:
            return cut
        lo = bisect_left(span.starts, p) + 1
        hi = bisect_left(span.starts, cut)
        if hi <= lo:
            return cut
        earliest = span.starts[max(hi - self.overlap, lo)]
        window = span.positions[
            bisect_left(span.positions, earliest) : bisect_left(span.positions, cut)
        ]
        good = [pos for pos in window if span.breaks[pos] >= _LINE and pos > p]
        if good:
            return good[0]
        if priority >= _ROW:
            return cut  # do not start a passage in the middle of a row or paragraph
        words = [pos for pos in window if pos > p]
        return words[0] if words else cut


@dataclass(frozen=True)
class _Span:
    """A section's text with its word pieces (absolute offsets) and ranked break positions."""

    text: str
    starts: list[int]
    ends: list[int]
    breaks: dict[int, int]
    positions: list[int]


def _breakpoints(
    text: str, blocks: Sequence[Block], starts: list[int], ends: list[int]
) -> dict[int, int]:
    """Candidate cut positions (end of the text before the cut) and their priority."""
    breaks: dict[int, int] = {}
    for i in range(1, len(starts)):
        if starts[i] > ends[i - 1]:
            breaks[ends[i - 1]] = _WORD
    for block in blocks:
        chunk = text[block.start : block.end]
        if block.kind is not BlockKind.TABLE_ROW:
            for match in _SENTENCE_END.finditer(chunk):
                breaks[block.start + match.end()] = _SENTENCE
            offset = chunk.find("\n")
            while offset != -1:
                breaks[block.start + offset] = _LINE
                offset = chunk.find("\n", offset + 1)
    for block, following in itertools.pairwise(blocks):
        gap = text[block.end : following.start]
        if "\n\n" in gap or block.group != following.group or block.kind is BlockKind.HEADING:
            priority = _PARAGRAPH
        elif block.kind is BlockKind.TABLE_ROW:
            priority = _ROW
        elif text[block.start : block.end].endswith(_LINE_END_PUNCT):
            priority = _SENTENCE
        else:
            priority = _LINE
        breaks[block.end] = max(priority, breaks.get(block.end, priority))
    return breaks


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _page_at(pages: Sequence[PageSpan], page_starts: list[int], offset: int) -> int | None:
    if not pages or offset < 0:
        return None
    index = bisect_right(page_starts, offset) - 1
    return pages[max(index, 0)].number
