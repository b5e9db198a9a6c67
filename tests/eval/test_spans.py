"""Finding gold quotes in canonical text, the hit rule, and the IR view."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qmsgap.eval.gold import GoldEvidence, GoldLabel, GoldSet
from qmsgap.eval.spans import (
    GoldSpan,
    PassageWidener,
    QuoteLocator,
    hits,
    ir_view,
    judge,
    locate_gold,
    normalise,
)
from qmsgap.ingest.models import ParsedDocument

pytestmark = pytest.mark.unit


def _located(text: str, quote: str) -> str:
    where, count = QuoteLocator({"d": text}).locate("d", quote)
    assert where is not None and count == 1
    return text[where[0] : where[1]]


def test_whitespace_runs_and_line_breaks_are_ignored() -> None:
    text = "Intro.\nDocuments  are\n   reviewed\tand approved before release. Next."
    assert _located(text, "Documents are reviewed and approved before release.") == (
        "Documents  are\n   reviewed\tand approved before release."
    )


def test_hyphenated_line_break_is_joined() -> None:
    text = "All controlled docu-\n  ments are listed in the master list."
    assert (
        _located(text, "All controlled documents are listed")
        == "All controlled docu-\n  ments are listed"
    )


def test_ligatures_and_typographic_quotes_fold() -> None:
    text = "The ﬁnal “release” decision is made by the quality manager."
    assert _located(text, 'The final "release" decision') == "The ﬁnal “release” decision"


def test_compact_match_survives_merged_words() -> None:
    text = "Internal audits areplanned annually by the quality manager."
    # no exact normalised match ("areplanned"); the compact fallback ignores spaces and case
    assert _located(text, "internal audits are planned annually") == (
        "Internal audits areplanned annually"
    )


def test_not_found_and_ambiguous() -> None:
    locator = QuoteLocator({"a": "alpha beta gamma. alpha beta gamma.", "b": "delta epsilon"})
    where, count = locator.locate("a", "alpha beta")
    assert where == (0, 10) and count == 2
    assert locator.locate("a", "delta epsilon") == (None, 0)
    assert locator.documents_containing("delta  epsilon") == ["b"]
    with pytest.raises(KeyError):
        locator.locate("zzz", "x")


def test_normalise_keeps_an_offset_per_character() -> None:
    norm = normalise("a  b-\nc ﬁ")
    assert norm.text == "a bc fi"
    assert norm.origin == (0, 1, 3, 6, 7, 8, 8)
    assert norm.span(2, 2) == (3, 7)


def test_hit_rule_needs_half_the_gold_span() -> None:
    gold = GoldSpan("p", "doc.md", 10, 30)  # 20 characters
    assert hits("doc.md", 0, 20, gold)  # overlaps 10 of 20: exactly half -> hit
    assert not hits("doc.md", 0, 19, gold)  # 9 of 20 -> miss
    assert hits("doc.md", 15, 25, gold)  # inside the span, 10 of 20
    assert hits("doc.md", 0, 100, gold)  # a large passage containing it
    assert not hits("other.md", 10, 30, gold)  # same offsets, other document
    judgement = judge([("other.md", 10, 30), ("doc.md", 12, 28)], [gold])
    assert judgement.hits == (frozenset(), frozenset({0}))
    assert judgement.n_gold == 1


def _gold(tmp_path: Path, labels: list[GoldLabel]) -> GoldSet:
    return GoldSet(tmp_path / "labels.jsonl", tmp_path, {lb.practice_id: lb for lb in labels})


def _label(pid: str, status: str, *evidence: tuple[str, str]) -> GoldLabel:
    return GoldLabel(
        practice_id=pid,
        status=status,  # type: ignore[arg-type]
        evidence=tuple(GoldEvidence(document=d, quote=q) for d, q in evidence),
        rationale="r",
        labeller="t",
    )


def test_locate_gold_reports_every_problem(
    tmp_path: Path, make_document: Callable[..., ParsedDocument]
) -> None:
    qm = make_document(
        "qm.md",
        [
            (("4 Audit",), "Internal audits are planned annually and cover every process."),
            (("5 Review",), "Management review happens twice a year with minutes."),
        ],
    )
    other = make_document("other.md", [(("1",), "Records are retained for ten years.")])
    gold = _gold(
        tmp_path,
        [
            _label("4.4.1", "covered", ("qm.md", "Internal audits are planned annually")),
            _label(
                "4.4.2",
                "partial",
                ("qm.md", "Management review happens  twice a year"),
                ("qm.md", "Records are retained for ten years"),  # in the other document
                ("missing.md", "anything at all"),  # document failed to ingest
            ),
            _label("5.1.2", "gap"),
        ],
    )
    located = locate_gold(gold, [qm, other])
    span = located.spans["4.4.1"][0]
    assert qm.canonical_text[span.start : span.end] == "Internal audits are planned annually"
    assert len(located.spans["4.4.2"]) == 1
    assert located.spans["5.1.2"] == ()
    problems = {(p.document, p.problem, p.found_in) for p in located.unlocated}
    assert problems == {
        ("qm.md", "quote not found", ("other.md",)),
        ("missing.md", "document was not ingested", ()),
    }

    view = ir_view({"4.4.1": "audit", "5.1.2": "sbom"}, located, [qm, other])
    assert view.relevant_docs == {"4.4.1": {qm.passages[0].id}, "5.1.2": set()}
    assert set(view.corpus) == {p.id for p in [*qm.passages, *other.passages]}
    assert view.to_json()["relevant_docs"] == {"4.4.1": [qm.passages[0].id], "5.1.2": []}


def test_passage_widener(make_document: Callable[..., ParsedDocument]) -> None:
    doc = make_document("d.md", [(("1",), "Alpha beta gamma."), (("2",), "Delta epsilon zeta.")])
    first, second = doc.passages
    widen = PassageWidener([doc])
    # a word inside the first passage becomes the whole first passage
    assert widen("d.md", first.start + 6, first.start + 10) == ("d.md", first.start, first.end)
    # a span across both passages becomes their union
    assert widen("d.md", first.end - 2, second.start + 2) == ("d.md", first.start, second.end)
    # other documents and spans outside every passage are unchanged
    assert widen("x.md", 0, 3) == ("x.md", 0, 3)
    assert widen("d.md", first.end, first.end + 1) == ("d.md", first.end, first.end + 1)
