"""PowerPoint (.pptx): each slide is a page and a section named after its title."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from qmsgap.errors import CorruptDocument
from qmsgap.ingest.blocks import (
    BlockKind,
    DocumentBuilder,
    RawDocument,
    TextLimitReached,
    clean_text,
)
from qmsgap.ingest.models import DocumentFormat
from qmsgap.ingest.tables import render_rows


class PptxReader:
    """Reads slide titles, text frames (top-to-bottom, left-to-right), tables and notes."""

    def __init__(self, *, max_chars: int, max_pages: int) -> None:
        self.max_chars = max_chars
        self.max_pages = max_pages

    def read(self, data: bytes) -> RawDocument:
        """Parse ``data``.

        Raises:
            CorruptDocument: the presentation cannot be opened.
            DocumentTooLarge: more slides than ``max_pages``.
        """
        import pptx
        from pptx.exc import PackageNotFoundError

        from qmsgap.errors import DocumentTooLarge

        try:
            presentation = pptx.Presentation(io.BytesIO(data))
            slides = list(presentation.slides)
        except (PackageNotFoundError, KeyError, ValueError, SyntaxError, zipfile.BadZipFile) as exc:
            raise CorruptDocument(f"the PowerPoint file cannot be opened: {exc}") from exc
        if len(slides) > self.max_pages:
            raise DocumentTooLarge(
                f"the presentation has {len(slides):,} slides; at most {self.max_pages:,} "
                "are read (limits.max_pages)"
            )
        builder = DocumentBuilder(self.max_chars)
        try:
            for number, slide in enumerate(slides, start=1):
                builder.begin_page(number)
                self._slide(builder, slide, number)
        except TextLimitReached:
            pass
        except (KeyError, ValueError, AttributeError, SyntaxError) as exc:
            raise CorruptDocument(f"the PowerPoint file is damaged: {exc}") from exc
        raw = builder.finish(DocumentFormat.PPTX)
        raw.properties = _properties(presentation)
        return raw

    @staticmethod
    def _slide(builder: DocumentBuilder, slide: Any, number: int) -> None:
        title_shape = slide.shapes.title
        title = clean_text(title_shape.text_frame.text, keep_newlines=False) if title_shape else ""
        if not title or builder.add(title, BlockKind.HEADING, level=1, clean=False) is None:
            builder.add_marker(f"Slide {number}", 1)
        for shape in _shapes(slide.shapes):
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            if getattr(shape, "has_table", False) and shape.has_table:
                rows = [
                    [clean_text(cell.text, keep_newlines=False) for cell in row.cells]
                    for row in shape.table.rows
                ]
                group = builder.new_group()
                for index, line in enumerate(render_rows(rows)):
                    builder.add(line, BlockKind.TABLE_ROW, group=group, gap=index == 0, clean=False)
            elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
                for paragraph in shape.text_frame.paragraphs:
                    text = "".join(run.text for run in paragraph.runs) or ""
                    builder.add(text, BlockKind.PARAGRAPH)
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None and notes.text.strip():
                builder.add("Notes: " + notes.text, BlockKind.PARAGRAPH, gap=True)


def _shapes(shapes: Any) -> Iterator[Any]:
    """Shapes in reading order (top, then left), group shapes flattened."""

    def key(shape: Any) -> tuple[int, int]:
        return (int(shape.top or 0), int(shape.left or 0))

    for shape in sorted(shapes, key=key):
        if shape.shape_type is not None and int(shape.shape_type) == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _shapes(shape.shapes)
        else:
            yield shape


def _properties(presentation: Any) -> dict[str, str]:
    props = presentation.core_properties
    out: dict[str, str] = {}
    for name in ("title", "author", "subject", "keywords", "version", "last_modified_by"):
        value = getattr(props, name, None)
        if value:
            out[name] = str(value).strip()[:500]
    for name in ("created", "modified"):
        stamp = getattr(props, name, None)
        if stamp is not None:
            out[name] = stamp.isoformat()
    return out
