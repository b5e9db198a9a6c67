from __future__ import annotations

import numpy as np
import pytest

from qmsgap.mapping.quotes import QuoteMismatch, best_span, segments, verified_quote

pytestmark = pytest.mark.unit


def test_segments_split_sentences_and_lines_with_exact_offsets() -> None:
    text = "  Baselines are tagged. Each release is audited!\n- item one\n\nTable: a | b  "
    segs = segments(text)
    assert [s.text for s in segs] == [
        "Baselines are tagged.",
        "Each release is audited!",
        "- item one",
        "Table: a | b",
    ]
    assert all(text[s.start : s.end] == s.text for s in segs)


def test_abbreviations_and_numbers_do_not_end_a_sentence_mid_clause() -> None:
    segs = segments("See ISO 9001 cl. 7.5.3 for details, e.g. Records. Next sentence here.")
    assert [s.text for s in segs] == [
        "See ISO 9001 cl. 7.5.3 for details, e.g. Records.",
        "Next sentence here.",
    ]


def test_best_span_grows_a_short_best_segment_and_stops_at_weak_neighbours() -> None:
    long_sentence = (
        "Baselines of all configuration items are created and tagged in Git for every release "
        "candidate, and the configuration manager approves each of them."
    )
    segs = segments(f"Scope. {long_sentence} Canteen rules. Parking is free for visitors.")
    # "Scope." alone is too short to stand: it takes its better neighbour, then stops at the
    # weak ones because the quote is long enough.
    assert best_span(segs, np.array([0.9, 0.8, 0.1, 0.1])) == (segs[0].start, segs[1].end)
    # A long best sentence stands alone when its neighbours score under half of it.
    assert best_span(segs, np.array([0.3, 0.9, 0.4, 0.1])) == (segs[1].start, segs[1].end)
    # A neighbour at least half as relevant joins the quote.
    assert best_span(segs, np.array([0.1, 0.9, 0.5, 0.1])) == (segs[1].start, segs[2].end)


def test_a_quote_outside_its_passage_is_a_bug(make_document) -> None:
    doc = make_document("a.md", [(("1 A",), "First sentence. Second sentence.")])
    passage = doc.passages[0]
    assert verified_quote(doc, passage, passage.start, passage.start + 15) == "First sentence."
    with pytest.raises(QuoteMismatch):
        verified_quote(doc, passage, passage.start - 2, passage.start + 5)


def test_lines_wrapped_by_the_page_layout_stay_one_sentence() -> None:
    text = (
        "7 Access rights\nWrite access is granted by the tooling lead on request of the\n"
        "project lead. Escalation levels are:\n- supplier audit,\n- controlled shipping"
    )
    assert [s.text for s in segments(text)] == [
        "7 Access rights",
        "Write access is granted by the tooling lead on request of the\nproject lead.",
        "Escalation levels are:",
        "- supplier audit,",
        "- controlled shipping",
    ]
