"""Fixtures of the ingestion tests: the fixture folder, a parser with a fixed 'today', and the
invariants every parsed document must satisfy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from qmsgap.ingest.models import ParsedDocument
from qmsgap.ingest.pipeline import DocumentParser
from qmsgap.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
TODAY = dt.date(2025, 1, 1)


def check_invariants(document: ParsedDocument) -> None:
    """Offsets are exact, passages stay inside their pages, ids and ordinals are consistent."""
    text = document.canonical_text
    prefix = document.document_id[:16]
    for ordinal, passage in enumerate(document.passages):
        assert text[passage.start : passage.end] == passage.text
        assert passage.text == passage.text.strip() and passage.text
        assert passage.ordinal == ordinal and passage.id == f"{prefix}:{ordinal}"
        assert passage.document_id == document.document_id
        if document.pages:
            first = next(p for p in document.pages if p.number == passage.page_start)
            last = next(p for p in document.pages if p.number == passage.page_end)
            assert first.start <= passage.start <= first.end
            assert last.start <= passage.end <= last.end
        else:
            assert passage.page_start is None and passage.page_end is None
    for finding in document.findings:
        if finding.start is not None and finding.end is not None:
            assert text[finding.start : finding.end] == finding.quote
    previous = -1
    for page in document.pages:
        assert previous <= page.start <= page.end <= len(text)
        previous = page.end


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def parse(settings: Settings) -> Callable[..., ParsedDocument]:
    """Parse a fixture in this process; keyword arguments override ``settings.ingest``."""

    def run(name: str, **ingest: object) -> ParsedDocument:
        configured = settings.model_copy(
            update={"ingest": settings.ingest.model_copy(update=ingest)}
        )
        document = DocumentParser(configured, today=TODAY).parse_file(FIXTURES / name)
        check_invariants(document)
        return document

    return run


@pytest.fixture
def invariants() -> Callable[[ParsedDocument], None]:
    return check_invariants


@pytest.fixture
def today() -> dt.date:
    return TODAY
