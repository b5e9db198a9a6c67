"""PDF pages into canonical text with page spans and section headings.

Headings come from the bookmarks when the PDF has them (each bookmark is located on its page;
one that is not printed becomes a zero-length section marker), otherwise from numbered lines
(:class:`~qmsgap.ingest.headings.NumberedHeadingDetector`). Running headers, footers and page
numbers are kept out of the canonical text (consistently, on every page) and handed to the
metadata extraction instead.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qmsgap.ingest.blocks import (
    BlockKind,
    DocumentBuilder,
    RawDocument,
    TextLimitReached,
    clean_text,
)
from qmsgap.ingest.headings import NumberedHeadingDetector, running_lines
from qmsgap.ingest.models import DocumentFormat
from qmsgap.ingest.ocr import OcrEngine
from qmsgap.ingest.pdf_backends import OutlineEntry, PdfBackend, PdfContent

_FIRST_PAGE_CONTROL_LINES = 25


@dataclass(frozen=True)
class _Heading:
    level: int
    title: str | None  # the bookmark title, or None to use the printed line


class PdfReader:
    """Reads a PDF with ``backend``; ``ocr`` (optional) reads pages without a text layer."""

    def __init__(
        self,
        backend: PdfBackend,
        *,
        max_pages: int,
        max_chars: int,
        ocr: OcrEngine | None = None,
    ) -> None:
        self.backend = backend
        self.max_pages = max_pages
        self.max_chars = max_chars
        self.ocr = ocr

    def read(self, data: bytes) -> RawDocument:
        """Parse ``data``; raises what :meth:`PdfBackend.extract` raises."""
        content = self.backend.extract(data, self.max_pages)
        texts = [page.text for page in content.pages]
        without_text = [
            number
            for number, page in enumerate(content.pages, start=1)
            if not page.text.strip() and page.has_images
        ]
        ocr_pages: list[int] = []
        if self.ocr is not None:
            for number in without_text:
                recognised = self.ocr.page_text(data, number - 1)
                if recognised.strip():
                    texts[number - 1] = recognised
                    ocr_pages.append(number)
        pages = [clean_text(text).split("\n") if text.strip() else [] for text in texts]
        furniture = running_lines(pages)
        control = _control_lines(pages, furniture)
        body = [
            [line for i, line in enumerate(lines) if i not in furniture[n] and line]
            for n, lines in enumerate(pages)
        ]
        headings = self._headings(content, body)
        builder = DocumentBuilder(self.max_chars)
        with contextlib.suppress(TextLimitReached):
            self._build(builder, body, headings, content.outline)
        raw = builder.finish(DocumentFormat.PDF)
        raw.properties = dict(content.info)
        raw.control_text = control
        raw.warnings = content.warnings + raw.warnings
        raw.pages_without_text = [n for n in without_text if n not in ocr_pages]
        raw.ocr_pages = ocr_pages
        return raw

    def _headings(
        self, content: PdfContent, body: list[list[str]]
    ) -> dict[tuple[int, int], _Heading]:
        if any(entry.page_index is not None for entry in content.outline):
            return {}
        flat = [(p, i) for p, lines in enumerate(body) for i in range(len(lines))]
        levels = NumberedHeadingDetector()([body[p][i] for p, i in flat])
        return {flat[k]: _Heading(level, None) for k, level in levels.items()}

    def _build(
        self,
        builder: DocumentBuilder,
        body: list[list[str]],
        headings: dict[tuple[int, int], _Heading],
        outline: Sequence[OutlineEntry],
    ) -> None:
        after: dict[tuple[int, int], list[_Heading]] = {}
        if not headings:
            headings, after = _place_outline(outline, body)
        for page_index, lines in enumerate(body):
            builder.begin_page(page_index + 1)
            for marker in after.get((page_index, -1), []):
                builder.add_marker(marker.title or "", marker.level)
            for line_index, line in enumerate(lines):
                heading = headings.get((page_index, line_index))
                if heading is not None:
                    builder.add(
                        line,
                        BlockKind.HEADING,
                        level=heading.level,
                        gap=True,
                        clean=False,
                        title=heading.title,
                    )
                else:
                    builder.add(line, BlockKind.LINE, clean=False)
                for marker in after.get((page_index, line_index), []):
                    builder.add_marker(marker.title or "", marker.level)
            builder.end_page()


def _place_outline(
    outline: Sequence[OutlineEntry], body: list[list[str]]
) -> tuple[dict[tuple[int, int], _Heading], dict[tuple[int, int], list[_Heading]]]:
    """Locate each bookmark in the text, in outline order.

    The search starts at the bookmark's page (or at the previous bookmark, if that is later)
    and runs forward, so a wrong destination page does not lose the heading; table-of-contents
    lines are never taken for headings. Returns ``(on_line, after_line)``: a bookmark printed
    on a line makes that line a heading; one that is not printed becomes a marker after the
    previous bookmark's line on its page (line ``-1``: the top of the page).
    """
    on_line: dict[tuple[int, int], _Heading] = {}
    after: dict[tuple[int, int], list[_Heading]] = {}
    if not body:
        return on_line, after
    normalized = [[_norm(line[:300]) for line in lines] for lines in body]
    cursor = (0, -1)
    for entry in outline:
        title = clean_text(entry.title, keep_newlines=False)
        if entry.page_index is None or not title:
            continue
        hint = (min(max(entry.page_index, 0), len(body) - 1), -1)
        begin = max(cursor, hint)
        found = _find_title(body, normalized, begin, title)
        if found is not None:
            on_line[found] = _Heading(entry.level, title)
            cursor = found
        else:
            after.setdefault(begin, []).append(_Heading(entry.level, title))
            cursor = begin
    return on_line, after


_NON_ALNUM = re.compile(r"[\W_]+")
_NUMBER_PREFIX = re.compile(r"(\d+)*|(appendix|annex|chapter|section)[a-z0-9]?")
_PAGE_REF = re.compile(r"^\d{1,4}$")
_LEADER_LINE = re.compile(r"(\.\s?){4,}\s*\d{1,4}$|…\s*\d{1,4}$")


def _norm(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


def _is_toc_line(lines: list[str], index: int) -> bool:
    """A table-of-contents entry: a dot leader, or a page number on the next line."""
    if _LEADER_LINE.search(lines[index]):
        return True
    return index + 1 < len(lines) and bool(_PAGE_REF.match(lines[index + 1].strip()))


def _matches(have: str, wanted: str) -> bool:
    if have == wanted:
        return True
    if have.endswith(wanted) and _NUMBER_PREFIX.fullmatch(have[: -len(wanted)]):
        return True
    if wanted.endswith(have) and _NUMBER_PREFIX.fullmatch(wanted[: -len(have)]):
        return True
    # a heading wrapped onto two lines
    return len(have) >= 0.5 * len(wanted) and wanted.startswith(have)


def _find_title(
    body: list[list[str]], normalized: list[list[str]], begin: tuple[int, int], title: str
) -> tuple[int, int] | None:
    """The first line after ``begin`` (page, line) that prints ``title``."""
    wanted = _norm(title)
    if not wanted:
        return None
    page, line = begin
    for page_index in range(page, len(body)):
        first = line + 1 if page_index == page else 0
        for index in range(first, len(body[page_index])):
            have = normalized[page_index][index]
            if have and _matches(have, wanted) and not _is_toc_line(body[page_index], index):
                return page_index, index
    return None


def _control_lines(pages: list[list[str]], furniture: list[set[int]]) -> list[str]:
    """Header/footer lines (each distinct one once) and the first page's opening lines."""
    seen: dict[str, None] = {}
    for lines, marked in zip(pages, furniture, strict=True):
        for index in sorted(marked):
            seen.setdefault(lines[index], None)
    for lines in pages[:1]:
        for line in lines[:_FIRST_PAGE_CONTROL_LINES]:
            seen.setdefault(line, None)
    return list(seen)
