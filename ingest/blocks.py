"""The intermediate form every reader produces: canonical text plus blocks that point into it.

A reader appends cleaned pieces of text (headings, paragraphs, lines, table rows) to a
:class:`DocumentBuilder`; the builder owns the canonical text, so every block's ``start``/``end``
is exact by construction. Sections, passages and findings are all derived from these blocks.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from qmsgap.ingest.models import DocumentFormat, PageSpan


class BlockKind(StrEnum):
    """What a block is; decides how sections and passages are cut."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LINE = "line"  # one line of a flowing page (PDF, plain text) whose paragraphs are unknown
    LIST_ITEM = "list_item"
    TABLE_ROW = "table_row"
    CODE = "code"


@dataclass(frozen=True)
class Block:
    """A piece of the canonical text: ``text[start:end]``.

    ``title`` overrides the heading text for the section path (PDF bookmarks whose title is
    not printed on the page become zero-length headings). ``group`` ties the rows of one table
    together so passages prefer to break between tables rather than inside one.
    """

    start: int
    end: int
    kind: BlockKind
    level: int = 0
    page: int | None = None
    group: int | None = None
    title: str | None = None


@dataclass
class RawDocument:
    """What a reader returns before sections, passages, metadata and findings are derived."""

    format: DocumentFormat
    text: str
    blocks: list[Block]
    pages: list[PageSpan] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    front_matter: dict[str, Any] = field(default_factory=dict)
    control_text: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pages_without_text: list[int] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff\xad]")
_SPACES = re.compile(r"[ \t\xa0\u2000-\u200a\u202f\u205f\u3000]+")
_LIGATURES = re.compile(r"[\ufb00-\ufb06]")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_text(text: str, *, keep_newlines: bool = True) -> str:
    """Normalise one piece of text for the canonical form.

    Removes NUL and other control characters, zero-width characters and soft hyphens; unifies
    line ends; turns tabs and exotic spaces into one space; expands typographic ligatures;
    strips every line. ``keep_newlines=False`` joins lines with a space.
    """
    text = _NEWLINES.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = _SPACES.sub(" ", text)
    if "\n" in text:
        text = "\n".join(line.strip() for line in text.split("\n"))
        text = _BLANK_LINES.sub("\n", text) if keep_newlines else text.replace("\n", " ")
        if not keep_newlines:
            text = _SPACES.sub(" ", text)
    return text.strip()


class TextLimitReached(Exception):
    """Raised inside a reader when the canonical text reached ``max_chars``; the builder
    keeps what it has and the pipeline adds a warning."""


class DocumentBuilder:
    """Accumulates canonical text, blocks and page spans.

    Blocks are separated by one newline, or by a blank line when ``gap`` is requested
    (paragraph boundaries). ``max_chars`` bounds the canonical text: the block that would cross
    it is dropped and :class:`TextLimitReached` is raised so the reader can stop early.
    """

    def __init__(self, max_chars: int) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._max_chars = max_chars
        self.blocks: list[Block] = []
        self.pages: list[PageSpan] = []
        self._page: int | None = None
        self._page_start = 0
        self._page_has_text = False
        self._next_group = 0
        self.truncated = False

    @property
    def length(self) -> int:
        return self._length

    @property
    def current_page(self) -> int | None:
        return self._page

    def new_group(self) -> int:
        """A fresh table (row group) id."""
        self._next_group += 1
        return self._next_group

    def begin_page(self, number: int) -> None:
        """Start page ``number`` (1-based); pages are separated by a blank line."""
        if self._page is not None:
            self.end_page()
        if self._length:
            self._append("\n\n")
        self._page = number
        self._page_start = self._length
        self._page_has_text = False

    def end_page(self) -> None:
        """Close the current page and record its span (empty pages get an empty span)."""
        if self._page is None:
            return
        self.pages.append(
            PageSpan(
                number=self._page,
                start=self._page_start,
                end=self._length,
                has_text=self._page_has_text,
            )
        )
        self._page = None

    def add(
        self,
        text: str,
        kind: BlockKind,
        *,
        level: int = 0,
        group: int | None = None,
        gap: bool = False,
        clean: bool = True,
        title: str | None = None,
    ) -> Block | None:
        """Append ``text`` as one block and return it (``None`` when it is empty after cleaning).

        Raises:
            TextLimitReached: the canonical text would exceed ``max_chars``.
        """
        if clean:
            text = clean_text(text)
        if not text:
            return None
        at_page_start = self._page is not None and self._length == self._page_start
        separator = "" if self._length == 0 or at_page_start else ("\n\n" if gap else "\n")
        if self._length + len(separator) + len(text) > self._max_chars:
            self.truncated = True
            raise TextLimitReached
        self._append(separator)
        start = self._length
        self._append(text)
        block = Block(
            start=start,
            end=self._length,
            kind=kind,
            level=level,
            page=self._page,
            group=group,
            title=title,
        )
        self.blocks.append(block)
        if self._page is not None:
            self._page_has_text = True
        return block

    def add_marker(self, title: str, level: int) -> Block:
        """A zero-length heading at the current position: a section starts here although its
        title is not part of the text (a PDF bookmark whose title is not printed)."""
        block = Block(
            start=self._length,
            end=self._length,
            kind=BlockKind.HEADING,
            level=level,
            page=self._page,
            title=clean_text(title, keep_newlines=False),
        )
        self.blocks.append(block)
        return block

    def _append(self, piece: str) -> None:
        self._parts.append(piece)
        self._length += len(piece)

    def text(self) -> str:
        """The canonical text built so far."""
        return "".join(self._parts)

    def finish(self, fmt: DocumentFormat) -> RawDocument:
        """Close the open page and return the raw document."""
        self.end_page()
        raw = RawDocument(format=fmt, text=self.text(), blocks=self.blocks, pages=self.pages)
        if self.truncated:
            raw.warnings.append(
                f"the text was cut at {self._max_chars:,} characters "
                "(limits.max_text_chars); the rest of the document was not read"
            )
        return raw
