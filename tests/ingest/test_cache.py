from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from qmsgap.ingest.cache import CachedIngestor, ingest_fingerprint
from qmsgap.ingest.models import IngestFailure, ParsedDocument

pytestmark = pytest.mark.integration


def test_documents_are_parsed_once_and_shown_relative_to_the_root(settings, tmp_path: Path) -> None:
    root = tmp_path / "qms"
    (root / "sub").mkdir(parents=True)
    doc = root / "sub" / "a.md"
    doc.write_text("# Title\n\n## 1 Scope\n\nThis procedure applies to software.\n")
    cache = CachedIngestor(settings)
    first = cache.run([doc], root)
    assert isinstance(first[0], ParsedDocument) and first[0].path == "sub/a.md"
    assert (cache.report.parsed, cache.report.from_cache) == (1, 0)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    copy = moved / "b.md"
    copy.write_bytes(doc.read_bytes())
    second = cache.run([copy], moved)
    assert (cache.report.parsed, cache.report.from_cache) == (0, 1)
    assert isinstance(second[0], ParsedDocument) and second[0].path == "b.md"
    assert second[0].passages == first[0].passages


def test_a_vanished_file_and_a_damaged_entry_do_not_stop_the_batch(
    settings, tmp_path: Path
) -> None:
    good = tmp_path / "good.md"
    good.write_text("# Good\n\nText.\n")
    cache = CachedIngestor(settings)
    cache.run([good], tmp_path)
    for entry in (settings.cache_dir / "parsed").glob("*.json"):
        entry.write_text("{not json")
    outcomes = cache.run([tmp_path / "gone.md", good], tmp_path)
    assert isinstance(outcomes[0], IngestFailure) and outcomes[0].code == "unreadable_file"
    assert "cannot be read" in outcomes[0].message
    assert isinstance(outcomes[1], ParsedDocument)
    assert cache.report.parsed == 1  # the damaged entry was parsed again


def test_the_fingerprint_changes_with_settings_and_day(settings) -> None:
    today = dt.date(2026, 11, 21)
    base = ingest_fingerprint(settings, today)
    assert ingest_fingerprint(settings, today) == base
    assert ingest_fingerprint(settings, today + dt.timedelta(days=1)) != base
    other = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"max_passage_tokens": 128})}
    )
    assert ingest_fingerprint(other, today) != base
