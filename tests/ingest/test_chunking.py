"""Passages: exact slices, within the model's window (special tokens included), never across
a section, cut at the best boundary, overlapping a little, tables kept whole row by row."""

from __future__ import annotations

import itertools

import pytest

from qmsgap.ingest.blocks import BlockKind, DocumentBuilder
from qmsgap.ingest.chunking import Chunker, WordPieceCounter, load_counter
from qmsgap.ingest.models import DocumentFormat
from qmsgap.ingest.sections import build_sections
from qmsgap.model_files import resolve_model_path
from qmsgap.settings import Settings

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def counter() -> WordPieceCounter:
    return load_counter(resolve_model_path(None))


def _document(build: list[tuple[str, BlockKind, int]]) -> tuple[str, list]:  # type: ignore[type-arg]
    builder = DocumentBuilder(10_000_000)
    group = builder.new_group()
    for text, kind, level in build:
        builder.add(
            text,
            kind,
            level=level,
            gap=kind is not BlockKind.TABLE_ROW,
            group=group if kind is BlockKind.TABLE_ROW else None,
        )
    raw = builder.finish(DocumentFormat.TEXT)
    return raw.text, build_sections(raw.text, raw.blocks)


SENTENCE = "The supplier shall keep the control plan up to date after every process change. "


def test_counter_matches_the_model_tokenizer(counter: WordPieceCounter) -> None:
    assert counter.specials == 2
    assert counter.count("Control of documents") == 2 + 3
    assert counter.count("x" * 500) == 3  # one unknown "word" whatever its length


def test_long_section_respects_window_and_overlap(counter: WordPieceCounter) -> None:
    text, sections = _document(
        [
            ("7.5 Documented information", BlockKind.HEADING, 2),
            (SENTENCE * 40, BlockKind.PARAGRAPH, 0),
        ]
    )
    chunker = Chunker(counter, max_tokens=64, overlap_tokens=16)
    spans = chunker.cut(text, sections[0])
    assert len(spans) > 5
    for start, end in spans:
        piece = text[start:end]
        assert counter.count(piece) <= 64
        assert piece == piece.strip()
    for (start, end), (next_start, _) in itertools.pairwise(spans):
        assert start < next_start < end  # overlap, and progress
        assert counter.count(text[next_start:end]) - 2 <= 16
        # the next passage starts at a sentence
        assert text[next_start:].startswith("The supplier shall")
    # every passage but the last ends at a sentence end
    assert all(text[end - 1] == "." for _, end in spans)
    assert spans[-1][1] == len(text)


def test_passages_never_cross_sections(counter: WordPieceCounter) -> None:
    text, sections = _document(
        [
            ("1 Purpose", BlockKind.HEADING, 1),
            ("Short purpose.", BlockKind.PARAGRAPH, 0),
            ("2 Scope", BlockKind.HEADING, 1),
            ("Short scope.", BlockKind.PARAGRAPH, 0),
        ]
    )
    passages = Chunker(counter)(text, sections, document_id="ab" * 32)
    assert [(p.text, p.section) for p in passages] == [
        ("1 Purpose\n\nShort purpose.", ("1 Purpose",)),
        ("2 Scope\n\nShort scope.", ("2 Scope",)),
    ]
    assert [p.id for p in passages] == ["abababababababab:0", "abababababababab:1"]


def test_heading_only_sections_make_no_passage(counter: WordPieceCounter) -> None:
    text, sections = _document(
        [
            ("7 Support", BlockKind.HEADING, 1),
            ("7.1 Resources", BlockKind.HEADING, 2),
            ("People and infrastructure.", BlockKind.PARAGRAPH, 0),
        ]
    )
    passages = Chunker(counter)(text, sections, document_id="0" * 64)
    assert [p.section for p in passages] == [("7 Support", "7.1 Resources")]


def test_table_rows_are_not_split(counter: WordPieceCounter) -> None:
    rows = [
        (f"Step: {i} | Responsible: Quality engineer | Record: F-8.7-0{i % 10} | "
         "Action: contain the suspect parts and inform the customer", BlockKind.TABLE_ROW, 0)
        for i in range(30)
    ]  # fmt: skip
    text, sections = _document([("8.7 Nonconforming outputs", BlockKind.HEADING, 2), *rows])
    spans = Chunker(counter, max_tokens=96, overlap_tokens=16).cut(text, sections[0])
    assert len(spans) > 3
    row_texts = {r[0] for r in rows}
    for start, end in spans:
        lines = text[start:end].split("\n")
        body = [line for line in lines if line and line != "8.7 Nonconforming outputs"]
        assert all(line in row_texts for line in body), "a row was cut"


def test_text_without_spaces_is_cut_by_characters(counter: WordPieceCounter) -> None:
    text, sections = _document([("x" * 10_000, BlockKind.LINE, 0)])
    chunker = Chunker(counter, max_tokens=64, overlap_tokens=8)
    spans = chunker.cut(text, sections[0])
    assert "".join(text[a:b] for a, b in spans) == text  # no overlap inside one unknown word
    assert all(b - a <= chunker.max_chars for a, b in spans)


def test_pieces_of_long_words_stay_in_the_window(counter: WordPieceCounter) -> None:
    word = "Qualitätsmanagementsystemdokumentationsanforderungen"
    text, sections = _document([(" ".join([word] * 200), BlockKind.PARAGRAPH, 0)])
    for start, end in Chunker(counter, max_tokens=48, overlap_tokens=8).cut(text, sections[0]):
        assert counter.count(text[start:end]) <= 48


def test_settings_bound_the_window(settings: Settings, counter: WordPieceCounter) -> None:
    chunker = Chunker(
        counter,
        max_tokens=settings.ingest.max_passage_tokens,
        overlap_tokens=settings.ingest.overlap_tokens,
    )
    assert chunker.budget == 254 and chunker.overlap == 32
    with pytest.raises(ValueError, match="no room"):
        Chunker(counter, max_tokens=8)
