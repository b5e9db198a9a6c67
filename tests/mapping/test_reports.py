from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qmsgap.mapping.reports import WRITERS, write_report
from qmsgap.mapping.schema import CoverageReport

pytestmark = pytest.mark.unit


@pytest.fixture
def report(engine, documents, catalog) -> CoverageReport:
    return engine.analyze(documents, catalog=catalog, tailoring={"6.10": "no deployment"})


def test_json_report_validates_against_the_schema(report, tmp_path: Path) -> None:
    path = write_report(report, "json", tmp_path / "out" / "r.json")
    data = json.loads(path.read_text())
    assert data["schema"] == "qmsgap.coverage/1"
    assert {"framework", "software_type", "documents", "clauses", "summary"} <= set(data)
    assert CoverageReport.model_validate(data) == report


def test_html_report_is_self_contained_and_shows_quotes_and_gaps(report, tmp_path: Path) -> None:
    html = write_report(report, "html", tmp_path / "r.html").read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "no network references"
    assert "<script" not in html
    quote = report.practice("5.5.1").evidence[0].quote
    assert quote.replace("'", "&#39;") in html
    assert "Prioritized gap list" in html and 'href="#p-5.10.1"' in html
    assert "Tailored out: no deployment" in html
    assert "<svg" in html
    assert all(d.id in html for d in report.documents), "every document version, in full"


def test_csv_has_one_row_per_evidence_item_and_neutralises_formulas(report, tmp_path: Path) -> None:
    report.practice("5.5.1").evidence[0].quote = '=HYPERLINK("x")'
    rows = list(
        csv.DictReader((write_report(report, "csv", tmp_path / "r.csv")).open(encoding="utf-8-sig"))
    )
    expected = sum(max(1, len(p.evidence)) for p in report.practices())
    assert len(rows) == expected
    assert rows[0]["quote"].startswith("'=HYPERLINK")
    cited = {r["document_sha256"] for r in rows if r["document_sha256"]}
    assert cited and cited <= {d.id for d in report.documents}


def test_xlsx_has_the_expected_sheets_and_rows(report, tmp_path: Path) -> None:
    book = load_workbook(write_report(report, "xlsx", tmp_path / "r.xlsx"), read_only=True)
    assert book.sheetnames == ["Summary", "Practices", "Gaps", "Documents", "Findings"]
    gaps = list(book["Gaps"].iter_rows(values_only=True))
    assert len(gaps) == 1 + len(report.gaps)


def test_a_failing_writer_leaves_no_partial_file(report, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    target = out / "r.json"
    target.write_text("previous good report")

    def boom(_report: CoverageReport, path: Path) -> None:
        path.write_text("half")
        raise OSError("disk full")

    monkeypatch.setitem(WRITERS, "json", boom)
    with pytest.raises(OSError, match="disk full"):
        write_report(report, "json", target)
    assert target.read_text() == "previous good report"
    assert list(out.iterdir()) == [target]
