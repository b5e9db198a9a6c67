"""Ingest an evaluation corpus once and keep the result on disk as JSON.

Cache entries live in ``<data dir>/cache/eval-ingest/`` and are keyed by the sha256 of the
file's bytes plus a fingerprint of the ingestion code and settings, so an edited document, a
new parser version or a changed setting is ingested again. Entries are pydantic JSON (never
pickles) and are validated on load; a broken entry is ingested again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from qmsgap.errors import DocumentError
from qmsgap.ingest.models import IngestFailure, ParsedDocument

if TYPE_CHECKING:
    from qmsgap.settings import Settings


def corpus_files(root: Path) -> list[Path]:
    """The document files under ``root``, as ``qmsgap.ingest.discover`` finds them.

    Raises:
        DocumentError: ``root`` is not a folder.
    """
    from qmsgap.ingest import discover

    if not root.is_dir():
        raise DocumentError(f"corpus folder not found: {root}")
    return discover([root])


def ingest_fingerprint(settings: Settings) -> str:
    """A hash of the ingestion code (every .py file of ``qmsgap.ingest``) and its settings."""
    import qmsgap.ingest

    digest = hashlib.sha256()
    package = Path(qmsgap.ingest.__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    digest.update(settings.ingest.model_dump_json().encode())
    digest.update(settings.limits.model_dump_json().encode())
    digest.update(str(settings.embedding.model_path).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class IngestedCorpus:
    """Documents and failures of one corpus folder; ``seconds`` is the time actually spent
    parsing (0 when every document came from the cache)."""

    root: Path
    documents: list[ParsedDocument]
    failures: list[IngestFailure]
    seconds: float
    from_cache: int


class CorpusLoader:
    """Ingests a corpus folder with :class:`~qmsgap.ingest.Ingestor`, through the cache."""

    def __init__(self, settings: Settings, use_cache: bool = True) -> None:
        self.settings = settings
        self.use_cache = use_cache
        self.cache_dir = settings.cache_dir / "eval-ingest"

    def run(self, root: Path, files: Sequence[Path] | None = None) -> IngestedCorpus:
        """Ingest ``files`` (default: :func:`corpus_files` of ``root``), paths relative to root.

        Documents that fail are returned as :class:`IngestFailure` items (and are not cached).

        Raises:
            DocumentError: ``root`` is not a folder, a file is outside it, or not one document
                could be ingested.
        """
        from qmsgap.ingest import Ingestor

        root = root.resolve()
        paths = [p.resolve() for p in (files if files is not None else corpus_files(root))]
        for path in paths:
            if not path.is_relative_to(root):
                raise DocumentError(f"{path} is not inside the corpus folder {root}")
        fingerprint = ingest_fingerprint(self.settings)
        cached: dict[Path, ParsedDocument] = {}
        keys: dict[Path, str] = {}
        for path in paths:
            key = f"{hashlib.sha256(path.read_bytes()).hexdigest()}-{fingerprint}"
            keys[path] = key
            if self.use_cache:
                hit = self._load(key, path.relative_to(root).as_posix())
                if hit is not None:
                    cached[path] = hit
        todo = [p for p in paths if p not in cached]
        documents: dict[Path, ParsedDocument] = dict(cached)
        failures: list[IngestFailure] = []
        started = time.perf_counter()
        if todo:
            with Ingestor(self.settings) as ingestor:
                outcomes = list(ingestor.run(todo, root))
            for path, outcome in zip(todo, outcomes, strict=True):
                if isinstance(outcome, IngestFailure):
                    failures.append(outcome)
                    continue
                documents[path] = outcome
                if self.use_cache:
                    self._store(keys[path], outcome)
        seconds = time.perf_counter() - started if todo else 0.0
        ordered = [documents[p] for p in paths if p in documents]
        if paths and not ordered:
            first = failures[0]
            raise DocumentError(
                f"no document of {root} could be ingested ({len(failures)} failures; first: "
                f"{first.path}: [{first.code}] {first.message})"
            )
        return IngestedCorpus(root, ordered, failures, seconds, len(cached))

    def _load(self, key: str, relative: str) -> ParsedDocument | None:
        entry = self.cache_dir / f"{key}.json"
        try:
            document = ParsedDocument.model_validate_json(entry.read_bytes())
        except (OSError, ValidationError):
            return None
        if document.path != relative:
            document = document.model_copy(update={"path": relative})
        return document

    def _store(self, key: str, document: ParsedDocument) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        entry = self.cache_dir / f"{key}.json"
        partial = entry.with_suffix(".tmp")
        partial.write_text(document.model_dump_json(), encoding="utf-8")
        partial.replace(entry)
