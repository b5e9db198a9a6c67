"""Word documents (.docx) into canonical text: body order with tables, headings, properties.

Headings come from heading styles (and outline levels); Word's automatic numbering is
rendered in front of them ("4.2 Control of documents"). A document without styled headings
gets numbered headings detected in its paragraphs. Tables become one line per row
("Header: value | Header: value"). Headers and footers are read for document control
(document number, revision, date), not added to the canonical text.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from qmsgap.errors import CorruptDocument
from qmsgap.ingest.blocks import (
    BlockKind,
    DocumentBuilder,
    RawDocument,
    TextLimitReached,
    clean_text,
)
from qmsgap.ingest.docx_numbering import WordNumbering
from qmsgap.ingest.headings import NumberedHeadingDetector
from qmsgap.ingest.models import DocumentFormat
from qmsgap.ingest.tables import render_rows

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_TOC_STYLE = re.compile(r"^(toc|table of contents|inhaltsverzeichnis)\b", re.IGNORECASE)


@dataclass
class _Item:
    text: str
    kind: BlockKind
    level: int = 0
    group: int | None = None
    gap: bool = False


class DocxReader:
    """Reads a .docx with python-docx (whose XML parser does not resolve entities)."""

    def __init__(self, *, max_chars: int) -> None:
        self.max_chars = max_chars

    def read(self, data: bytes) -> RawDocument:
        """Parse ``data``.

        Raises:
            CorruptDocument: the package or its XML is damaged.
        """
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        try:
            document = docx.Document(io.BytesIO(data))
        except (PackageNotFoundError, KeyError, ValueError, SyntaxError, zipfile.BadZipFile) as exc:
            raise CorruptDocument(f"the Word document cannot be opened: {exc}") from exc
        warnings: list[str] = []
        try:
            items, styled = self._items(document)
            control = _headers_footers(document)
        except (KeyError, ValueError, AttributeError, SyntaxError) as exc:
            raise CorruptDocument(f"the Word document is damaged: {exc}") from exc
        if not styled:
            paragraphs = [i for i, item in enumerate(items) if item.kind is BlockKind.PARAGRAPH]
            levels = NumberedHeadingDetector()([items[i].text for i in paragraphs])
            for k, level in levels.items():
                item = items[paragraphs[k]]
                item.kind, item.level, item.gap = BlockKind.HEADING, level, True
        builder = DocumentBuilder(self.max_chars)
        try:
            for item in items:
                builder.add(item.text, item.kind, level=item.level, group=item.group, gap=item.gap)
        except TextLimitReached:
            pass
        raw = builder.finish(DocumentFormat.DOCX)
        raw.properties = _core_properties(document)
        raw.control_text = control
        raw.warnings = warnings + raw.warnings
        return raw

    def _items(self, document: Any) -> tuple[list[_Item], bool]:
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        numbering = WordNumbering(document)
        styles = _Styles(document)
        items: list[_Item] = []
        styled = False
        group = 0
        for element in _body_elements(document.element.body):
            if element.tag == _W + "p":
                paragraph = Paragraph(element, document._body)
                item = _paragraph_item(paragraph, numbering, styles)
                if item is not None:
                    styled = styled or item.kind is BlockKind.HEADING
                    items.append(item)
            elif element.tag == _W + "tbl":
                group += 1
                rows = _table_rows(Table(element, document._body))
                for index, row in enumerate(render_rows(rows, header=_header_flag(element, rows))):
                    items.append(_Item(row, BlockKind.TABLE_ROW, group=group, gap=index == 0))
        return items, styled


def _body_elements(container: Any) -> Any:
    """Paragraphs and tables in order, descending into content controls and custom XML."""
    for child in container.iterchildren():
        tag = child.tag
        if tag in (_W + "p", _W + "tbl"):
            yield child
        elif tag == _W + "sdt":
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _body_elements(content)
        elif tag in (_W + "customXml", _W + "smartTag"):
            yield from _body_elements(child)


class _Styles:
    """Paragraph styles read once from styles.xml: python-docx's ``paragraph.style`` scans
    every style for each paragraph without an explicit style, which dominates large files."""

    def __init__(self, document: Any) -> None:
        self.names: dict[str, str] = {}
        self.base: dict[str, str | None] = {}
        self.outline: dict[str, int] = {}
        self.default: str | None = None
        try:
            root = document.styles.element
        except (KeyError, AttributeError, NotImplementedError):
            return
        for style in root.iterfind(_W + "style"):
            if style.get(_W + "type", "paragraph") != "paragraph":
                continue
            style_id = style.get(_W + "styleId", "")
            name = style.find(_W + "name")
            self.names[style_id] = name.get(_W + "val", style_id) if name is not None else style_id
            based = style.find(_W + "basedOn")
            self.base[style_id] = based.get(_W + "val") if based is not None else None
            level = _outline_value(style.find(f"{_W}pPr/{_W}outlineLvl"))
            if level is not None:
                self.outline[style_id] = level
            if style.get(_W + "default") in ("1", "true", "on"):
                self.default = style_id

    def chain(self, paragraph: Any) -> list[str]:
        """Style ids from the paragraph's style up through its base styles."""
        ppr = paragraph._p.pPr
        style_id = ppr.pStyle.val if ppr is not None and ppr.pStyle is not None else self.default
        ids: list[str] = []
        while style_id is not None and style_id not in ids and len(ids) < 10:
            ids.append(style_id)
            style_id = self.base.get(style_id)
        return ids


