"""Plain text: lines, blank-line paragraphs, numbered headings, form-feed pages."""

from __future__ import annotations

from qmsgap.ingest.blocks import (
    BlockKind,
    DocumentBuilder,
    RawDocument,
    TextLimitReached,
    clean_text,
)
from qmsgap.ingest.headings import NumberedHeadingDetector, running_lines
from qmsgap.ingest.models import DocumentFormat


class TextReader:
    """Reads decoded text. A form feed separates pages (``pdftotext`` output), in which case
    running headers and footers are recognised as for PDFs."""

    def __init__(self, *, max_chars: int) -> None:
        self.max_chars = max_chars

    def read(self, text: str) -> RawDocument:
        """Parse ``text``; never raises for any content."""
        paged = "\f" in text.strip("\f\n\r ")
        chunks = text.split("\f") if paged else [text]
        pages = [[clean_text(line) for line in chunk.splitlines()] for chunk in chunks]
        furniture = running_lines(pages) if paged else [set() for _ in pages]
        body = [
            [("" if i in furniture[n] else line) for i, line in enumerate(lines)]
            for n, lines in enumerate(pages)
        ]
        flat = [(p, i) for p, lines in enumerate(body) for i, line in enumerate(lines) if line]
        levels = NumberedHeadingDetector()([body[p][i] for p, i in flat])
        headings = {flat[k]: level for k, level in levels.items()}
        builder = DocumentBuilder(self.max_chars)
        try:
            for page_index, lines in enumerate(body):
                if paged:
                    builder.begin_page(page_index + 1)
                blank = False
                for line_index, line in enumerate(lines):
                    if not line:
                        blank = True
                        continue
                    level = headings.get((page_index, line_index))
                    if level is not None:
                        builder.add(line, BlockKind.HEADING, level=level, gap=True, clean=False)
                    else:
                        builder.add(line, BlockKind.LINE, gap=blank, clean=False)
                    blank = False
                if paged:
                    builder.end_page()
        except TextLimitReached:
            pass
        raw = builder.finish(DocumentFormat.TEXT)
        raw.control_text = [
            pages[n][i] for n, marked in enumerate(furniture) for i in sorted(marked)
        ][:50] + [line for line in (pages[0] if pages else [])[:25] if line]
        return raw
