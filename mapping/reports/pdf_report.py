"""The printable PDF report (A4, reportlab platypus): the HTML report's content on paper.

Page numbers read "Page N of M" (the document is laid out twice: once to count pages), every page
carries a running header (framework, software type, generation date), and the PDF outline has an
entry per report section, chapter, clause and practice. Text from documents is escaped for
reportlab's paragraph markup and drawn with DejaVu Sans (shipped with matplotlib, embedded as a
subset); Chinese, Japanese and Korean characters, which DejaVu lacks, use reportlab's CID fonts
and any other character no font can draw is written as its code point, so no character vanishes.
"""

from __future__ import annotations

import io
import itertools
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from qmsgap.errors import ConfigurationError
from qmsgap.mapping.reports.docx_report import citation, status_text_colour, xml_safe
from qmsgap.mapping.reports.html import STATUS_COLOURS, STATUS_LABELS, chapter_bars
from qmsgap.mapping.schema import ClauseCoverage, CoverageReport, PracticeCoverage, Status

SANS = "QmsgapSans"
SANS_BOLD = "QmsgapSans-Bold"
SANS_ITALIC = "QmsgapSans-Oblique"
MONO = "QmsgapSansMono"
_FONT_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_ITALIC: "DejaVuSans-Oblique.ttf",
    MONO: "DejaVuSansMono.ttf",
}
# reportlab's built-in CID fonts (Adobe's standard Asian fonts, which PDF viewers provide).
CJK_FONTS = {"zh": "STSong-Light", "ja": "HeiseiKakuGo-W5", "ko": "HYGothic-Medium"}
_HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF))
_KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF65, 0xFF9F))
_HAN = (
    (0x2E80, 0x2FDF),
    (0x3000, 0x303F),
    (0x3190, 0x319F),
    (0x31C0, 0x31EF),
    (0x3200, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
)
Widths = tuple[float, ...]
_PARAGRAPH_BREAK = re.compile(r"\s*\n\s*\n\s*")
_WHITESPACE = re.compile(r"\s+")


def _in(ranges: tuple[tuple[int, int], ...], code: int) -> bool:
    return any(low <= code <= high for low, high in ranges)


def default_font_dir() -> Path:
    """matplotlib's bundled TrueType folder, where the DejaVu fonts live."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class FontSet:
    """The fonts of the PDF and the markup that draws any text with them.

    ``register()`` adds the fonts to reportlab's registry (idempotent); ``markup(text, font)``
    escapes ``text`` for paragraph markup and switches, character run by character run, to a
    font that has the glyphs.
    """

    def __init__(self, font_dir: Path | None = None) -> None:
        self.font_dir = font_dir or default_font_dir()
        self._coverage: dict[str, frozenset[int]] = {}
        self._cache: dict[tuple[str, str], str] = {}

    def register(self) -> None:
        """Register the fonts. Raises ConfigurationError when a font file is missing."""
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfbase.ttfonts import TTFont

        missing = [f for f in _FONT_FILES.values() if not (self.font_dir / f).is_file()]
        if missing:
            raise ConfigurationError(
                f"The PDF report needs the fonts {', '.join(missing)}, which ship with "
                f"matplotlib; they are not in {self.font_dir}."
            )
        registered = set(pdfmetrics.getRegisteredFontNames())
        for name, filename in _FONT_FILES.items():
            if name not in registered:  # reportlab's registry is per process
                pdfmetrics.registerFont(TTFont(name, str(self.font_dir / filename)))
            glyphs = pdfmetrics.getFont(name).face.charToGlyph
            # reportlab writes no usable text mapping beyond the BMP: those are never "covered"
            self._coverage[name] = frozenset(c for c in glyphs if c <= 0xFFFF)
        for name in CJK_FONTS.values():
            if name not in registered:
                pdfmetrics.registerFont(UnicodeCIDFont(name))
        pdfmetrics.registerFontFamily(
            SANS, normal=SANS, bold=SANS_BOLD, italic=SANS_ITALIC, boldItalic=SANS_BOLD
        )

    def clear_cache(self) -> None:
        """Forget the markup of texts seen so far (it is kept across the layout passes)."""
        self._cache.clear()

    def markup(self, text: str, font: str = SANS) -> str:
        """Paragraph markup drawing ``text`` verbatim in ``font`` where it has the glyphs.

        Single line breaks become spaces, blank lines paragraph breaks (as in the HTML report).
        Raises KeyError when ``register()`` was not called.
        """
        key = (text, font)
        if key not in self._cache:
            covered = self._coverage[font]
            if covered.issuperset(map(ord, text)):  # the usual case: one font draws it all
                self._cache[key] = escape(_WHITESPACE.sub(" ", text).strip())
            else:
                han = self._han_font(text)
                blocks = _PARAGRAPH_BREAK.split(xml_safe(text).strip())
                parts = (self._block(block, covered, han) for block in blocks)
                self._cache[key] = "<br/>".join(parts)
        return self._cache[key]

    def _block(self, block: str, covered: frozenset[int], han: str) -> str:
        glyphs = [self._glyph(char, covered, han) for char in _WHITESPACE.sub(" ", block)]
        pieces = []
        for face, group in itertools.groupby((g for g in glyphs if g), key=lambda g: g[0]):
            chunk = escape("".join(text for _, text in group))
            pieces.append(chunk if face is None else f'<font face="{face}">{chunk}</font>')
        return "".join(pieces)

    def _glyph(self, char: str, covered: frozenset[int], han: str) -> tuple[str | None, str] | None:
        """(font to switch to or None, text to draw), or None to leave out an invisible
        format character (zero-width space, byte order mark) no font has."""
        code = ord(char)
        if code in covered or char == " ":
            return None, char
        if code in self._coverage[SANS]:
            return SANS, char
        if code > 0xFFFF:  # emoji, historic scripts ...
            return None, f"[U+{code:04X}]"
        for ranges, face in ((_HANGUL, CJK_FONTS["ko"]), (_KANA, CJK_FONTS["ja"]), (_HAN, han)):
            if _in(ranges, code):
                return face, char
        if unicodedata.category(char) == "Cf":
            return None
        return None, f"[U+{code:04X}]"

    @staticmethod
    def _han_font(text: str) -> str:
        """Han characters take the Japanese font next to kana, the Korean next to Hangul."""
        codes = [ord(c) for c in text if ord(c) >= 0x1100]
        if any(_in(_KANA, c) for c in codes):
            return CJK_FONTS["ja"]
        if any(_in(_HANGUL, c) for c in codes):
            return CJK_FONTS["ko"]
        return CJK_FONTS["zh"]


class PdfReportWriter:
    """Writes a :class:`CoverageReport` as a printable A4 PDF.

    Options: ``font_dir`` is the folder holding the DejaVu TrueType files (matplotlib's by
    default); ``margin_mm`` the page margin left and right.
    """

    def __init__(self, *, font_dir: Path | None = None, margin_mm: float = 18.0) -> None:
        self.fonts = FontSet(font_dir)
        self.margin_mm = margin_mm

    def __call__(self, report: CoverageReport, path: Path) -> None:
        """Write ``report`` to ``path``.

        Raises ConfigurationError when the fonts are missing and OSError when the file cannot
        be written.
        """
        self.fonts.register()
        total: int | None = None
        try:
            for _ in range(4):
                buffer = io.BytesIO()
                pages = self._build(report, buffer, total)
                if pages == total:
                    break
                total = pages
            else:  # pragma: no cover - the layout does not depend on the footer text
                raise RuntimeError("the page count of the PDF report did not settle")
        finally:
            self.fonts.clear_cache()
        path.write_bytes(buffer.getvalue())

    def _build(self, report: CoverageReport, buffer: io.BytesIO, total: int | None) -> int:
        """Lay the report out into ``buffer``; returns the number of pages."""
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm
        from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

        fonts = self.fonts

        class Document(BaseDocTemplate):  # type: ignore[misc]
            def afterFlowable(self, flowable: Any) -> None:  # noqa: N802 - reportlab's hook
                entry = getattr(flowable, "outline", None)
                if entry is not None:
                    key, title, level = entry
                    self.canv.bookmarkPage(key)
                    self.canv.addOutlineEntry(title, key, level=level, closed=level >= 1)

        framework = report.framework
        header = fonts.markup(
            f"{framework.title} ({framework.id} {framework.version}) · software type "
            f"{report.software_type} · generated {report.generated_at:%Y-%m-%d %H:%M UTC}"
        )

        running_style = _styles()["running"]

        def decorate(canvas: Any, doc: Any) -> None:
            from reportlab.lib.colors import HexColor
            from reportlab.platypus import Paragraph

            width, height = doc.pagesize
            canvas.saveState()
            running = Paragraph(header, running_style)
            _, used = running.wrap(width - 2 * doc.leftMargin, 12 * mm)
            running.drawOn(canvas, doc.leftMargin, height - 10 * mm - used)
            canvas.setStrokeColor(HexColor("#dadce0"))
            rule = height - 12 * mm - used
            canvas.line(doc.leftMargin, rule, width - doc.rightMargin, rule)
            canvas.setFont(SANS, 8)
            canvas.setFillColor(HexColor("#5f6368"))
            canvas.drawString(doc.leftMargin, 10 * mm, "qmsgap automated pre-screen")
            canvas.drawRightString(
                width - doc.rightMargin, 10 * mm, f"Page {doc.page} of {total or '?'}"
            )
            canvas.restoreState()

        margin = self.margin_mm * mm
        doc = Document(
            buffer,
            pagesize=A4,
            leftMargin=margin,
            rightMargin=margin,
            topMargin=24 * mm,
            bottomMargin=18 * mm,
            title=f"Coverage report: {framework.title}",
            author="qmsgap",
            subject=f"{framework.title} {framework.version}, software type {report.software_type}",
            creator=f"qmsgap {report.qmsgap_version}",
            lang="en",
            initialFontName=SANS,
        )
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate)])
        doc.build(list(_Story(report, fonts, doc.width)))
        return int(doc.page)


def write_pdf(report: CoverageReport, path: Path) -> None:
    """The PDF writer with default options (see :class:`PdfReportWriter`).

    Raises ConfigurationError when the DejaVu fonts are missing and OSError when ``path``
    cannot be written.
    """
    PdfReportWriter()(report, path)


# Paragraph styles: name -> overrides of "body" (DejaVu Sans 9.5 pt).
_STYLES: dict[str, dict[str, Any]] = {
    "title": {"fontName": SANS_BOLD, "fontSize": 18, "leading": 23},
    "h1": {"fontName": SANS_BOLD, "fontSize": 14, "leading": 18, "spaceBefore": 6, "spaceAfter": 8},
    "h2": {"fontName": SANS_BOLD, "fontSize": 12, "leading": 16, "spaceBefore": 10},
    "h3": {"fontName": SANS_BOLD, "fontSize": 11, "leading": 15, "spaceBefore": 10},
    "practice": {"spaceBefore": 6},
    "meta": {"fontSize": 8.5, "leading": 11.5, "textColor": "#5f6368"},
    "cite": {"fontSize": 7.5, "leading": 10, "textColor": "#5f6368", "leftIndent": 14},
    "quote": {"leftIndent": 14, "rightIndent": 6, "backColor": "#f5f5f5", "spaceBefore": 4},
    "cell": {"fontSize": 8.5, "leading": 11, "spaceAfter": 0},
    "cell_head": {"fontName": SANS_BOLD, "fontSize": 8.5, "leading": 11, "spaceAfter": 0},
    "hash": {"fontName": MONO, "fontSize": 7, "leading": 9, "spaceAfter": 0},
    "card": {"fontSize": 8.5, "leading": 11, "spaceAfter": 0, "autoLeading": "max"},
    "running": {"fontSize": 8, "leading": 10, "textColor": "#5f6368"},
}
_KEEP_WITH_NEXT = ("h1", "h2", "h3", "practice")


def _styles() -> dict[str, Any]:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle("body", fontName=SANS, fontSize=9.5, leading=13, spaceAfter=4)
    styles = {"body": body}
    for name, overrides in _STYLES.items():
        values = {k: HexColor(v) if k.endswith("Color") else v for k, v in overrides.items()}
        styles[name] = ParagraphStyle(name, body, keepWithNext=name in _KEEP_WITH_NEXT, **values)
    styles["quote"].borderPadding = (3, 4, 3, 4)
    styles["cite"].spaceAfter = 6
    return styles


class _Story:
    """The flowables of the report, in the HTML report's order."""

    def __init__(self, report: CoverageReport, fonts: FontSet, width: float) -> None:
        self.report = report
        self.fonts = fonts
        self.width = width
        self.styles = _styles()
        self.practice_ids = {p.id for p in report.practices()}

    def __iter__(self) -> Iterator[Any]:
        yield from self._front()
        yield from self._chart()
        yield from self._gaps()
        yield from self._documents()
        yield from self._clauses()
        yield from self._tailoring()
        yield from self._method()

    # -- building blocks -----------------------------------------------------------------

    def text(self, value: str, style: str = "body") -> Any:
        return self.raw(self.fonts.markup(value), style)

    def cells(self, *values: str) -> list[Any]:
        return [self.text(value, "cell") for value in values]

    def heading(self, markup: str, style: str, key: str, title: str, level: int) -> Any:
        from reportlab.platypus import Paragraph

        paragraph = Paragraph(markup, self.styles[style])
        paragraph.outline = (key, title, level)
        return paragraph

    def section(self, number: int, title: str, *, new_page: bool = True) -> Iterator[Any]:
        from reportlab.platypus import PageBreak

        if new_page:
            yield PageBreak()
        yield self.heading(escape(f"{number} {title}"), "h1", f"s-{number}", title, 0)

    def badge(self, status: Status) -> str:
        colours = f'backColor="{STATUS_COLOURS[status]}" color="#{status_text_colour(status)}"'
        return f'<font {colours} face="{SANS_BOLD}">\u00a0{STATUS_LABELS[status]}\u00a0</font>'

    def table(self, header: tuple[str, ...], rows: list[list[Any]], widths: Widths) -> Any:
        """A table with a repeated header row that splits between rows; ``widths`` are shares."""
        from reportlab.lib.colors import HexColor
        from reportlab.platypus import LongTable, Paragraph, TableStyle

        head = [Paragraph(escape(h), self.styles["cell_head"]) for h in header]
        scale = self.width / sum(widths)
        table = LongTable(
            [head, *rows], colWidths=[w * scale for w in widths], repeatRows=1, splitInRow=40
        )
        everywhere = ((0, 0), (-1, -1))
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), HexColor("#f5f5f5")),
                    ("LINEBELOW", *everywhere, 0.5, HexColor("#dadce0")),
                    ("VALIGN", *everywhere, "TOP"),
                    ("FONT", *everywhere, SANS, 8.5),
                    ("LEFTPADDING", *everywhere, 4),
                    ("RIGHTPADDING", *everywhere, 4),
                ]
            )
        )
        return table

    # -- sections --------------------------------------------------------------------------

    def _front(self) -> Iterator[Any]:
        from reportlab.lib.colors import HexColor
        from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

        report, summary = self.report, self.report.summary
        framework = report.framework
        title = self.fonts.markup(f"Coverage report: {framework.title}", SANS_BOLD)
        yield self.heading(title, "title", "s-0", "Coverage report", 0)
        yield self.text(
            f"Framework {framework.id} {framework.version} · software type "
            f"{report.software_type} · generated {report.generated_at:%Y-%m-%d %H:%M UTC} by "
            f"qmsgap {report.qmsgap_version} ({report.embedder}) · "
            f"{len(report.documents)} documents",
            "meta",
        )
        yield Spacer(1, 8)
        yield from self.section(1, "Summary", new_page=False)
        cards = [(f"{summary.readiness:.0f}%", "readiness", "#1c1c1c")]
        for status in Status:
            label = f"{STATUS_LABELS[status].lower()} practices"
            cards.append((str(getattr(summary, status.value)), label, STATUS_COLOURS[status]))
        cards.append((str(summary.mandatory_gaps), "mandatory gaps", "#1c1c1c"))
        big = f'<font size="16" color="{{}}" face="{SANS_BOLD}">{{}}</font><br/>{{}}'
        row = [Paragraph(big.format(c, v, escape(t)), self.styles["card"]) for v, t, c in cards]
        table = Table([row], colWidths=[self.width / len(row)] * len(row))
        grey = HexColor("#dadce0")
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), SANS, 8.5),
                    ("BOX", (0, 0), (-1, -1), 0.5, grey),
                    ("INNERGRID", (0, 0), (-1, -1), 0.5, grey),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        yield table
        yield Spacer(1, 6)
        clauses = ", ".join(
            f"{STATUS_LABELS[s].lower()} {summary.clauses.get(s, 0)}" for s in Status
        )
        yield self.text(f"Clauses: {clauses}.", "meta")
        yield self.text(
            "Readiness: credit of applicable practices (covered 1, partial 0.5), mandatory "
            "practices weighted double. Statuses are an automated pre-screen: every claim below "
            "cites the text it rests on; check it.",
            "meta",
        )

    def _chart(self) -> Iterator[Any]:
        from reportlab.graphics.shapes import Drawing, Rect, String
        from reportlab.lib.colors import HexColor

        yield from self.section(2, "Coverage per chapter", new_page=False)
        label_width, row_height = 110.0, 34.0
        bar_width = min(self.width - label_width - 10, 420.0)
        bars = chapter_bars(self.report, width=bar_width)
        height = len(bars) * row_height + 30
        drawing = Drawing(label_width + bar_width, height, initialFontName=SANS)

        def top(y: float) -> float:  # the HTML's y grows downwards, reportlab's upwards
            return height - y

        def label(x: float, y: float, text: str, **options: Any) -> Any:
            return String(x, y, text, fontName=SANS, fontSize=options.pop("size", 9), **options)

        for bar in bars:
            drawing.add(label(0, top(bar.y + 18), bar.label, size=10))
            for status, count, x, w in bar.segments:
                fill = HexColor(STATUS_COLOURS[status])
                drawing.add(
                    Rect(label_width + x, top(bar.y + 26), w, 22, fillColor=fill, strokeColor=None)
                )
                if w > 18:  # room for the count inside the segment
                    ink = HexColor("#" + status_text_colour(status))
                    at = (label_width + x + w / 2, top(bar.y + 19))
                    drawing.add(label(*at, str(count), textAnchor="middle", fillColor=ink))
        legend_y = top(len(bars) * row_height + 22)
        step = bar_width / len(Status)
        for index, status in enumerate(Status):
            x = label_width + index * step
            fill = HexColor(STATUS_COLOURS[status])
            drawing.add(Rect(x, legend_y, 10, 10, fillColor=fill, strokeColor=None))
            drawing.add(label(x + 14, legend_y + 1, STATUS_LABELS[status]))
        yield drawing

    def _gaps(self) -> Iterator[Any]:
        yield from self.section(3, "Prioritized gap list")
        if not self.report.gaps:
            yield self.text("No gaps or partial practices.")
            return
        rows = []
        for gap in self.report.gaps:
            practice = escape(gap.practice_id)
            if gap.practice_id in self.practice_ids:
                practice = f'<a href="#p-{escape(gap.practice_id)}" color="#1565c0">{practice}</a>'
            kind = f"{gap.type} · mandatory" if gap.mandatory else gap.type
            rows.append(
                [
                    self.text(str(gap.rank), "cell"),
                    self.raw(f"{practice} {self.fonts.markup(gap.title)}", "cell"),
                    self.text(kind, "cell"),
                    self.raw(self.badge(gap.status), "cell"),
                    self.text(gap.guidance, "cell"),
                ]
            )
        header = ("#", "Practice", "Type", "Status", "What to write next")
        yield self.table(header, rows, (6, 27, 15, 14, 38))

    def _documents(self) -> Iterator[Any]:
        yield from self.section(4, "Documents and document-control findings")
        yield self.text(
            "The statuses rest on exactly these file versions (SHA-256 of the bytes).", "meta"
        )
        rows = []
        for d in self.report.documents:
            lines = [f"<b>{self.fonts.markup(d.document, SANS_BOLD)}</b>"]
            if d.title:
                lines.append(self.fonts.markup(d.title))
            control = f"No. {d.document_number or '–'} / rev. {d.revision or '–'}"
            lines.append(escape(f"{d.kind.value} · {control}" if d.kind else control))
            rows.append(
                [
                    self.raw("<br/>".join(lines), "cell"),
                    self.text(str(d.pages or ""), "cell"),
                    self.text(d.id, "hash"),
                ]
            )
        from reportlab.pdfbase.pdfmetrics import stringWidth

        sha_width = stringWidth("0" * 64, MONO, 7) + 10  # the whole hash on one line
        widths = (self.width - sha_width - 42, 42, sha_width)
        yield self.table(("Document", "Pages", "SHA-256"), rows, widths)
        findings = []
        for d in self.report.documents:
            for error in d.errors:
                findings.append(self.cells(d.document, "error", error))
            for f in d.findings:
                where = f" (p. {f.page})" if f.page else ""
                text = self.fonts.markup(f.message + where)
                if f.quote:
                    quote = f.quote if len(f.quote) <= 160 else f.quote[:159] + "…"
                    text += f'<br/><font color="#5f6368">“{self.fonts.markup(quote)}”</font>'
                findings.append([*self.cells(d.document, f.severity), self.raw(text, "cell")])
        yield self.heading("Document-control findings", "h2", "s-4-findings", "Findings", 1)
        if findings:
            yield self.table(("Document", "Severity", "Finding"), findings, (30, 10, 60))
        else:
            yield self.text("No document-control findings and no reading errors.")

    def _clauses(self) -> Iterator[Any]:
        yield from self.section(5, "Clauses and practices")
        chapter = None
        for clause in self.report.clauses:
            if clause.chapter != chapter:
                chapter = clause.chapter
                title = f"Chapter {chapter}"
                yield self.heading(escape(title), "h2", f"ch-{chapter}", title, 1)
            yield from self._clause(clause)

    def _clause(self, clause: ClauseCoverage) -> Iterator[Any]:
        title = f"{clause.id} {clause.title}"
        yield self.heading(
            f"{self.fonts.markup(title, SANS_BOLD)} {self.badge(clause.status)}",
            "h3",
            f"c-{clause.id}",
            f"{title} ({STATUS_LABELS[clause.status]})",
            2,
        )
        if clause.not_applicable_reason:
            yield self.text(f"Tailored out: {clause.not_applicable_reason}", "meta")
        for practice in clause.practices:
            yield from self._practice(practice)

    def _practice(self, p: PracticeCoverage) -> Iterator[Any]:
        from reportlab.lib.colors import HexColor
        from reportlab.platypus import HRFlowable

        yield HRFlowable(width="100%", thickness=0.4, color=HexColor("#dadce0"), spaceBefore=4)
        head = f"<b>{self.fonts.markup(f'{p.id} {p.title}', SANS_BOLD)}</b> · {escape(p.type)}"
        if p.mandatory:
            head += " · mandatory"
        head += f" · {self.badge(p.status)}"
        if p.status_source == "manual":
            head += ' <font backColor="#1565c0" color="#ffffff">\u00a0manual\u00a0</font>'
        head += f' <font color="#5f6368" size="8">confidence {p.confidence * 100:.0f}%</font>'
        yield self.heading(head, "practice", f"p-{p.id}", f"{p.id} {p.title}", 3)
        yield self.text(p.rationale, "meta")
        for e in p.evidence:
            yield self.raw(f"“{self.fonts.markup(e.quote)}”", "quote")
            yield self.text(citation(e), "cite")
        if p.guidance:
            yield self.raw(f"<b>Next:</b> {self.fonts.markup(p.guidance)}", "body")

    def _tailoring(self) -> Iterator[Any]:
        yield from self.section(6, "Tailored clauses")
        if not self.report.tailoring:
            yield self.text("No clauses were tailored out.")
            return
        titles = {c.id: c.title for c in self.report.clauses}
        rows = [
            self.cells(cid, titles.get(cid, "(not in the catalog)"), why)
            for cid, why in self.report.tailoring.items()
        ]
        yield self.table(("Clause", "Title", "Justification"), rows, (12, 33, 55))

    def _method(self) -> Iterator[Any]:
        from reportlab.platypus import ListFlowable, ListItem

        report = self.report
        yield from self.section(7, "Method and limitations", new_page=False)
        yield self.text(
            f"qmsgap {report.qmsgap_version} split the documents of section 4 into passages, "
            f"retrieved the passages closest to each practice of {report.framework.title} "
            f"{report.framework.version} ({report.embedder} with keyword search) and estimated a "
            "status from the strength of that evidence."
        )
        points = (
            "This is an automated pre-screen, not an audit: every status is a suggestion; "
            "statuses marked manual were set by a reviewer.",
            "Every claim cites text: quotes are verbatim from the extracted text of the document, "
            "with page, section and character offsets.",
            "Only the documents listed were read; text that could not be extracted (scans "
            "without a text layer, images, protected files) appears as a finding or error.",
            "Characters no embedded font can draw are written as their code point, [U+XXXX].",
        )
        yield ListFlowable(
            [ListItem(self.text(point), value="•") for point in points],
            bulletType="bullet",
            leftIndent=12,
            bulletFontName=SANS,
        )

    def raw(self, markup: str, style: str) -> Any:
        from reportlab.platypus import Paragraph

        return Paragraph(markup, self.styles[style])
