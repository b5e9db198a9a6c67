"""Source model of the sample supplier QMS: metadata plus a small block tree.

A document source is a Markdown file with YAML front matter (``sources/*.md``); a workbook
source is a YAML file (``sources/*.yaml``). Markdown bodies are parsed with markdown-it-py
into the few block kinds the renderers know: headings, paragraphs, list items, tables, code,
notes and page breaks. Inline text keeps bold, italic and code runs.

Used by ``build_sample.py``; not part of the installed package API.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

COMPANY = "Halvard Mobility Electronics GmbH"
COMPANY_SHORT = "HME"

OutputFormat = Literal["pdf", "docx", "md", "xlsx"]
_FORMATS: tuple[str, ...] = ("pdf", "docx", "md", "xlsx")


class SourceError(ValueError):
    """A source file is malformed (missing key, bad front matter, unknown block)."""


@dataclass(frozen=True)
class Run:
    """A piece of inline text with its emphasis."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


Runs = tuple[Run, ...]


@dataclass(frozen=True)
class Heading:
    level: int
    runs: Runs

    @property
    def text(self) -> str:
        return plain(self.runs)


@dataclass(frozen=True)
class Paragraph:
    runs: Runs
    note: bool = False


@dataclass(frozen=True)
class ListItem:
    """One list paragraph; ``label`` is the printed marker ("1.", "a)") or "" for a bullet;
    ``first`` is False for a continuation paragraph of the same item (no marker)."""

    runs: Runs
    level: int
    label: str
    first: bool = True


@dataclass(frozen=True)
class Table:
    header: tuple[Runs, ...]
    rows: tuple[tuple[Runs, ...], ...]


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Paragraph | ListItem | Table | Code | PageBreak


@dataclass(frozen=True)
class RevisionEntry:
    revision: str
    date: str
    change: str
    author: str


