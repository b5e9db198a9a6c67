"""Numbered headings among flowing lines, and page furniture."""

from __future__ import annotations

import pytest

from qmsgap.ingest.headings import NumberedHeadingDetector, parse_candidate, running_lines

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("4.2.1 Control of documents", True),
        ("7 Support", True),
        ("1. Purpose", True),
        ("Appendix A Forms", True),
        ("Annex B: Contact list", True),
        ("15.03.2024 Approved by the plant manager", False),  # a date
        ("2024 Annual review", False),
        ("3 pieces per box are checked.", False),  # a sentence
        ("4.2 Control of documents ........ 12", False),  # table of contents
        ("4.2 Control of documents 12", False),
        ("5 Reference to ISO 9001", True),
        ("12 mm", False),
        ("1 the supplier informs the buyer", False),  # lower case
        ("99 Problems", False),  # chapter numbers stay small
        # numbered paragraphs wrapped by the page layout are not headings
        ("8.3 Audit results are reported to top management monthly (audit dashboard) and", False),
        ("9.1 The auditee determines the root cause and defines corrective actions with", False),
        ("7.2 Changes to test programs (test limits, sequences, EOL software) are released", False),
        ("6 Keeping knowledge when people change", True),
        ("4.4 What is a baseline", True),  # short: a verb alone does not make a sentence
    ],
)
def test_candidates(line: str, heading: bool) -> None:
    assert (parse_candidate(0, line) is not None) is heading


def test_outline_chain_rejects_list_items_and_table_of_contents() -> None:
    lines = [
        "Contents",
        "1 Purpose",  # table of contents, printed again below
        "2 Scope",
        "1 Purpose",
        "Text.",
        "2 Scope",
        "Text.",
        "2.1 Sites",
        "1. Open the form",  # a numbered list inside 2.1
        "2. Sign it",
        "2.2 Products",
        "3 Terms",
        "Appendix A Forms",
        "1 Form list",  # numbering restarts after an appendix
    ]
    levels = NumberedHeadingDetector()(lines)
    assert levels == {3: 1, 5: 1, 7: 2, 10: 2, 11: 1, 12: 1, 13: 1}


def test_a_single_numbered_line_is_not_an_outline() -> None:
    assert NumberedHeadingDetector()(["Memo", "1 Result", "Everything is fine."]) == {}


def test_running_headers_footers_and_page_numbers() -> None:
    pages = [
        ["ACME QP-7.5-01 Rev. C", "1 Purpose", "Text one.", "Page 1 of 3"],
        ["ACME QP-7.5-01 Rev. C", "2 Scope", "Text two.", "Page 2 of 3"],
        ["ACME QP-7.5-01 Rev. C", "3 Terms", "Text three.", "- 3 -"],
    ]
    assert running_lines(pages) == [{0, 3}, {0, 3}, {0, 3}]


def test_a_single_page_keeps_its_lines_but_not_its_page_number() -> None:
    assert running_lines([["Title", "Body", "Page 1 of 1"]]) == [{2}]
