"""HTML pages (intranet exports): headings h1-h6, paragraphs, lists, tables; no scripts.

Parsed with the standard library's ``html.parser`` through BeautifulSoup: it never resolves
DTD entities or fetches anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qmsgap.ingest.blocks import (
    BlockKind,
    DocumentBuilder,
    RawDocument,
    TextLimitReached,
    clean_text,
)
from qmsgap.ingest.models import DocumentFormat
from qmsgap.ingest.tables import render_rows

_DROP = (
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "object", "embed",
    "nav", "select", "button", "head",
)  # fmt: skip
_BLOCKS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol", "dl",
    "dt", "dd", "blockquote", "figure", "figcaption", "address", "details", "summary", "form",
    "fieldset", "legend", "center", "body", "html", "hr", "caption",
}  # fmt: skip
_SPECIAL = {"table", "pre", "ul", "ol", "li"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_MAX_DEPTH = 150
_META = {
    "author": "author",
    "description": "subject",
    "keywords": "keywords",
    "dcterms.modified": "modified",
    "dcterms.created": "created",
    "dc.title": "title",
    "revision": "revision",
    "version": "version",
    "document-number": "document_number",
}


@dataclass
class _State:
    builder: DocumentBuilder
    buffer: list[str] = field(default_factory=list)
    list_stack: list[list[int | bool]] = field(default_factory=list)
    pending_marker: str | None = None


class HtmlReader:
    """Walks the parsed tree; block elements end a paragraph, inline ones continue it."""

    def __init__(self, *, max_chars: int) -> None:
        self.max_chars = max_chars

    def read(self, text: str) -> RawDocument:
        """Parse decoded HTML ``text``; malformed markup is read as well as it can be."""
        from bs4 import BeautifulSoup
        from bs4.element import Comment

        soup = BeautifulSoup(text, "html.parser")
        properties = _properties(soup)
        for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
            comment.extract()
        for tag in soup.find_all(_DROP):
            tag.decompose()
        state = _State(DocumentBuilder(self.max_chars))
        try:
            self._walk(soup, state, 0)
            self._flush(state)
        except TextLimitReached:
            pass
        raw = state.builder.finish(DocumentFormat.HTML)
        raw.properties = properties
        return raw

    def _walk(self, node: Any, state: _State, depth: int) -> None:
        from bs4.element import NavigableString, PreformattedString, Tag

        for child in list(node.children):
            if isinstance(child, PreformattedString):
                continue  # doctype, comment, CDATA, processing instruction
            if isinstance(child, NavigableString):
                state.buffer.append(str(child))
            elif isinstance(child, Tag):
                self._element(child, (child.name or "").lower(), state, depth)

    def _element(self, child: Any, name: str, state: _State, depth: int) -> None:
        if name == "br":
            state.buffer.append("\n")
            return
        if name not in _HEADINGS and name not in _BLOCKS and name not in _SPECIAL:
            self._descend(child, state, depth)  # inline element: the paragraph continues
            return
        self._flush(state)
        if name in _HEADINGS:
            title = clean_text(child.get_text(" "), keep_newlines=False)
            state.builder.add(title, BlockKind.HEADING, level=_HEADINGS[name], gap=True)
        elif name == "table":
            self._table(child, state)
        elif name == "pre":
            state.builder.add(child.get_text(), BlockKind.CODE, gap=True)
        elif name in ("ul", "ol"):
            state.list_stack.append([name == "ol", 0])
            self._descend(child, state, depth)
            self._flush(state)
            state.list_stack.pop()
        else:
            if name == "li" and state.list_stack:
                entry = state.list_stack[-1]
                entry[1] = int(entry[1]) + 1
                state.pending_marker = f"{entry[1]}." if entry[0] else "-"
            self._descend(child, state, depth)
            self._flush(state)

    def _descend(self, node: Any, state: _State, depth: int) -> None:
        if depth >= _MAX_DEPTH:
            state.buffer.append(node.get_text(" "))  # too deep to walk: keep the text
        else:
            self._walk(node, state, depth + 1)

    @staticmethod
    def _flush(state: _State) -> None:
        text = clean_text("".join(state.buffer))
        state.buffer.clear()
        if not text:
            return
        if state.pending_marker is not None:
            state.builder.add(f"{state.pending_marker} {text}", BlockKind.LIST_ITEM)
            state.pending_marker = None
        elif state.list_stack:
            state.builder.add(text, BlockKind.LIST_ITEM)
        else:
            state.builder.add(text, BlockKind.PARAGRAPH, gap=True)

    @staticmethod
    def _table(table: Any, state: _State) -> None:
        rows: list[list[str]] = []
        header: bool | None = None
        for position, row in enumerate(table.find_all("tr")):
            if row.find_parent("table") is not table:
                continue  # rows of a nested table are read with their cell's text
            cells = row.find_all(["th", "td"], recursive=False)
            if position == 0 and cells:
                header = True if all(cell.name == "th" for cell in cells) else None
            rows.append([clean_text(cell.get_text(" "), keep_newlines=False) for cell in cells])
        group = state.builder.new_group()
        for position, line in enumerate(render_rows(rows, header=header)):
            state.builder.add(
                line, BlockKind.TABLE_ROW, group=group, gap=position == 0, clean=False
            )


def _properties(soup: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if soup.title is not None:
        title = clean_text(soup.title.get_text(" "), keep_newlines=False)
        if title:
            out["title"] = title[:500]
    for meta in soup.find_all("meta"):
        name = str(meta.get("name") or meta.get("property") or "").lower()
        content = str(meta.get("content") or "").strip()
        if name in _META and content:
            out.setdefault(_META[name], content[:500])
    return out