@dataclass(frozen=True)
class DocMeta:
    """Document-control data of one document, from the source's front matter."""

    file: str
    format: OutputFormat
    doc_no: str
    title: str
    revision: str | None
    effective: dt.date
    author: str
    approver: str
    owner: str
    kind: str
    classification: str = "Internal"
    outline: bool = False
    toc: bool = False
    cover: bool = False
    history: tuple[RevisionEntry, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DocSource:
    meta: DocMeta
    blocks: tuple[Block, ...]
    body: str
    path: Path


def plain(runs: Runs) -> str:
    return "".join(r.text for r in runs)


_EMPHASIS = {
    "strong_open": ("bold", True),
    "strong_close": ("bold", False),
    "em_open": ("italic", True),
    "em_close": ("italic", False),
}


def _inline_runs(token: Token) -> Runs:
    """Inline children -> merged runs.

    Raises:
        SourceError: on inline markup other than emphasis, code and line breaks.
    """
    runs: list[Run] = []
    state = {"bold": False, "italic": False}
    for child in token.children or []:
        kind = child.type
        if kind in _EMPHASIS:
            name, value = _EMPHASIS[kind]
            state[name] = value
        elif kind in ("text", "code_inline", "softbreak", "hardbreak"):
            text = " " if kind.endswith("break") else child.content
            runs.append(Run(text, state["bold"], state["italic"], kind == "code_inline"))
        elif kind != "html_inline":
            raise SourceError(f"unsupported inline markup {kind!r}")
    merged: list[Run] = []
    for run in runs:
        last = merged[-1] if merged else None
        if last and (last.bold, last.italic, last.code) == (run.bold, run.italic, run.code):
            merged[-1] = Run(last.text + run.text, last.bold, last.italic, last.code)
        else:
            merged.append(run)
    return tuple(merged)


def _letters(index: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[index % 26]


class _BodyParser:
    """Walks markdown-it's token stream and collects blocks."""

    _IGNORED = frozenset({"list_item_close", "tbody_open", "tbody_close", "paragraph_close"})

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.blocks: list[Block] = []
        self.lists: list[list[int]] = []  # per open list: [next number, ordered flag]
        self.in_quote = False
        self.item_marker = False
        self.in_thead = False
        self.header: list[Runs] = []
        self.rows: list[tuple[Runs, ...]] = []
        self.row: list[Runs] = []

    def run(self) -> tuple[Block, ...]:
        i = 0
        while i < len(self.tokens):
            i += self._step(i)
        return tuple(self.blocks)

    def _step(self, i: int) -> int:
        tok = self.tokens[i]
        kind = tok.type
        if kind == "heading_open":
            self.blocks.append(Heading(int(tok.tag[1]), _inline_runs(self.tokens[i + 1])))
            return 3
        if kind == "paragraph_open":
            self._paragraph(_inline_runs(self.tokens[i + 1]))
            return 3
        if kind in ("th_open", "td_open"):
            self.row.append(_inline_runs(self.tokens[i + 1]))
            return 3
        if kind in self._IGNORED:
            return 1
        handler = getattr(self, f"_on_{kind}", None)
        if handler is None:
            raise SourceError(f"unsupported block {kind!r}")
        handler(tok)
        return 1

    def _paragraph(self, runs: Runs) -> None:
        if not self.lists:
            self.blocks.append(Paragraph(runs, note=self.in_quote))
            return
        level = len(self.lists)
        number, ordered = self.lists[-1]
        label = ""
        if ordered and self.item_marker:
            label = f"{number}." if level == 1 else f"{_letters(number - 1)})"
            self.lists[-1][0] += 1
        # A second paragraph inside one item continues it without a new marker.
        self.blocks.append(ListItem(runs, level, label, self.item_marker))
        self.item_marker = False

    def _on_bullet_list_open(self, _tok: Token) -> None:
        self.lists.append([0, 0])

    def _on_ordered_list_open(self, tok: Token) -> None:
        self.lists.append([int(tok.attrs.get("start", 1) or 1), 1])

    def _on_bullet_list_close(self, _tok: Token) -> None:
        self.lists.pop()

    _on_ordered_list_close = _on_bullet_list_close

    def _on_list_item_open(self, _tok: Token) -> None:
        self.item_marker = True

    def _on_blockquote_open(self, _tok: Token) -> None:
        self.in_quote = True

    def _on_blockquote_close(self, _tok: Token) -> None:
        self.in_quote = False

    def _on_table_open(self, _tok: Token) -> None:
        self.header, self.rows = [], []

    def _on_thead_open(self, _tok: Token) -> None:
        self.in_thead = True

    def _on_thead_close(self, _tok: Token) -> None:
        self.in_thead = False

    def _on_tr_open(self, _tok: Token) -> None:
        self.row = []

    def _on_tr_close(self, _tok: Token) -> None:
        if self.in_thead:
            self.header = self.row
        else:
            self.rows.append(tuple(self.row))

    def _on_table_close(self, _tok: Token) -> None:
        self.blocks.append(Table(tuple(self.header), tuple(self.rows)))

    def _on_fence(self, tok: Token) -> None:
        self.blocks.append(Code(tok.content.rstrip("\n")))

    _on_code_block = _on_fence

    def _on_html_block(self, tok: Token) -> None:
        if "pagebreak" not in tok.content:
            raise SourceError(f"raw HTML is not supported: {tok.content.strip()[:60]!r}")
        self.blocks.append(PageBreak())

    def _on_hr(self, _tok: Token) -> None:
        self.blocks.append(PageBreak())


def parse_body(text: str) -> tuple[Block, ...]:
    """Turn a Markdown body into blocks.

    Raises:
        SourceError: on markup the renderers do not support (images, links, raw HTML
            other than the ``<!-- pagebreak -->`` marker).
    """
    md = MarkdownIt("commonmark").enable("table")
    return _BodyParser(md.parse(text)).run()


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    """Split ``---`` YAML front matter from a Markdown body.

    Raises:
        SourceError: when the front matter is missing or not a mapping.
    """
    if not text.startswith("---\n"):
        raise SourceError(f"{path.name}: no YAML front matter")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise SourceError(f"{path.name}: front matter is not closed by ---")
    data = yaml.safe_load(text[4:end])
    if not isinstance(data, dict):
        raise SourceError(f"{path.name}: front matter must be a mapping")
    return data, text[end + 5 :]


def _meta(data: dict[str, Any], path: Path) -> DocMeta:
    known = {
        "file", "format", "doc_no", "title", "revision", "effective", "author", "approver",
        "owner", "kind", "classification", "outline", "toc", "cover", "history",
    }  # fmt: skip
    try:
        fmt = str(data["format"])
        if fmt not in _FORMATS:
            raise SourceError(f"{path.name}: unknown format {fmt!r}")
        effective = data["effective"]
        if not isinstance(effective, dt.date):
            raise SourceError(f"{path.name}: effective must be a YYYY-MM-DD date")
        history = tuple(
            RevisionEntry(str(h[0]), str(h[1]), str(h[2]), str(h[3]))
            for h in data.get("history", [])
        )
        revision = data.get("revision")
        return DocMeta(
            file=str(data["file"]),
            format=fmt,  # type: ignore[arg-type]
            doc_no=str(data["doc_no"]),
            title=str(data["title"]),
            revision=None if revision is None else str(revision),
            effective=effective,
            author=str(data["author"]),
            approver=str(data["approver"]),
            owner=str(data["owner"]),
            kind=str(data["kind"]),
            classification=str(data.get("classification", "Internal")),
            outline=bool(data.get("outline", False)),
            toc=bool(data.get("toc", False)),
            cover=bool(data.get("cover", False)),
            history=history,
            extra={k: v for k, v in data.items() if k not in known},
        )
    except KeyError as exc:
        raise SourceError(f"{path.name}: front matter lacks {exc.args[0]!r}") from exc


def load_document(path: Path) -> DocSource:
    """Read one Markdown source.

    Raises:
        SourceError: when the front matter or the body is malformed.
    """
    data, body = split_front_matter(path.read_text(encoding="utf-8"), path)
    meta = _meta(data, path)
    try:
        blocks = parse_body(body)
    except SourceError as exc:
        raise SourceError(f"{path.name}: {exc}") from exc
    return DocSource(meta=meta, blocks=blocks, body=body, path=path)


def load_workbook_source(path: Path) -> tuple[DocMeta, list[dict[str, Any]]]:
    """Read one workbook source (YAML with document metadata and ``sheets``).

    Raises:
        SourceError: when keys are missing or sheets are malformed.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SourceError(f"{path.name}: must be a mapping")
    meta = _meta({k: v for k, v in data.items() if k != "sheets"}, path)
    sheets = data.get("sheets")
    if not isinstance(sheets, list) or not sheets:
        raise SourceError(f"{path.name}: needs a non-empty 'sheets' list")
    for sheet in sheets:
        if not isinstance(sheet, dict) or "name" not in sheet or "columns" not in sheet:
            raise SourceError(f"{path.name}: every sheet needs 'name' and 'columns'")
        width = len(sheet["columns"])
        for row in sheet.get("rows", []):
            if len(row) != width:
                raise SourceError(
                    f"{path.name}: sheet {sheet['name']!r} row has {len(row)} cells, "
                    f"expected {width}: {row!r}"
                )
    return meta, sheets
