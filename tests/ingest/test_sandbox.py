"""The sandboxed Ingestor: worker processes, input order, time and memory limits."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from qmsgap.ingest import Ingestor
from qmsgap.ingest.models import IngestFailure, ParsedDocument
from qmsgap.settings import Settings

pytestmark = pytest.mark.integration


def _with(settings: Settings, **limits: object) -> Settings:
    return settings.model_copy(update={"limits": settings.limits.model_copy(update=limits)})


def test_a_batch_keeps_its_order_and_goes_on_after_failures(
    settings: Settings, fixtures: Path
) -> None:
    names = ["procedure.pdf", "empty.pdf", "manual.md", "encrypted.pdf", "matrix.xlsx", "gone.pdf"]
    with Ingestor(settings, workers=2) as ingestor:
        outcomes = list(ingestor.run([fixtures / n for n in names], root=fixtures))
        again = list(ingestor.run([fixtures / "utf8.txt"]))
        assert ingestor.started_workers == 2  # the pool is reused by the second run
    assert [o.path for o in outcomes] == names
    summary = [(type(o).__name__, getattr(o, "code", None)) for o in outcomes]
    assert summary == [
        ("ParsedDocument", None),
        ("IngestFailure", "corrupt_document"),
        ("ParsedDocument", None),
        ("IngestFailure", "encrypted_document"),
        ("ParsedDocument", None),
        ("IngestFailure", "document_error"),
    ]
    empty = outcomes[1]
    assert isinstance(empty, IngestFailure)
    assert empty.document_id == hashlib.sha256(b"").hexdigest()
    assert empty.message == "the file is empty (0 bytes)"
    missing = outcomes[5]
    assert isinstance(missing, IngestFailure) and missing.document_id is None
    assert "No such file" in missing.message
    parsed = outcomes[0]
    assert isinstance(parsed, ParsedDocument) and len(parsed.passages) == 7
    assert isinstance(again[0], ParsedDocument) and again[0].path == str(fixtures / "utf8.txt")


@pytest.mark.slow
def test_a_document_over_time_is_stopped_and_the_worker_replaced(
    settings: Settings, fixtures: Path
) -> None:
    limited = _with(settings, parse_timeout_seconds=1.0)
    limited = limited.model_copy(
        update={"ingest": limited.ingest.model_copy(update={"pdf_backend": "pypdf"})}
    )
    with Ingestor(limited, workers=1) as ingestor:
        outcomes = list(ingestor.run([fixtures / "slow.pdf", fixtures / "manual.md"]))
        assert ingestor.started_workers == 2
    failure, document = outcomes
    assert isinstance(failure, IngestFailure) and failure.code == "parse_timeout"
    assert failure.message == (
        "parsing took longer than 1 s (limits.parse_timeout_seconds) and was stopped"
    )
    assert isinstance(document, ParsedDocument) and document.path.endswith("manual.md")


@pytest.mark.slow
def test_a_document_over_the_memory_limit_fails_alone(settings: Settings, fixtures: Path) -> None:
    limited = _with(settings, parse_memory_mb=64)  # the worker's own size plus 64 MiB
    limited = limited.model_copy(
        update={"ingest": limited.ingest.model_copy(update={"pdf_backend": "pypdf"})}
    )
    with Ingestor(limited, workers=1) as ingestor:
        outcomes = list(ingestor.run([fixtures / "flate_bomb.pdf", fixtures / "utf8.txt"]))
        assert ingestor.started_workers == 2  # a worker that ran out of memory is not reused
    failure, document = outcomes
    assert isinstance(failure, IngestFailure) and failure.code == "parse_resource_limit"
    assert "more memory than allowed" in failure.message
    assert isinstance(document, ParsedDocument)


def test_nothing_to_do(settings: Settings) -> None:
    ingestor = Ingestor(settings)
    assert list(ingestor.run([])) == []
    assert ingestor.started_workers == 0
