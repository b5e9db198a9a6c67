"""Document-control metadata: dates in many formats, numbers, revisions, people, kinds."""

from __future__ import annotations

import datetime as dt

import pytest

from qmsgap.ingest.blocks import BlockKind, DocumentBuilder
from qmsgap.ingest.dates import find_dates, parse_date
from qmsgap.ingest.metadata import MetadataExtractor, guess_kind
from qmsgap.ingest.models import DocumentFormat, DocumentKind

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-15", dt.date(2024, 3, 15)),
        ("15.03.2024", dt.date(2024, 3, 15)),
        ("15/03/2024", dt.date(2024, 3, 15)),
        ("03/15/2024", dt.date(2024, 3, 15)),  # day first unless impossible
        ("15 March 2024", dt.date(2024, 3, 15)),
        ("March 15, 2024", dt.date(2024, 3, 15)),
        ("15-Mar-2024", dt.date(2024, 3, 15)),
        ("Jun 1 2018", dt.date(2018, 6, 1)),
        ("15. März 2024", dt.date(2024, 3, 15)),
        ("ISO 9001:2015", None),
        ("31.02.2024", None),
        ("1.2.2024", dt.date(2024, 2, 1)),
        ("Version 1.2", None),
        ("15.03.1850", None),
    ],
)
def test_dates(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


def test_found_dates_carry_their_offsets() -> None:
    text = "Issued 2024-03-15, reviewed 1 April 2025."
    found = list(find_dates(text))
    assert [(f.value, text[f.start : f.end]) for f in found] == [
        (dt.date(2024, 3, 15), "2024-03-15"),
        (dt.date(2025, 4, 1), "1 April 2025"),
    ]


def _raw(head: str, control: list[str] | None = None, **properties: str):  # type: ignore[no-untyped-def]
    builder = DocumentBuilder(1_000_000)
    for line in head.split("\n"):
        builder.add(line, BlockKind.LINE)
    raw = builder.finish(DocumentFormat.TEXT)
    raw.control_text = control or []
    raw.properties = dict(properties)
    return raw


@pytest.mark.parametrize(
    ("head", "number", "revision"),
    [
        ("Document No.: QP-7.5-01\nRevision: 04", "QP-7.5-01", "04"),
        ("Doc. No. WI-8.5-03 Rev. C", "WI-8.5-03", "C"),
        ("Form F-10.2-01 Version 2.1", "F-10.2-01", "2.1"),
        ("Dokument-Nr.: VA-12 Ausgabe 3", "VA-12", "3"),
        ("Document number | SOP-012 | Revision | B", "SOP-012", "B"),
        ("Revision history\nISO 9001:2015 and IATF 16949", None, None),
    ],
)
def test_number_and_revision(head: str, number: str | None, revision: str | None) -> None:
    meta = MetadataExtractor()(_raw(head)).metadata
    assert (meta.document_number, meta.revision) == (number, revision)


def test_labeled_date_prefers_the_effective_date_and_cites_it() -> None:
    raw = _raw("Created: 01.01.2020\nEffective date: 15.03.2024")
    extracted = MetadataExtractor()(raw)
    assert extracted.metadata.issue_date == dt.date(2024, 3, 15)
    at = extracted.date_at
    assert at is not None and at.start is not None
    assert raw.text[at.start : at.end] == "15.03.2024"


def test_headers_and_footers_come_first() -> None:
    raw = _raw(
        "Body text about Version 9.9 of a tool", control=["QP-8.4-01 Rev. 3 Issue date: 2023-01-10"]
    )
    meta = MetadataExtractor()(raw).metadata
    assert (meta.document_number, meta.revision, meta.issue_date) == (
        "QP-8.4-01",
        "3",
        dt.date(2023, 1, 10),
    )


def test_people() -> None:
    raw = _raw("Prepared by: Anna Lehmann (Document Control) Approved by: Dr. Jane Roe 2024-02-01")
    meta = MetadataExtractor()(raw).metadata
    assert (meta.author, meta.approver) == ("Anna Lehmann (Document Control)", "Dr. Jane Roe")


def test_standards_are_not_document_numbers() -> None:
    meta = MetadataExtractor()(_raw("Requirements of ISO-9001 and VDA-6 apply.")).metadata
    assert meta.document_number is None


@pytest.mark.parametrize(
    ("title", "number", "kind"),
    [
        (None, "QP-7.5-01", DocumentKind.PROCEDURE),
        (None, "WI-8.5-03", DocumentKind.WORK_INSTRUCTION),
        (None, "F-10.2-01", DocumentKind.FORM),
        ("Quality Manual", None, DocumentKind.MANUAL),
        ("Quality Policy", None, DocumentKind.POLICY),
        ("Audit plan form", None, DocumentKind.FORM),
        ("Management review report", None, DocumentKind.RECORD),
        ("Control Plan", None, DocumentKind.PLAN),
        ("SOP Corrective and Preventive Action", None, DocumentKind.PROCEDURE),
        ("Miscellaneous notes", None, DocumentKind.OTHER),
    ],
)
def test_kind(title: str | None, number: str | None, kind: DocumentKind) -> None:
    assert guess_kind(title, number, "") is kind


def test_kind_from_content() -> None:
    assert (
        guess_kind(None, None, "Purpose ... Scope ... Responsibilities ...")
        is DocumentKind.PROCEDURE
    )
    assert guess_kind(None, None, "☐ yes ☐ no ☐ n/a") is DocumentKind.FORM