def _outline_value(node: Any) -> int | None:
    """``w:outlineLvl`` 0-8 -> heading level 1-9 (9 means body text)."""
    if node is None:
        return None
    value = node.get(_W + "val", "9")
    return int(value) + 1 if value.isdigit() and int(value) < 9 else None


def _paragraph_item(paragraph: Any, numbering: WordNumbering, styles: _Styles) -> _Item | None:
    ids = styles.chain(paragraph)
    names = [styles.names.get(style_id, style_id) for style_id in ids]
    if names and _TOC_STYLE.match(names[0]):
        numbering.label(paragraph, ids)
        return None
    text = clean_text(paragraph.text)
    label, bullet = numbering.label(paragraph, ids)
    if not text:
        return None
    level = next((int(m.group(1)) for name in names if (m := _HEADING_STYLE.match(name))), None)
    if level is None and not (names and names[0].lower() == "title"):
        ppr = paragraph._p.pPr
        own = ppr.find(_W + "outlineLvl") if ppr is not None else None
        level = _outline_value(own)
        if level is None:
            level = next((styles.outline[i] for i in ids if i in styles.outline), None)
    if label:
        text = f"{label} {text}"
    if level is not None:
        return _Item(clean_text(text, keep_newlines=False), BlockKind.HEADING, level, gap=True)
    kind = BlockKind.LIST_ITEM if label or bullet else BlockKind.PARAGRAPH
    return _Item(text, kind)


def _table_rows(table: Any) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue  # a merged cell is returned once per grid column it spans
            seen.add(id(cell._tc))
            cells.append(clean_text(cell.text, keep_newlines=False))
        rows.append(cells)
    return rows


def _header_flag(table: Any, rows: list[list[str]]) -> bool | None:
    """True when the first row is marked as a header (repeat-header or all bold), None when
    unknown (decided from the cells)."""
    first = table.find(f"{_W}tr")
    if first is None:
        return None
    if first.find(f"{_W}trPr/{_W}tblHeader") is not None:
        return True
    runs = first.findall(f".//{_W}r")
    texts = [r for r in runs if r.find(_W + "t") is not None]
    if texts and all(r.find(f"{_W}rPr/{_W}b") is not None for r in texts) and len(rows) > 1:
        return True
    return None


def _headers_footers(document: Any) -> list[str]:
    """Every distinct paragraph of every header and footer (text boxes and tables included)."""
    lines: dict[str, None] = {}
    for section in document.sections:
        for part_name in (
            "header",
            "footer",
            "first_page_header",
            "first_page_footer",
            "even_page_header",
            "even_page_footer",
        ):
            try:
                part = getattr(section, part_name)
                if part.is_linked_to_previous:
                    continue
                element = part._element
            except (KeyError, ValueError, AttributeError, NotImplementedError):
                continue
            for paragraph in element.iter(_W + "p"):
                text = clean_text("".join(t.text or "" for t in paragraph.iter(_W + "t")))
                if text:
                    lines.setdefault(text, None)
            for row in element.iter(_W + "tr"):
                cells = [
                    clean_text("".join(t.text or "" for t in cell.iter(_W + "t")))
                    for cell in row.iter(_W + "tc")
                ]
                text = " | ".join(c for c in cells if c)
                if text:
                    lines.setdefault(text, None)
    return list(lines)


def _core_properties(document: Any) -> dict[str, str]:
    try:
        props = document.core_properties
    except (KeyError, ValueError, AttributeError):
        return {}
    out: dict[str, str] = {}
    for name in (
        "title", "author", "subject", "keywords", "category", "version", "identifier",
        "last_modified_by", "content_status",
    ):  # fmt: skip
        try:
            value = getattr(props, name)
        except (ValueError, AttributeError):
            continue
        if value:
            out[name] = str(value).strip()[:500]
    for name in ("created", "modified"):
        try:
            stamp = getattr(props, name)
        except (ValueError, AttributeError):
            continue
        if stamp is not None:
            out[name] = stamp.isoformat()
    try:
        if props.revision:
            out["save_count"] = str(props.revision)
    except (ValueError, AttributeError):
        pass
    return {key: value for key, value in out.items() if value}
