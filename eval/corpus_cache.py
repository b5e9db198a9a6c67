"""Ingest an evaluation corpus once and keep the result on disk as JSON.

The cache is the product's own (:class:`qmsgap.ingest.cache.CachedIngestor`): entries keyed
by the sha256 of the file's bytes plus a fingerprint of the ingestion code, its settings and the
day, stored as validated pydantic JSON (never pickles); a broken entry is ingested again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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
    """Ingests a corpus folder, through the parsed-document cache of :mod:`qmsgap.ingest.cache`
    unless ``use_cache`` is off (then every file is parsed again, as a benchmark needs)."""

    def __init__(self, settings: Settings, use_cache: bool = True) -> None:
        self.settings = settings
        self.use_cache = use_cache

    def run(self, root: Path, files: Sequence[Path] | None = None) -> IngestedCorpus:
        """Ingest ``files`` (default: :func:`corpus_files` of ``root``), paths relative to root.

        Documents that fail are returned as :class:`IngestFailure` items (and are not cached).

        Raises:
            DocumentError: ``root`` is not a folder, a file is outside it, or not one document
                could be ingested.
        """
        from qmsgap.ingest import Ingestor
        from qmsgap.ingest.cache import CachedIngestor

        root = root.resolve()
        paths = [p.resolve() for p in (files if files is not None else corpus_files(root))]
        for path in paths:
            if not path.is_relative_to(root):
                raise DocumentError(f"{path} is not inside the corpus folder {root}")
        started = time.perf_counter()
        from_cache = 0
        if self.use_cache:
            cached = CachedIngestor(self.settings)
            outcomes = cached.run(paths, root)
            from_cache = cached.report.from_cache
        else:
            with Ingestor(self.settings) as ingestor:
                outcomes = list(ingestor.run(paths, root))
        seconds = time.perf_counter() - started if from_cache < len(paths) else 0.0
        documents = [o for o in outcomes if isinstance(o, ParsedDocument)]
        failures = [o for o in outcomes if isinstance(o, IngestFailure)]
        if paths and not documents:
            first = failures[0]
            raise DocumentError(
                f"no document of {root} could be ingested ({len(failures)} failures; first: "
                f"{first.path}: [{first.code}] {first.message})"
            )
        return IngestedCorpus(root, documents, failures, seconds, from_cache)
