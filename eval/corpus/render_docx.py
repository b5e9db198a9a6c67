"""Render a document source to DOCX with python-docx.

Headings use the built-in Heading 1-3 styles (numbers are part of the heading text, as in
most company templates), tables use "Table Grid" with a repeated, shaded header row, and the
header/footer carry the document number, revision and "Page N of M" fields. Core properties
(title, author, revision, dates) come from the source's front matter.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from qmsgap.eval.corpus.sample_source import COMPANY, Block, DocSource, Run, Runs, plain
from qmsgap.eval.corpus.sample_source import Code as CodeBlock
from qmsgap.eval.corpus.sample_source import Heading as HeadingBlock
from qmsgap.eval.corpus.sample_source import ListItem as ListBlock
from qmsgap.eval.corpus.sample_source import PageBreak as BreakBlock
from qmsgap.eval.corpus.sample_source import Paragraph as ParaBlock
from qmsgap.eval.corpus.sample_source import Table as TableBlock

_TEXT_WIDTH_CM = 16.5


def _add_runs(paragraph: object, runs: Runs, size: float | None = None) -> None:
    for run in runs:
        out = paragraph.add_run(run.text)  # type: ignore[attr-defined]
        out.bold = run.bold or None
        out.italic = run.italic or None
        if run.code:
            out.font.name = "Consolas"
        if size:
            out.font.size = Pt(size)


def _field(paragraph: object, instruction: str, placeholder: str) -> None:
    """Append a simple field (PAGE, NUMPAGES) showing ``placeholder`` until Word updates it."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = placeholder
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)  # type: ignore[attr-defined]


def _shade(cell: object, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    props.append(shd)


def _repeat_header(row: object) -> None:
    props = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    props.append(flag)


def _table(document: object, header: list[Runs], rows: list[list[Runs]]) -> None:
    table = document.add_table(rows=1, cols=len(header))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for cell, runs in zip(table.rows[0].cells, header, strict=True):
        paragraph = cell.paragraphs[0]
        _add_runs(paragraph, tuple(r.__class__(r.text, True, r.italic, r.code) for r in runs), 9)
        _shade(cell, "D9DEE6")
    _repeat_header(table.rows[0])
    for row in rows:
        cells = table.add_row().cells
        for cell, runs in zip(cells, row, strict=True):
            _add_runs(cell.paragraphs[0], runs, 9)
    document.add_paragraph()  # type: ignore[attr-defined]


def _header_footer(document: object, source: DocSource) -> None:
    meta = source.meta
    section = document.sections[0]  # type: ignore[attr-defined]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.25)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.0)
    right = Cm(_TEXT_WIDTH_CM)
    head = section.header.paragraphs[0]
    head.paragraph_format.tab_stops.add_tab_stop(right, WD_TAB_ALIGNMENT.RIGHT)
    rev = "" if meta.revision is None else f"  Rev. {meta.revision}"
    company = head.add_run(f"{COMPANY}\t{meta.doc_no}{rev}")
    company.bold = True
    company.font.size = Pt(9)
    second = section.header.add_paragraph()
    second.paragraph_format.tab_stops.add_tab_stop(right, WD_TAB_ALIGNMENT.RIGHT)
    line = second.add_run(f"{meta.title}\tEffective: {meta.effective}")
    line.font.size = Pt(8.5)
    foot = section.footer.paragraphs[0]
    foot.paragraph_format.tab_stops.add_tab_stop(right, WD_TAB_ALIGNMENT.RIGHT)
    lead = foot.add_run(f"{meta.classification} - printed copies are uncontrolled\tPage ")
    lead.font.size = Pt(8)
    _field(foot, "PAGE", "1")
    foot.add_run(" of ").font.size = Pt(8)
    _field(foot, "NUMPAGES", "1")


def _control(document: object, source: DocSource) -> None:
    meta = source.meta
    rows = [
        ("Document no.", meta.doc_no, "Revision", meta.revision or ""),
        ("Effective date", str(meta.effective), "Process owner", meta.owner),
        ("Prepared by", meta.author, "Approved by (Freigabe)", meta.approver),
    ]
    table = document.add_table(rows=0, cols=4)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
            run = cell.paragraphs[0].add_run(value)
            run.font.size = Pt(9)
            if index % 2 == 0:
                run.bold = True
                _shade(cell, "D9DEE6")
    document.add_paragraph()  # type: ignore[attr-defined]
    if meta.history:
        document.add_paragraph().add_run("Revision history").bold = True  # type: ignore[attr-defined]
        _table(
            document,
            [(Run(t),) for t in ("Rev.", "Date", "Description of change", "By")],
            [[(Run(h.revision),), (Run(h.date),), (Run(h.change),), (Run(h.author),)]
             for h in meta.history],
        )  # fmt: skip


def _body(document: object, blocks: tuple[Block, ...]) -> None:
    for block in blocks:
        if isinstance(block, HeadingBlock):
            document.add_heading(block.text, level=min(block.level, 3))  # type: ignore[attr-defined]
        elif isinstance(block, ParaBlock):
            style = "Quote" if block.note else None
            _add_runs(document.add_paragraph(style=style), block.runs)  # type: ignore[attr-defined]
        elif isinstance(block, ListBlock):
            if block.label or not block.first:
                paragraph = document.add_paragraph(style="List Paragraph")  # type: ignore[attr-defined]
                indent = Cm(0.75 * block.level)
                paragraph.paragraph_format.left_indent = indent + Cm(0.6)
                paragraph.paragraph_format.first_line_indent = Cm(-0.6) if block.label else None
                if block.label:
                    paragraph.add_run(f"{block.label}\t")
            else:
                style = "List Bullet" if block.level == 1 else "List Bullet 2"
                paragraph = document.add_paragraph(style=style)  # type: ignore[attr-defined]
            _add_runs(paragraph, block.runs)
        elif isinstance(block, TableBlock):
            _table(document, list(block.header), [list(r) for r in block.rows])
        elif isinstance(block, CodeBlock):
            for line in block.text.splitlines():
                run = document.add_paragraph().add_run(line)  # type: ignore[attr-defined]
                run.font.name = "Consolas"
                run.font.size = Pt(8.5)
        elif isinstance(block, BreakBlock):
            document.add_page_break()  # type: ignore[attr-defined]


def render_docx(source: DocSource, path: Path) -> int:
    """Write ``source`` as DOCX at ``path``; returns the word count of the body.

    Raises:
        OSError: when the file cannot be written.
    """
    meta = source.meta
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)
    for level in (1, 2, 3):
        style = document.styles[f"Heading {level}"]
        style.font.name = "Arial"
        style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    _header_footer(document, source)
    document.add_paragraph(meta.title, style="Title")
    _control(document, source)
    _body(document, source.blocks)
    when = dt.datetime.combine(meta.effective, dt.time(8, 0))
    props = document.core_properties
    props.title = meta.title
    props.subject = meta.doc_no
    props.author = meta.author
    props.last_modified_by = meta.approver
    props.category = meta.kind
    props.identifier = meta.doc_no
    props.keywords = str(meta.extra.get("keywords", ""))
    props.comments = f"{COMPANY} controlled document"
    props.revision = int(meta.revision) if meta.revision and meta.revision.isdigit() else 1
    props.created = when - dt.timedelta(days=21)
    props.modified = when
    props.last_printed = when
    document.save(str(path))
    words = sum(len(plain(b.runs).split()) for b in source.blocks if hasattr(b, "runs"))
    for block in source.blocks:
        if isinstance(block, TableBlock):
            words += sum(len(plain(c).split()) for row in block.rows for c in row)
    return words
