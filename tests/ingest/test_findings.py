"""Document-control findings, each citing where it was seen."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from qmsgap.ingest.models import FindingCode, ParsedDocument
from qmsgap.ingest.pipeline import DocumentParser, ingest_bytes
from qmsgap.ingest.standards import WITHDRAWN_STANDARDS
from qmsgap.settings import Settings

pytestmark = pytest.mark.unit

Parse = Callable[..., ParsedDocument]


def codes(document: ParsedDocument) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(f.code.value, f.quote, f.section) for f in document.findings]


def test_pdf_procedure_findings_cite_page_section_and_quote(parse: Parse) -> None:
    document = parse("procedure.pdf")
    assert codes(document) == [
        ("withdrawn_standard", "ISO/TS 16949", ("1 Purpose",)),
        ("empty_section", "3.2 Approval", ("3 Procedure", "3.2 Approval")),
        ("unresolved_placeholder", "TBD", ("4 Records",)),
    ]
    assert [f.page for f in document.findings] == [1, 2, 3]
    withdrawn = document.findings[0]
    assert withdrawn.severity == "major"
    assert "replace the reference with IATF 16949:2016" in withdrawn.message


def test_markdown_findings(parse: Parse) -> None:
    document = parse("manual.md")  # effective 2019-05-01, "today" is 2025-01-01
    assert codes(document) == [
        ("outdated", "", ()),
        ("withdrawn_standard", "ISO 9001:2008", ("1 Introduction",)),
        ("empty_section", "2.2 Packaging", ("2 Requirements", "2.2 Packaging")),
        ("unresolved_placeholder", "to be defined", ("2 Requirements", "2.1 Deliveries")),
    ]
    assert document.findings[0].message.startswith("issued 2019-05-01, 5.7 years ago")


def test_outdated_date_in_the_text_is_quoted(settings: Settings) -> None:
    data = (
        b"Procedure\nEffective date: 15.03.2019\nRevision: 2\n\n1 Purpose\nText.\n\n2 Scope\nAll.\n"
    )
    document = DocumentParser(settings, today=dt.date(2025, 1, 1)).parse(data, path="p.txt")
    outdated = [f for f in document.findings if f.code is FindingCode.OUTDATED]
    assert [(f.quote, document.canonical_text[f.start : f.end]) for f in outdated] == [  # type: ignore[misc]
        ("15.03.2019", "15.03.2019")
    ]
    # the same document is current two years earlier
    recent = DocumentParser(settings, today=dt.date(2020, 1, 1)).parse(data, path="p.txt")
    assert not [f for f in recent.findings if f.code is FindingCode.OUTDATED]


def test_the_age_limit_is_a_setting(settings: Settings) -> None:
    data = b"Effective date: 2024-06-01\nRev. A\n"
    strict = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"document_max_age_days": 30})}
    )
    document = DocumentParser(strict, today=dt.date(2024, 9, 1)).parse(data, path="x.txt")
    assert [f.code for f in document.findings] == [FindingCode.OUTDATED]


def test_missing_revision_and_date(parse: Parse) -> None:
    document = parse("outline.pdf")
    assert [f.code for f in document.findings] == [
        FindingCode.MISSING_REVISION,
        FindingCode.MISSING_DATE,
    ]
    assert all(f.start is None and f.quote == "" for f in document.findings)


@pytest.mark.parametrize(
    ("text", "standard"),
    [
        ("according to ISO/TS 16949:2009", "ISO/TS 16949"),
        ("certified to TS 16949", "ISO/TS 16949"),
        ("per ISO 9001:2008 clause 7.5", "ISO 9001:2008"),
        ("ISO 9001 (2000)", "ISO 9001:2000"),
        ("QS-9000 manual", "QS-9000"),
        ("process audit VDA 6.3 2016", "VDA 6.3 (edition before 2023)"),
        ("VDA 6.3:2010", "VDA 6.3 (edition before 2023)"),
        ("ISO 26262-6:2011", "ISO 26262:2011"),
        ("Automotive SPICE 3.0", "Automotive SPICE 3.0 or earlier"),
    ],
)
def test_withdrawn_standards(text: str, standard: str) -> None:
    assert [s.name for s in WITHDRAWN_STANDARDS if s.pattern.search(text)] == [standard]


@pytest.mark.parametrize(
    "text",
    ["IATF 16949:2016", "ISO 9001:2015", "VDA 6.3:2023", "ISO 26262:2018", "Automotive SPICE 4.0"],
)
def test_current_standards_are_not_flagged(text: str) -> None:
    assert not [s.name for s in WITHDRAWN_STANDARDS if s.pattern.search(text)]


def test_placeholders(settings: Settings) -> None:
    data = (
        b"1 Purpose\nOwner: TBD. Date: [insert date]. Contact: <enter e-mail>.\n"
        b"TODO check. Limits are to be determined. Name: {{name}}. tbd in lower case is text.\n"
        b"2 Scope\nAll plants.\n"
    )
    document = ingest_bytes(data, settings, display_path="p.txt")
    quotes = [f.quote for f in document.findings if f.code is FindingCode.UNRESOLVED_PLACEHOLDER]
    assert quotes == [
        "TBD",
        "[insert date]",
        "<enter e-mail>",
        "TODO",
        "to be determined",
        "{{name}}",
    ]


def test_many_findings_of_one_kind_are_capped(settings: Settings) -> None:
    data = b"1 Purpose\n" + b"TBD\n" * 80 + b"2 Scope\nAll.\n"
    document = ingest_bytes(data, settings, display_path="p.txt")
    placeholders = [f for f in document.findings if f.code is FindingCode.UNRESOLVED_PLACEHOLDER]
    assert len(placeholders) == 51
    assert placeholders[-1].message == "30 more findings of this kind are not listed"


def _fake_tesseract(folder: Path, output: str) -> None:
    script = folder / "tesseract"
    script.write_text(f"#!/bin/sh\necho '{output}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_ocr_reads_scanned_pages_when_installed_and_switched_on(
    parse: Parse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_tesseract(tmp_path, "Gauge 4712 calibrated by OCR")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    document = parse("scanned.pdf", ocr=True)
    assert [(p.number, p.has_text) for p in document.pages] == [(1, True), (2, True)]
    page = document.pages[1]
    assert document.canonical_text[page.start : page.end] == "Gauge 4712 calibrated by OCR"
    assert document.passages[-1].page_end == 2
    scans = [f for f in document.findings if f.code is FindingCode.NO_TEXT_LAYER]
    assert [(f.page, f.severity) for f in scans] == [(2, "info")]


def test_ocr_switched_on_without_tesseract_reports_it(
    parse: Parse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    document = parse("scanned.pdf", ocr=True)
    assert any("tesseract program is not installed" in w for w in document.warnings)
    scans = [f for f in document.findings if f.code is FindingCode.NO_TEXT_LAYER]
    assert [(f.page, f.severity) for f in scans] == [(2, "major")]


def test_ocr_is_off_by_default(
    parse: Parse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_tesseract(tmp_path, "should not be read")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    document = parse("scanned.pdf")
    assert "should not be read" not in document.canonical_text
