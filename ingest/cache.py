"""Parse each document once: a cache of parsed documents on disk, as validated JSON.

Entries are keyed by the sha256 of the file's bytes and a fingerprint of everything else the
result depends on: the ingestion code itself (every module of this package), the ingestion and
limit settings, the tokenizer's model, and the day (the "older than N days" finding depends on
it). Entries are pydantic JSON, never pickles, validated on load; a damaged entry is parsed
again. Failures are not cached: a document that failed is tried again next time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from qmsgap.errors import UnreadableFile
from qmsgap.files import file_sha256, write_text_atomic
from qmsgap.ingest.models import IngestFailure, IngestOutcome, ParsedDocument
from qmsgap.settings import Settings


def ingest_fingerprint(settings: Settings, today: dt.date | None = None) -> str:
    """A hash of the ingestion code, its settings, the tokenizer and ``today``."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    digest.update(settings.ingest.model_dump_json().encode())
    digest.update(settings.limits.model_dump_json().encode())
    digest.update(str(settings.embedding.model_path).encode())
    digest.update((today or dt.date.today()).isoformat().encode())
    return digest.hexdigest()[:16]


@dataclass
class CacheReport:
    """What one :meth:`CachedIngestor.run` did."""

    from_cache: int = 0
    parsed: int = 0
    failed: int = 0


class CachedIngestor:
    """Runs an :class:`~qmsgap.ingest.Ingestor` only on files the cache has not seen."""

    def __init__(
        self, settings: Settings, *, directory: Path | None = None, today: dt.date | None = None
    ) -> None:
        self.settings = settings
        self.today = today
        self.directory = directory or settings.cache_dir / "parsed"
        self._fingerprint = ingest_fingerprint(settings, today)
        self.report = CacheReport()

    def run(
        self,
        paths: Sequence[Path],
        root: Path | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[IngestOutcome]:
        """One outcome per path, in order; the path of each document is relative to ``root``.

        ``progress(done, total)`` is called as documents complete. Unreadable files become
        IngestFailure outcomes; this never raises for a bad document.
        """
        from qmsgap.ingest.sandbox import Ingestor

        self.report = CacheReport()
        outcomes: dict[int, IngestOutcome] = {}
        keys: dict[int, str] = {}
        for i, path in enumerate(paths):
            display = _display(path, root)
            try:
                keys[i] = f"{file_sha256(path)}-{self._fingerprint}"
            except OSError as exc:
                outcomes[i] = IngestFailure(
                    path=display,
                    code=UnreadableFile.code,
                    message=f"the file cannot be read: {exc.strerror or exc}",
                )
                continue
            hit = self._load(keys[i], display)
            if hit is not None:
                outcomes[i] = hit
        self.report.from_cache = sum(isinstance(o, ParsedDocument) for o in outcomes.values())
        todo = [i for i in range(len(paths)) if i not in outcomes]
        if progress:
            progress(len(outcomes), len(paths))
        if todo:
            with Ingestor(self.settings, today=self.today) as ingestor:
                fresh = ingestor.run([paths[i] for i in todo], root)
                for i, outcome in zip(todo, fresh, strict=True):
                    outcomes[i] = outcome
                    if isinstance(outcome, ParsedDocument):
                        self._store(keys[i], outcome)
                        self.report.parsed += 1
                    if progress:
                        progress(len(outcomes), len(paths))
        self.report.failed = sum(isinstance(o, IngestFailure) for o in outcomes.values())
        return [outcomes[i] for i in range(len(paths))]

    def _load(self, key: str, display: str) -> ParsedDocument | None:
        try:
            document = ParsedDocument.model_validate_json(
                (self.directory / f"{key}.json").read_bytes()
            )
        except (OSError, ValidationError, ValueError):
            return None
        return (
            document if document.path == display else document.model_copy(update={"path": display})
        )

    def _store(self, key: str, document: ParsedDocument) -> None:
        write_text_atomic(self.directory / f"{key}.json", document.model_dump_json())


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()
