"""Every supported format, read from a fixture: the exact sections, pages and passages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from qmsgap.ingest.models import DocumentFormat, DocumentKind, FindingCode, ParsedDocument

pytestmark = pytest.mark.unit

Parse = Callable[..., ParsedDocument]


def sections(document: ParsedDocument) -> list[tuple[str, ...]]:
    return [passage.section for passage in document.passages]


@pytest.mark.parametrize("backend", ["pypdf", "pypdfium2"])
def test_pdf_numbered_headings_pages_and_running_headers(parse: Parse, backend: str) -> None:
    document = parse("procedure.pdf", pdf_backend=backend)
    assert document.format is DocumentFormat.PDF
    assert [page.number for page in document.pages] == [1, 2, 3]
    assert sections(document) == [
        (),
        ("1 Purpose",),
        ("2 Scope",),
        ("3 Procedure", "3.1 Creation"),
        ("3 Procedure", "3.3 Distribution"),
        ("4 Records",),
        ("Appendix A Forms",),
    ]
    pages = [(p.page_start, p.page_end) for p in document.passages]
    assert pages == [(1, 1), (1, 1), (1, 1), (2, 2), (2, 2), (3, 3), (3, 3)]
    # running header and "Page n of 3" footer are kept out, the table of contents is no heading
    assert "Rev. C" not in document.canonical_text
    assert "Page 1 of 3" not in document.canonical_text
    assert document.passages[0].text.endswith("3 Procedure 2")
    # a numbered list inside 3.1 is not taken for chapters 1 and 2
    assert document.passages[3].text == (
        "3.1 Creation\nThe author drafts the document with the template F-7.5-01.\n"
        "1. Open the template.\n2. Fill in the header."
    )
    meta = document.metadata
    assert (meta.document_number, meta.revision, meta.issue_date) == (
        "QP-7.5-01",
        "C",
        dt.date(2024, 3, 15),
    )
    assert meta.approver == "Sabine Koerner"
    assert meta.title == "Control of Documented Information"
    assert meta.kind is DocumentKind.PROCEDURE


@pytest.mark.parametrize("backend", ["pypdf", "pypdfium2"])
def test_pdf_bookmarks_give_sections_even_when_not_printed(parse: Parse, backend: str) -> None:
    document = parse("outline.pdf", pdf_backend=backend)
    assert sections(document) == [("Purpose",), ("Scope",), ("Annex: contact list",)]
    assert [p.page_start for p in document.passages] == [1, 2, 3]
    assert document.passages[2].text == "Quality hotline +49 9621 000"


@pytest.mark.parametrize("backend", ["pypdf", "pypdfium2"])
def test_pdf_page_without_text_layer_is_reported(parse: Parse, backend: str) -> None:
    document = parse("scanned.pdf", pdf_backend=backend)
    assert [(p.number, p.has_text) for p in document.pages] == [(1, True), (2, False)]
    scans = [f for f in document.findings if f.code is FindingCode.NO_TEXT_LAYER]
    assert [(f.page, f.severity) for f in scans] == [(2, "major")]
    assert "OCR needed" in scans[0].message


@pytest.mark.parametrize("backend", ["pypdf", "pypdfium2"])
def test_pdf_with_empty_user_password_opens(parse: Parse, backend: str) -> None:
    document = parse("encrypted_empty_password.pdf", pdf_backend=backend)
    assert len(document.pages) == 3
    assert document.metadata.document_number == "QP-7.5-01"


@pytest.mark.parametrize("backend", ["pypdf", "pypdfium2"])
def test_pdf_outline_with_a_cycle_is_read_up_to_the_loop(parse: Parse, backend: str) -> None:
    document = parse("outline_cycle.pdf", pdf_backend=backend)
    assert sections(document) == [("Purpose",), ("Scope",)]
    assert document.passages[1].text == "Scope\nText of the scope."


def test_docx_heading_styles_with_automatic_numbering(parse: Parse) -> None:
    document = parse("procedure.docx")
    assert document.format is DocumentFormat.DOCX
    assert document.pages == []
    assert sections(document) == [
        (),
        ("1 Purpose",),
        ("2 Flashing", "2.1 Preparation"),
        ("2 Flashing", "2.2 Execution"),
        ("3 Records",),
        ("5 Annex",),
    ]
    assert document.passages[4].text == (
        "3 Records\n\nRecord: Flash log | Retention: 15 years | Owner: Production\n"
        "Record: Label printout | Owner: Quality"
    )
    meta = document.metadata
    # header: "Doc. No. WI-8.5-03 Rev. B Issue date: 2024-03-15"; footer: "Approved by: ..."
    assert (meta.document_number, meta.revision, meta.issue_date) == (
        "WI-8.5-03",
        "B",
        dt.date(2024, 3, 15),
    )
    assert (meta.title, meta.author, meta.approver) == (
        "Work Instruction EOL Flashing",
        "Tobias Wagner",
        "Stefan Gruber",
    )
    assert meta.kind is DocumentKind.WORK_INSTRUCTION
    assert meta.last_modified == dt.datetime(2024, 3, 15, 9, 0, tzinfo=dt.UTC)
    # Word's save counter (core property "revision" = 17) is not the document revision
    assert meta.properties["save_count"] == "17"


def test_docx_without_heading_styles_uses_numbered_paragraphs(parse: Parse) -> None:
    document = parse("numbered.docx")
    assert sections(document) == [
        (),
        ("1 Purpose",),
        ("2 Audit programme", "2.1 Planning"),
        ("2 Audit programme", "2.2 Auditors"),
    ]
    assert document.metadata.title == "Internal Audit Procedure"


def test_xlsx_sheets_are_sections_and_rows_carry_their_headers(parse: Parse) -> None:
    document = parse("matrix.xlsx")
    assert document.format is DocumentFormat.XLSX
    assert sections(document) == [("Process map",), ("RACI",)]  # the empty Sheet3 is skipped
    first = document.passages[0].text.split("\n")
    assert first[:3] == ["Process map", "Process map Amberg plant", "Form F-4.4-01 | Version 3"]
    assert first[4] == (
        "Process: Purchasing | Owner: Head of Purchasing | KPI: Supplier PPM | Target: 50 | "
        "Last review: 2024-02-01"
    )
    assert first[5].endswith("Target: 0.85 | Last review: 2024-01-15")
    assert first[6] == "Process: Software development | Owner: Head of SWC"
    assert document.passages[1].text.endswith(
        "Activity: Approve PPAP | QM: A | R&D: C | Production: R"
    )
    assert document.metadata.title == "Process map and RACI"
    assert document.metadata.document_number == "F-4.4-01"
    assert document.metadata.kind is DocumentKind.FORM


def test_pptx_slides_are_pages_and_titles_are_sections(parse: Parse) -> None:
    document = parse("slides.pptx")
    assert document.format is DocumentFormat.PPTX
    assert [p.number for p in document.pages] == [1, 2]
    assert sections(document) == [("Quality targets 2024",), ("Escalation levels",)]
    assert [p.page_start for p in document.passages] == [1, 2]
    assert "Notes: Targets agreed in the management review." in document.passages[0].text
    assert document.passages[1].text.endswith(
        "Level: 2 | Trigger: Line stop | Owner: Plant manager"
    )


def test_markdown_front_matter_headings_tables_and_lists(parse: Parse) -> None:
    document = parse("manual.md")
    assert document.format is DocumentFormat.MARKDOWN
    assert sections(document) == [
        ("1 Introduction",),
        ("1 Introduction", "1.1 Scope"),
        ("1 Introduction", "1.2 Responsibilities"),
        ("2 Requirements", "2.1 Deliveries"),
        ("3 Contacts",),
    ]
    assert document.passages[1].text == (
        "1.1 Scope\n\nSite: Amberg | Products: Body controllers\nSite: Plzen | Products: Sensors"
    )
    assert document.passages[2].text.endswith(
        "- The supplier keeps records.\n- The buyer approves changes."
    )
    assert "#" not in document.canonical_text and "---" not in document.canonical_text
    meta = document.metadata
    assert (meta.title, meta.document_number, meta.revision, meta.issue_date, meta.approver) == (
        "Supplier Quality Manual",
        "QM-02",
        "4",
        dt.date(2019, 5, 1),
        "Dr. Markus Albrecht",
    )
    assert meta.kind is DocumentKind.MANUAL


def test_html_headings_lists_tables_and_no_scripts(parse: Parse) -> None:
    document = parse("intranet.html")
    assert document.format is DocumentFormat.HTML
    assert sections(document) == [
        ("Complaint handling",),
        ("Complaint handling", "1 Purpose"),
        ("Complaint handling", "2 Process", "2.1 Registration"),
    ]
    text = document.canonical_text
    for hidden in ("never indexed", "tracking", "color: red", "Home", "html"):
        assert hidden not in text
    assert document.passages[2].text == (
        "2.1 Registration\n- Register the complaint in the CAQ system.\n- Inform the customer.\n\n"
        "Step: D1-D3 | Owner: Quality engineer"
    )
    meta = document.metadata
    assert (meta.title, meta.author, meta.document_number, meta.revision, meta.issue_date) == (
        "Complaint handling",
        "Lukas Bauer",
        "QP-9.1.2-01",
        "2",
        dt.date(2025, 3, 3),
    )


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        ("utf8.txt", None),
        ("utf16.txt", "the text was decoded as utf-16-le"),
    ],
)
def test_text_encodings_give_the_same_passages(
    parse: Parse, name: str, warning: str | None
) -> None:
    document = parse(name)
    assert document.format is DocumentFormat.TEXT
    assert sections(document) == [
        (),
        ("1 Purpose",),
        ("2 Responsibilities",),
        ("2 Responsibilities", "2.1 Records"),
    ]
    assert "Prüfmittel werden überwacht." in document.passages[1].text
    assert document.warnings == ([warning] if warning else [])
    meta = document.metadata
    assert (meta.title, meta.document_number, meta.revision, meta.issue_date) == (
        "Calibration procedure",
        "QP-7.1.5-01",
        "2.1",
        dt.date(2024, 3, 15),
    )


def test_text_in_windows_1252(parse: Parse) -> None:
    document = parse("cp1252.txt")
    assert document.canonical_text.startswith(
        "Prüfanweisung Wareneingang\nKosten: 12 € pro Prüfung"
    )
    assert document.warnings == ["the text was decoded as cp1252"]
    assert document.metadata.issue_date == dt.date(2024, 3, 15)
    assert document.metadata.kind is DocumentKind.WORK_INSTRUCTION


def test_text_with_form_feeds_has_pages_and_no_running_lines(parse: Parse) -> None:
    document = parse("form_feed.txt")
    assert [p.number for p in document.pages] == [1, 2, 3]
    assert [(p.section, p.page_start) for p in document.passages] == [
        (("1 Purpose",), 1),
        (("2 Procedure",), 2),
        (("3 Records",), 3),
    ]
    assert "ACME" not in document.canonical_text and "Page 2 of 3" not in document.canonical_text
    assert document.metadata.document_number == "WI-8.5-03"


def test_the_document_id_is_the_sha256_of_the_bytes(parse: Parse, fixtures) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    document = parse("manual.md")
    assert document.document_id == hashlib.sha256((fixtures / "manual.md").read_bytes()).hexdigest()
    assert document.size_bytes == (fixtures / "manual.md").stat().st_size


@pytest.mark.parametrize("name", ["pdf_named.docx", "docx_named.pdf"])
def test_format_follows_the_content_not_the_name(parse: Parse, name: str) -> None:
    document = parse(name)
    expected = DocumentFormat.PDF if name == "pdf_named.docx" else DocumentFormat.DOCX
    assert document.format is expected
    assert document.passages


def test_ingest_text_for_tests_of_other_packages(settings) -> None:  # type: ignore[no-untyped-def]
    from qmsgap.ingest import ingest_text

    document = ingest_text("# 7.5 Documented information\n\nDocuments are approved.", settings)
    assert [(p.section, p.text) for p in document.passages] == [
        (("7.5 Documented information",), "7.5 Documented information\n\nDocuments are approved.")
    ]
