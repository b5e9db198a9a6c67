"""The DOCX and PDF reports, read back with python-docx and pypdf."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from pypdf import PdfReader

from qmsgap.errors import ConfigurationError
from qmsgap.ingest.models import Finding, FindingCode
from qmsgap.mapping.reports import WRITERS, write_report
from qmsgap.mapping.reports.html import STATUS_LABELS
from qmsgap.mapping.reports.pdf_report import CJK_FONTS, FontSet, PdfReportWriter
from qmsgap.mapping.schema import CoverageReport, GapItem, Status

pytestmark = pytest.mark.unit

# Characters that break naive markup (<, &, a tag), Latin-1, symbols and Chinese.
QUOTE = 'Gauges < 5 µm & "Prüfmittel" ≥ 3 <b>not markup</b> 质量手册'


@pytest.fixture
def report(engine, documents, catalog) -> CoverageReport:
    report = engine.analyze(documents, catalog=catalog, tailoring={"6.10": "no deployment"})
    report.practice("5.5.1").evidence[0].quote = QUOTE
    report.documents[0].findings.append(
        Finding(
            code=FindingCode.MISSING_REVISION,
            severity="minor",
            message="No revision & no date <found>",
            page=1,
            quote="Rev. ?? — draft",
        )
    )
    report.documents[1].errors.append("Page 7 could not be read")
    return report


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- DOCX -----------------------------------------------------------------------------------


def _docx_text(document: Any) -> str:
    """Every paragraph and table cell text, hyperlinks included."""
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


@pytest.fixture
def docx_document(report, tmp_path: Path) -> Any:
    return docx.Document(str(write_report(report, "docx", tmp_path / "r.docx")))


def test_docx_lists_every_document_hash_and_every_gap(report, docx_document) -> None:
    text = _docx_text(docx_document)
    assert report.gaps
    for entry in report.documents:
        assert entry.id in text
    gap_table = next(t for t in docx_document.tables if t.rows[0].cells[0].text == "#")
    listed = [row.cells[1].text for row in gap_table.rows[1:]]
    assert [cell.split()[0] for cell in listed] == [g.practice_id for g in report.gaps]
    assert "No revision & no date <found>" in text
    assert "Page 7 could not be read" in text


def test_docx_uses_heading_styles_for_sections_clauses_and_practices(report, docx_document) -> None:
    by_style: dict[str, list[str]] = {}
    for paragraph in docx_document.paragraphs:
        by_style.setdefault(paragraph.style.name, []).append(paragraph.text)
    assert by_style["Title"] == ["Stage 1 document review: pre-screen report"]
    assert {"1 Summary", "3 Prioritized gap list", "6 Method and limitations"} <= set(
        by_style["Heading 1"]
    )
    clauses = [f"{c.id} {c.title}: {STATUS_LABELS[c.status]}" for c in report.clauses]
    assert by_style["Heading 2"][-len(clauses) :] == clauses
    assert len(by_style["Heading 3"]) == len(report.practices())
    assert by_style["Auditor Notes"] == ["Auditor notes: "] * len(report.practices())
    assert "5 Tailored clauses" in by_style["Heading 1"]
    assert "Tailored out (not applicable): no deployment" in _docx_text(docx_document)


def test_docx_quote_survives_verbatim_with_its_citation(report, docx_document) -> None:
    paragraphs = docx_document.paragraphs
    index = next(i for i, p in enumerate(paragraphs) if p.text == f"“{QUOTE}”")
    assert paragraphs[index].style.name == "Quote"
    cite = paragraphs[index + 1]
    evidence = report.practice("5.5.1").evidence[0]
    assert cite.style.name == "Citation"
    assert evidence.document in cite.text and " › ".join(evidence.section) in cite.text
    assert f"{evidence.start}–{evidence.end}" in cite.text


def test_docx_has_fields_to_fill_and_coloured_status_cells(report, docx_document) -> None:
    body = docx_document.element.body
    tags = {t.get(qn("w:val")) for t in body.iter(qn("w:tag"))}
    assert {"organisation", "auditor"} <= tags
    instructions = " ".join(i.text for i in body.iter(qn("w:instrText")))
    assert "TOC" in instructions
    footer = docx_document.sections[0].footer._element
    assert {"PAGE", "NUMPAGES"} <= {i.text.strip() for i in footer.iter(qn("w:instrText"))}
    fills = {s.get(qn("w:fill")) for s in body.iter(qn("w:shd"))}
    assert {"C62828", "2E7D32", "9E9E9E"} <= fills
    anchors = {h.get(qn("w:anchor")) for h in body.iter(qn("w:hyperlink"))}
    bookmarks = {b.get(qn("w:name")) for b in body.iter(qn("w:bookmarkStart"))}
    assert anchors and anchors <= bookmarks
    assert docx_document.sections[0].page_width.cm == pytest.approx(21.0, abs=0.01)


def test_docx_replaces_characters_xml_cannot_carry(report, tmp_path: Path) -> None:
    report.practice("5.5.2").evidence[0].quote = "page one\x0cpage two\x00end"
    document = docx.Document(str(write_report(report, "docx", tmp_path / "r.docx")))
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert "“page one\npage two\ufffdend”" in quotes


# --- PDF ------------------------------------------------------------------------------------


@pytest.fixture
def pdf(report, tmp_path: Path) -> PdfReader:
    return PdfReader(write_report(report, "pdf", tmp_path / "r.pdf"))


def _outline(items: list[Any], level: int = 0) -> Iterator[tuple[int, Any]]:
    for item in items:
        if isinstance(item, list):
            yield from _outline(item, level + 1)
        else:
            yield level, item


def test_pdf_numbers_every_page_n_of_m(pdf) -> None:
    total = len(pdf.pages)
    assert total >= 4
    for number, page in enumerate(pdf.pages, start=1):
        assert re.findall(r"Page (\d+) of (\d+)", page.extract_text()) == [
            (str(number), str(total))
        ]


def test_pdf_outline_has_an_entry_per_clause_on_its_page(report, tmp_path: Path) -> None:
    report.clauses[0].title = "Prüfung & <Review> (Änderung)"
    pdf = PdfReader(write_report(report, "pdf", tmp_path / "r.pdf"))
    entries = list(_outline(pdf.outline))
    titles = [item.title for _, item in entries]
    for clause in report.clauses:
        title = f"{clause.id} {clause.title}"
        level, item = next(e for e in entries if e[1].title.startswith(title + " ("))
        assert level == 2
        page = pdf.pages[pdf.get_destination_page_number(item)]
        assert title in page.extract_text()
    for practice in report.practices():
        assert f"{practice.id} {practice.title}" in titles
    assert {"Summary", "Prioritized gap list", "Clauses and practices"} <= set(titles)


def test_pdf_text_keeps_hashes_gaps_and_quotes_verbatim(report, pdf) -> None:
    text = _squash("\n".join(page.extract_text() for page in pdf.pages))
    for entry in report.documents:
        assert entry.id in text
    for gap in report.gaps:
        assert gap.practice_id in text
    assert _squash(QUOTE) in text
    assert "No revision & no date <found>" in text
    assert "Tailored out: no deployment" in text


def test_pdf_embeds_every_font_it_draws_with(pdf) -> None:
    names = set()
    for page in pdf.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            name = str(font["/BaseFont"])
            names.add(name)
            if name.lstrip("/").startswith(tuple(CJK_FONTS.values())):
                continue  # the standard Asian fonts of PDF viewers, only for CJK text
            assert "/FontFile2" in font["/FontDescriptor"], name
    assert any("DejaVuSans" in n for n in names)
    assert not any("Helvetica" in n for n in names)


def test_pdf_splits_long_tables_and_quotes_across_pages(report, tmp_path: Path) -> None:
    gap = report.gaps[0]
    report.gaps = [
        gap.model_copy(update={"rank": rank, "guidance": f"Write section {rank}. " * 8})
        for rank in range(1, 61)
    ]
    report.gaps[0].guidance = " ".join(f"Row {n} is taller than a page." for n in range(400))
    long_quote = " ".join(f"Sentence {n} of a very long procedure & <step>." for n in range(160))
    report.practice("5.5.2").evidence[0].quote = long_quote + " " + "x" * 400
    reader = PdfReader(write_report(report, "pdf", tmp_path / "long.pdf"))
    texts = [page.extract_text() for page in reader.pages]
    gap_pages = [t for t in texts if "Write section" in t]
    assert len(gap_pages) >= 3
    assert all("What to write next" in t for t in gap_pages), "header row repeats"
    squashed = _squash(" ".join(texts))
    assert "Sentence 159 of a very long procedure & <step>." in squashed
    assert "Row 399 is taller than a page." in squashed, "a row taller than a page is split"
    total = len(reader.pages)
    assert f"Page {total} of {total}" in texts[-1]


def test_write_report_offers_docx_and_pdf() -> None:
    assert {"docx", "pdf"} <= set(WRITERS)


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_an_empty_report_is_written(report, fmt: str, tmp_path: Path) -> None:
    report.documents, report.clauses, report.gaps, report.tailoring = [], [], [], {}
    path = write_report(report, fmt, tmp_path / f"empty.{fmt}")
    if fmt == "pdf":
        text = "".join(page.extract_text() for page in PdfReader(path).pages)
        assert "No gaps or partial practices." in text
    else:
        assert "No clauses were tailored out." in _docx_text(docx.Document(str(path)))


# --- fonts ----------------------------------------------------------------------------------


@pytest.fixture
def fonts() -> FontSet:
    font_set = FontSet()
    font_set.register()
    return font_set


def test_markup_escapes_and_switches_fonts_where_glyphs_are_missing(fonts) -> None:
    assert fonts.markup("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert fonts.markup("品质") == f'<font face="{CJK_FONTS["zh"]}">品质</font>'
    assert CJK_FONTS["ja"] in fonts.markup("品質マニュアル")
    assert f'<font face="{CJK_FONTS["ko"]}">품질</font>' in fonts.markup("품질 관리")
    assert fonts.markup("Thai \u0e01 and \U0001f600") == "Thai [U+0E01] and [U+1F600]"
    assert fonts.markup("line\none\n\nnext  block") == "line one<br/>next block"


def test_missing_font_files_are_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="DejaVuSans"):
        PdfReportWriter(font_dir=tmp_path)(None, tmp_path / "r.pdf")  # type: ignore[arg-type]


def test_gap_list_links_known_practices_and_lists_unknown_ones_unlinked(report, tmp_path) -> None:
    report.gaps.append(
        GapItem(
            rank=2,
            practice_id="9.9.9",
            clause_id="9.9",
            title="Not in this report",
            type="BP",
            mandatory=False,
            status=Status.PARTIAL,
            guidance="",
        )
    )
    reader = PdfReader(write_report(report, "pdf", tmp_path / "g.pdf"))
    gap_page = next(p for p in reader.pages if "Prioritized gap list" in p.extract_text())
    assert "9.9.9 Not in this report" in _squash(gap_page.extract_text())
    links = [a.get_object() for a in gap_page.get("/Annots", [])]
    targets = [reader.get_page_number(a["/Dest"][0].get_object()) for a in links]
    assert len(targets) == 1, "only the practice in the report is linked"
    assert "5.10.1 Licence review" in reader.pages[targets[0]].extract_text()
