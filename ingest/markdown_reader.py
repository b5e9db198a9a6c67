"""Markdown: headings by level, YAML front matter for metadata, tables as readable rows.

The canonical text is the rendered text (no ``#``, ``**`` or table rules): what a reader of
the rendered page sees and what an auditor would quote.
"""

from __future__ import annotations

import contextlib
import re
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

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
# Some tools write the YAML block without the opening rule ("name: ...\n...\n---").
_BARE_FRONT_MATTER = re.compile(
    r"\A(?P<yaml>[A-Za-z_][\w-]*:[^\n]*\n(?:(?:[ \t]|[A-Za-z_-]|#)[^\n]*\n|\n){0,200}?)---[ \t]*\n"
)
_MAX_FRONT_MATTER = 64 * 1024


def split_front_matter(text: str) -> tuple[dict[str, Any], str, str | None]:
    """``(front_matter, body, problem)``; the body is the text after the YAML block.

    Parsed with ``yaml.safe_load``; a block that is not a mapping is left in the body.
    """
    import yaml

    match = _FRONT_MATTER.match(text) or _BARE_FRONT_MATTER.match(text)
    if not match or len(match.group("yaml")) > _MAX_FRONT_MATTER:
        return {}, text, None
    try:
        data = yaml.safe_load(match.group("yaml"))
    except yaml.YAMLError as exc:
        if match.re is _FRONT_MATTER:
            return {}, text[match.end() :], f"the YAML front matter is invalid ({exc})"
        return {}, text, None
    if not isinstance(data, dict):
        return {}, text, None
    return data, text[match.end() :], None


@dataclass
class _List:
    ordered: bool
    number: int


class MarkdownReader:
    """Renders Markdown with markdown-it-py (CommonMark plus tables)."""

    def __init__(self, *, max_chars: int) -> None:
        self.max_chars = max_chars

    def read(self, text: str) -> RawDocument:
        """Parse decoded Markdown ``text``; never raises for malformed Markdown."""
        from markdown_it import MarkdownIt

        front, body, problem = split_front_matter(text)
        tokens = MarkdownIt("commonmark", {"html": True}).enable("table").parse(body)
        builder = DocumentBuilder(self.max_chars)
        with contextlib.suppress(TextLimitReached):
            _Renderer(builder).render(tokens)
        raw = builder.finish(DocumentFormat.MARKDOWN)
        raw.front_matter = front
        if problem:
            raw.warnings.insert(0, problem)
        return raw


@dataclass
class _Renderer:
    """Walks markdown-it's token stream and appends blocks to the builder."""

    builder: DocumentBuilder
    lists: list[_List] = field(default_factory=list)
    item_fresh: bool = False  # the next paragraph is the first of a list item
    table: list[list[str]] | None = None
    table_has_head: bool = False

    def render(self, tokens: list[Any]) -> None:
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.type == "heading_open":
                self.builder.add(
                    _inline(tokens[index + 1]),
                    BlockKind.HEADING,
                    level=int(token.tag[1:]),
                    gap=True,
                )
                index += 3
            elif token.type == "paragraph_open":
                self._paragraph(_inline(tokens[index + 1]))
                index += 3
            else:
                self._other(token)
                index += 1

    def _paragraph(self, text: str) -> None:
        if self.lists and self.item_fresh:
            marker = f"{self.lists[-1].number}." if self.lists[-1].ordered else "-"
            self.builder.add(f"{marker} {text}", BlockKind.LIST_ITEM)
            self.item_fresh = False
        elif self.lists:
            self.builder.add(text, BlockKind.LIST_ITEM)
        else:
            self.builder.add(text, BlockKind.PARAGRAPH, gap=True)

    def _other(self, token: Any) -> None:
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = token.attrGet("start")
            self.lists.append(_List(kind == "ordered_list_open", int(start or 1) - 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            if self.lists:
                self.lists[-1].number += 1
            self.item_fresh = True
        elif kind.startswith(("table_", "thead_", "tr_")) or kind == "inline":
            self._table_token(token)
        elif kind in ("fence", "code_block"):
            self.builder.add(token.content, BlockKind.CODE, gap=True)
        elif kind == "html_block":
            self.builder.add(_html_text(token.content), BlockKind.PARAGRAPH, gap=True)

    def _table_token(self, token: Any) -> None:
        kind = token.type
        if kind == "table_open":
            self.table, self.table_has_head = [], False
        elif kind == "thead_open":
            self.table_has_head = True
        elif kind == "tr_open" and self.table is not None:
            self.table.append([])
        elif kind == "inline" and self.table:
            self.table[-1].append(clean_text(_inline(token), keep_newlines=False))
        elif kind == "table_close" and self.table is not None:
            rows, self.table = self.table, None
            header = self.table_has_head and bool(rows) and any(rows[0])
            if self.table_has_head and rows and not any(rows[0]):
                rows = rows[1:]  # an empty header row: a key/value table
            group = self.builder.new_group()
            for position, line in enumerate(render_rows(rows, header=header)):
                self.builder.add(
                    line, BlockKind.TABLE_ROW, group=group, gap=position == 0, clean=False
                )


def _inline(token: Any) -> str:
    """The visible text of an inline token: emphasis and link targets dropped."""
    parts: list[str] = []
    for child in token.children or []:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "image":
            alt = "".join(c.content for c in child.children or [])
            if alt:
                parts.append(alt)
        elif kind == "html_inline" and re.match(r"<br\s*/?>", child.content, re.I):
            parts.append("\n")
    return clean_text("".join(parts))


def _html_text(fragment: str) -> str:
    from bs4 import BeautifulSoup
    from bs4.element import Comment

    soup = BeautifulSoup(fragment, "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(["script", "style"]):
        tag.decompose()
    return soup.get_text("\n")
