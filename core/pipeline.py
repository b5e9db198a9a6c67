"""The analysis pipeline a user runs: files on disk -> parsed documents -> coverage report.

    run = Analyzer(settings).run([Path("qms/")], catalog_id="asqms", software_type="II")
    run.analysis.report   # CoverageReport

Documents are parsed once (cached by content), passages embedded once (cached by text), and the
corpus's FAISS index is kept between runs, so re-analysing an unchanged folder is quick and
adding one document only parses and embeds that document.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qmsgap.errors import DocumentError, NotFound
from qmsgap.ingest.cache import CachedIngestor, CacheReport
from qmsgap.ingest.models import IngestFailure, ParsedDocument
from qmsgap.mapping.embedders import Embedder
from qmsgap.mapping.engine import Analysis, MappingEngine, Progress
from qmsgap.settings import Settings


@dataclass
class AnalysisRun:
    """A finished analysis with what went in."""

    analysis: Analysis
    root: Path
    documents: list[ParsedDocument]
    failures: list[IngestFailure]
    ingest: CacheReport
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    """(ignored path, path with the same bytes that was kept)"""


def analysis_root(paths: Sequence[Path]) -> Path:
    """The folder document paths are shown relative to: the folder given, or the common parent."""
    resolved = [p.resolve() for p in paths]
    if len(resolved) == 1:
        only = resolved[0]
        return only if only.is_dir() else only.parent
    common = Path(os.path.commonpath([str(p) for p in resolved]))
    return common if common.is_dir() else common.parent


def _no_progress(_step: str, _done: int, _total: int) -> None:
    return None


class Analyzer:
    """Parses and maps documents. Options in ``__init__``; the model loads on first need."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        engine: MappingEngine | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine or MappingEngine(settings, embedder)
        self.ingestor = CachedIngestor(settings)

    def run(
        self,
        paths: Sequence[Path],
        *,
        catalog_id: str = "asqms",
        software_type: str = "II",
        tailoring: Mapping[str, str] | None = None,
        evidence_k: int | None = None,
        progress: Progress = _no_progress,
    ) -> AnalysisRun:
        """Analyze the documents under ``paths`` (files or folders).

        Raises NotFound for a path that does not exist, DocumentError when no document could
        be read, CatalogError / NotFound for a bad catalog, software type or tailoring.
        """
        from qmsgap.clauses import load_catalog
        from qmsgap.ingest import discover

        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise NotFound(f"no such file or folder: {', '.join(missing)}")
        catalog = load_catalog(catalog_id, self.settings)
        files = discover(list(paths))
        if not files:
            raise DocumentError(f"no documents found in {', '.join(map(str, paths))}")
        root = analysis_root(paths)
        outcomes = self.ingestor.run(files, root, lambda d, t: progress("parse", d, t))
        documents, failures, duplicates = _split(outcomes)
        if not documents:
            first = failures[0]
            raise DocumentError(
                f"none of the {len(failures)} files could be read; first: {first.path}: "
                f"{first.message}"
            )
        analysis = self.engine.run(
            documents,
            catalog=catalog,
            software_type=software_type,
            tailoring=tailoring,
            failures=failures,
            evidence_k=evidence_k,
            index_dir=self.settings.cache_dir / "indexes" / _corpus_key(root, catalog_id),
            progress=progress,
        )
        return AnalysisRun(analysis, root, documents, failures, self.ingestor.report, duplicates)


def _split(
    outcomes: Sequence[ParsedDocument | IngestFailure],
) -> tuple[list[ParsedDocument], list[IngestFailure], list[tuple[str, str]]]:
    """Documents (the first of identical copies), failures, and the copies left out."""
    documents: dict[str, ParsedDocument] = {}
    failures: list[IngestFailure] = []
    duplicates: list[tuple[str, str]] = []
    for outcome in outcomes:
        if isinstance(outcome, IngestFailure):
            failures.append(outcome)
        elif outcome.document_id in documents:
            duplicates.append((outcome.path, documents[outcome.document_id].path))
        else:
            documents[outcome.document_id] = outcome
    return list(documents.values()), failures, duplicates


def _corpus_key(root: Path, catalog_id: str) -> str:
    return hashlib.sha256(f"{root.resolve()}\0{catalog_id}".encode()).hexdigest()[:16]
