"""Shared fixtures: a temporary data directory per test, settings built from it, and a
deterministic fake embedder for fast unit tests."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from qmsgap.ingest.models import (
    DocumentFormat,
    DocumentMetadata,
    PageSpan,
    ParsedDocument,
    Passage,
)
from qmsgap.settings import Settings


class FakeEmbedder:
    """Deterministic bag-of-words hashing embedder: texts sharing words get similar vectors.

    Good enough to test retrieval plumbing without loading a model; ``calls`` records every
    batch so tests can assert what was (not) embedded.
    """

    model_id = "fake:hashing-64"

    def __init__(self, dimension: int = 64) -> None:
        self.dimension = dimension
        self.calls: list[list[str]] = []

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                index = int.from_bytes(digest[:4], "little") % self.dimension
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, index] += sign
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
        return out


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(environment="test", data_dir=data_dir)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


def build_document(
    path: str,
    sections: list[tuple[tuple[str, ...], str]],
    *,
    title: str | None = None,
    pages: bool = False,
) -> ParsedDocument:
    """A ParsedDocument made by hand: one passage per (section path, text), one page each if
    ``pages``. Offsets are exact, as ingestion guarantees."""
    canonical = ""
    passages: list[Passage] = []
    page_spans: list[PageSpan] = []
    document_id = hashlib.sha256(f"{path}\0{sections!r}".encode()).hexdigest()
    for ordinal, (section, text) in enumerate(sections):
        heading = f"{section[-1]}\n" if section else ""
        page_start = len(canonical)
        canonical += heading
        start = len(canonical)
        canonical += text
        page = ordinal + 1 if pages else None
        passages.append(
            Passage(
                id=f"{document_id[:16]}:{ordinal}",
                document_id=document_id,
                ordinal=ordinal,
                start=start,
                end=start + len(text),
                text=text,
                page_start=page,
                page_end=page,
                section=section,
            )
        )
        canonical += "\n\n"
        if pages:
            page_spans.append(PageSpan(number=ordinal + 1, start=page_start, end=len(canonical)))
    return ParsedDocument(
        document_id=document_id,
        path=path,
        format=DocumentFormat.PDF if pages else DocumentFormat.MARKDOWN,
        size_bytes=len(canonical.encode()),
        canonical_text=canonical,
        pages=page_spans,
        passages=passages,
        metadata=DocumentMetadata(title=title),
    )


@pytest.fixture
def make_document() -> object:
    return build_document
