"""Render a document source to PDF with reportlab (platypus).

Every page carries a running header (company, document number, revision, title, effective
date) and a footer "Page N of M". Documents may have a cover page, a table of contents and
PDF bookmarks. Output is deterministic (reportlab invariant mode) and never hyphenated.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Preformatted,
    Spacer,
    Table,
    TableStyle,
)

from qmsgap.eval.corpus.sample_source import COMPANY, Block, DocSource, Runs, plain
from qmsgap.eval.corpus.sample_source import Code as CodeBlock
from qmsgap.eval.corpus.sample_source import Heading as HeadingBlock
from qmsgap.eval.corpus.sample_source import ListItem as ListBlock
from qmsgap.eval.corpus.sample_source import PageBreak as BreakBlock
from qmsgap.eval.corpus.sample_source import Paragraph as ParaBlock
from qmsgap.eval.corpus.sample_source import Table as TableBlock

_MARGIN_X = 20 * mm
_MARGIN_TOP = 30 * mm
_MARGIN_BOTTOM = 22 * mm
_GREY = colors.HexColor("#D9DEE6")
_DARK = colors.HexColor("#1F3A5F")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "Body", parent=base["Normal"], fontName="Helvetica", fontSize=10, leading=13.2,
        spaceAfter=5, hyphenationLang="", embeddedHyphenation=0, splitLongWords=0,
    )  # fmt: skip
    return {
        "body": body,
        "note": ParagraphStyle(
            "Note",
            parent=body,
            fontName="Helvetica-Oblique",
            leftIndent=8 * mm,
            borderPadding=3,
            backColor=colors.HexColor("#F2F4F7"),
        ),
        "cell": ParagraphStyle("Cell", parent=body, fontSize=8.6, leading=10.6, spaceAfter=0),
        "cellhead": ParagraphStyle(
            "CellHead",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=8.6,
            leading=10.6,
            spaceAfter=0,
        ),
        "h1": ParagraphStyle(
            "H1",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=14,
            leading=18,
            spaceBefore=10,
            spaceAfter=6,
            textColor=_DARK,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "H2",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=11.5,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
            textColor=_DARK,
            keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            "H3",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=10.2,
            leading=13.5,
            spaceBefore=6,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "title": ParagraphStyle(
            "DocTitle",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=18,
            leading=23,
            spaceAfter=8,
            textColor=_DARK,
        ),
        "covertitle": ParagraphStyle(
            "CoverTitle",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=26,
            leading=32,
            alignment=TA_CENTER,
            textColor=_DARK,
            spaceAfter=14,
        ),
        "covertext": ParagraphStyle(
            "CoverText", parent=body, fontSize=12, leading=16, alignment=TA_CENTER
        ),
        "code": ParagraphStyle(
            "Code",
            parent=body,
            fontName="Courier",
            fontSize=8.4,
            leading=10.4,
            leftIndent=5 * mm,
            backColor=colors.HexColor("#F2F4F7"),
        ),
        "toc1": ParagraphStyle("TOC1", parent=body, fontName="Helvetica-Bold", leftIndent=0),
        "toc2": ParagraphStyle("TOC2", parent=body, leftIndent=8 * mm, spaceAfter=2),
    }


def _markup(runs: Runs) -> str:
    out = []
    for run in runs:
        text = escape(run.text, quote=False)
        if run.code:
            text = f'<font face="Courier">{text}</font>'
        if run.bold:
            text = f"<b>{text}</b>"
        if run.italic:
            text = f"<i>{text}</i>"
        out.append(text)
    return "".join(out)


class _OutlinedParagraph(Paragraph):  # type: ignore[misc]
    """A heading paragraph that knows its outline level and plain title."""

    def __init__(self, text: str, style: ParagraphStyle, level: int, title: str, key: str) -> None:
        super().__init__(text, style)
        self.outline_level = level
        self.outline_title = title
        self.outline_key = key


def _numbered_canvas(meta_footer: str, total: int | None) -> type[Canvas]:
    """A canvas class that writes the footer and "Page N of M" as each page ends.

    ``total`` comes from the previous build pass (the first pass writes 0 and only counts).
    Pages are emitted as they end, so bookmarks point at the page they were made on.
    """

    class _NumberedCanvas(Canvas):  # type: ignore[misc]
        def showPage(self) -> None:  # noqa: N802 - reportlab API
            width, _ = A4
            self.saveState()
            self.setFont("Helvetica", 8)
            self.setFillColor(colors.black)
            self.drawString(_MARGIN_X, 12 * mm, meta_footer)
            self.drawRightString(
                width - _MARGIN_X, 12 * mm, f"Page {self._pageNumber} of {total or 0}"
            )
            self.restoreState()
            super().showPage()

    return _NumberedCanvas


class _Doc(BaseDocTemplate):  # type: ignore[misc]
    def __init__(self, path: Path, source: DocSource, **kwargs: Any) -> None:
        super().__init__(str(path), **kwargs)
        self._source = source
        self.heading_pages: dict[str, int] = {}

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab API
        if not isinstance(flowable, _OutlinedParagraph):
            return
        meta = self._source.meta
        key = flowable.outline_key
        if meta.outline:
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.outline_title, key, flowable.outline_level - 1)
        if flowable.outline_level <= 2:
            self.heading_pages[key] = self.page


def _header(source: DocSource) -> Any:
    meta = source.meta
    right_top = meta.doc_no if meta.revision is None else f"{meta.doc_no}  Rev. {meta.revision}"

    def draw(canvas: Canvas, _doc: BaseDocTemplate) -> None:
        width, height = A4
        top = height - 14 * mm
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 9)
        canvas.setFillColor(_DARK)
        canvas.drawString(_MARGIN_X, top, COMPANY)
        canvas.drawRightString(width - _MARGIN_X, top, right_top)
        canvas.setFont("Helvetica", 8.5)
        canvas.setFillColor(colors.black)
        canvas.drawString(_MARGIN_X, top - 11, meta.title)
        canvas.drawRightString(width - _MARGIN_X, top - 11, f"Effective: {meta.effective}")
        canvas.setStrokeColor(_DARK)
        canvas.setLineWidth(0.6)
        canvas.line(_MARGIN_X, top - 16, width - _MARGIN_X, top - 16)
        canvas.line(_MARGIN_X, 16 * mm, width - _MARGIN_X, 16 * mm)
        canvas.restoreState()

    return draw


def _table(header: list[Any], rows: list[list[Any]], widths: list[float] | None) -> Table:
    table = Table([header, *rows], colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8A94A6")),
                ("BACKGROUND", (0, 0), (-1, 0), _GREY),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _column_widths(block: TableBlock, total: float) -> list[float]:
    columns = len(block.header)
    lengths = [len(plain(block.header[c])) + 4 for c in range(columns)]
    for row in block.rows:
        for c in range(columns):
            lengths[c] = max(lengths[c], min(len(plain(row[c])), 60) + 4)
    weights = [max(8, n) for n in lengths]
    scale = total / sum(weights)
    return [w * scale for w in weights]


def _control_block(source: DocSource, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    meta = source.meta
    cell, head = st["cell"], st["cellhead"]
    rows = [("Document no.", meta.doc_no)]
    rows.append(
        ("Revision", meta.revision)
        if meta.revision is not None
        else ("Classification", meta.classification)
    )
    rows += [
        ("Effective date", str(meta.effective)),
        ("Process owner", meta.owner),
        ("Prepared by", meta.author),
        ("Approved by (Freigabe)", meta.approver),
    ]
    info = [[Paragraph(label, head), Paragraph(escape(value), cell)] for label, value in rows]
    width = A4[0] - 2 * _MARGIN_X
    grid = Table(info, colWidths=[width * 0.3, width * 0.7], hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8A94A6")),
                ("BACKGROUND", (0, 0), (0, -1), _GREY),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    out: list[Flowable] = [grid, Spacer(1, 4 * mm)]
    if meta.history:
        history = [
            [Paragraph(escape(h.revision), cell), Paragraph(escape(h.date), cell),
             Paragraph(escape(h.change), cell), Paragraph(escape(h.author), cell)]
            for h in meta.history
        ]  # fmt: skip
        header = [Paragraph(t, head) for t in ("Rev.", "Date", "Description of change", "By")]
        out += [
            Paragraph("<b>Revision history</b>", st["body"]),
            _table(header, history, [width * f for f in (0.08, 0.14, 0.58, 0.20)]),
            Spacer(1, 5 * mm),
        ]
    return out


def _cover(source: DocSource, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    meta = source.meta
    lines = meta.extra.get("cover_lines", [])
    out: list[Flowable] = [Spacer(1, 40 * mm), Paragraph(escape(meta.title), st["covertitle"])]
    out += [Paragraph(escape(str(line)), st["covertext"]) for line in lines]
    out += [Spacer(1, 25 * mm)]
    out += _control_block(source, st)
    out.append(PageBreak())
    return out


def _flow(blocks: tuple[Block, ...], st: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = []
    width = A4[0] - 2 * _MARGIN_X
    for number, block in enumerate(blocks):
        if isinstance(block, HeadingBlock):
            level = min(block.level, 3)
            out.append(
                _OutlinedParagraph(
                    _markup(block.runs), st[f"h{level}"], level, block.text, f"s{number}"
                )
            )
        elif isinstance(block, ParaBlock):
            out.append(Paragraph(_markup(block.runs), st["note" if block.note else "body"]))
        elif isinstance(block, ListBlock):
            indent = 6 * mm * block.level
            style = ParagraphStyle(
                f"List{block.level}", parent=st["body"], leftIndent=indent,
                bulletIndent=indent - 4.5 * mm, spaceAfter=2.5,
            )  # fmt: skip
            if block.label:
                out.append(Paragraph(_markup(block.runs), style, bulletText=block.label))
            elif block.first:
                out.append(Paragraph(_markup(block.runs), style, bulletText="\u2022"))
            else:
                out.append(Paragraph(_markup(block.runs), style))
        elif isinstance(block, TableBlock):
            header = [Paragraph(_markup(c), st["cellhead"]) for c in block.header]
            rows = [[Paragraph(_markup(c), st["cell"]) for c in row] for row in block.rows]
            table = _table(header, rows, _column_widths(block, width))
            out += [table, Spacer(1, 4 * mm)] if len(rows) > 6 else [KeepTogether(table)]
            if len(rows) <= 6:
                out.append(Spacer(1, 4 * mm))
        elif isinstance(block, CodeBlock):
            out.append(Preformatted(block.text, st["code"]))
            out.append(Spacer(1, 3 * mm))
        elif isinstance(block, BreakBlock):
            out.append(PageBreak())
    return out


def _toc(
    blocks: tuple[Block, ...], pages: dict[str, int], st: dict[str, ParagraphStyle]
) -> list[Flowable]:
    """A contents table (section, page) from the page numbers of the previous pass."""
    rows = []
    right = ParagraphStyle("TocPage", parent=st["toc2"], alignment=2, leftIndent=0)
    for number, block in enumerate(blocks):
        if isinstance(block, HeadingBlock) and block.level <= 2:
            style = st["toc1"] if block.level == 1 else st["toc2"]
            page = str(pages.get(f"s{number}", 0))
            rows.append([Paragraph(escape(block.text), style), Paragraph(page, right)])
    width = A4[0] - 2 * _MARGIN_X
    table = Table(rows, colWidths=[width - 18 * mm, 18 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [Paragraph("Table of contents", st["h1"]), table, PageBreak()]


def _build_once(
    source: DocSource, path: Path, toc_pages: dict[str, int] | None, total: int | None
) -> _Doc:
    meta = source.meta
    st = _styles()
    doc = _Doc(
        path, source, pagesize=A4, leftMargin=_MARGIN_X, rightMargin=_MARGIN_X,
        topMargin=_MARGIN_TOP, bottomMargin=_MARGIN_BOTTOM, title=meta.title,
        author=meta.author, subject=f"{meta.doc_no} {meta.title}",
        creator="HME document management system (DMS) export", producer="ReportLab PDF Library",
        keywords=meta.extra.get("keywords", ""), invariant=1,
    )  # fmt: skip
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_header(source))])
    story: list[Flowable] = []
    if meta.cover:
        story += _cover(source, st)
    else:
        story += [Paragraph(escape(meta.title), st["title"]), *_control_block(source, st)]
    if toc_pages is not None:
        story += _toc(source.blocks, toc_pages, st)
    story += _flow(source.blocks, st)
    footer = f"{meta.classification} - printed copies are uncontrolled"
    doc.build(story, canvasmaker=_numbered_canvas(footer, total))
    return doc


def render_pdf(source: DocSource, path: Path) -> int:
    """Write ``source`` as a PDF at ``path``; returns the page count.

    The document is built until the page count (for "Page N of M") and, with ``toc: true``,
    the contents table's page numbers are stable (at most five passes).

    Raises:
        OSError: when the file cannot be written.
        RuntimeError: when the contents page numbers do not settle.
    """
    pages: dict[str, int] | None = {} if source.meta.toc else None
    total: int | None = None
    for _ in range(5):
        doc = _build_once(source, path, pages, total)
        if doc.page == total and (pages is None or doc.heading_pages == pages):
            return int(doc.page)
        total = int(doc.page)
        if pages is not None:
            pages = dict(doc.heading_pages)
    raise RuntimeError(f"{path.name}: table of contents page numbers do not settle")
