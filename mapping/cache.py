"""Embedding cache: vectors keyed by (model id, sha256 of the text), in one SQLite file.

Re-analysing a corpus, or adding one document to it, only embeds texts the cache has not seen.
Vectors are stored as raw float32 bytes (never pickled), so a cache file written by someone else
cannot execute code when read.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qmsgap.mapping.embedders import Embedder, Vectors, embedder_id

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,
    digest BLOB NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, digest)
) WITHOUT ROWID;
"""
_SQLITE_MAX_VARIABLES = 900


def text_digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class EmbeddingCache:
    """A thread-safe SQLite store of vectors. ``path=None`` keeps it in memory."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            str(path) if path else ":memory:", check_same_thread=False, timeout=30
        )
        self._lock = threading.Lock()
        with self._lock:
            if path is not None:
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)

    def get_many(self, model: str, digests: Sequence[bytes]) -> dict[bytes, Vectors]:
        """Vectors found for ``digests`` (missing ones are simply absent)."""
        found: dict[bytes, Vectors] = {}
        unique = list(dict.fromkeys(digests))
        with self._lock:
            for offset in range(0, len(unique), _SQLITE_MAX_VARIABLES):
                chunk = unique[offset : offset + _SQLITE_MAX_VARIABLES]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT digest, dim, vector FROM vectors "  # noqa: S608 - only '?' marks
                    f"WHERE model = ? AND digest IN ({marks})",
                    (model, *chunk),
                ).fetchall()
                for digest, dim, blob in rows:
                    if len(blob) == dim * 4:  # a damaged row is treated as missing
                        found[bytes(digest)] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: Sequence[tuple[bytes, Vectors]]) -> None:
        rows = [
            (model, digest, int(v.shape[0]), np.ascontiguousarray(v, np.float32).tobytes())
            for digest, v in items
        ]
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors (model, digest, dim, vector) VALUES (?,?,?,?)",
                rows,
            )

    def count(self, model: str | None = None) -> int:
        with self._lock:
            if model is None:
                row = self._conn.execute("SELECT COUNT(*) FROM vectors").fetchone()
            else:
                row = self._conn.execute(
                    "SELECT COUNT(*) FROM vectors WHERE model = ?", (model,)
                ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class CachingEmbedder:
    """Wraps an :class:`Embedder`: only texts missing from the cache reach the model.

    When every text is cached the wrapped model is never loaded, which is what makes a warm
    re-analysis fast.
    """

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self.inner = embedder
        self.cache = cache
        self.model_id = embedder_id(embedder)
        self.stats = CacheStats()

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        digests = [text_digest(t) for t in texts]
        found = self.cache.get_many(self.model_id, digests)
        missing: dict[bytes, str] = {}
        for digest, text in zip(digests, texts, strict=True):
            if digest not in found and digest not in missing:
                missing[digest] = text
        self.stats.hits += len(texts) - len(missing)
        self.stats.misses += len(missing)
        if missing:
            fresh = self.inner.embed_batch(list(missing.values()))
            new_items = list(zip(missing.keys(), fresh, strict=True))
            self.cache.put_many(self.model_id, new_items)
            found.update(new_items)
        if not texts:
            return self.inner.embed_batch([])
        return np.stack([found[d] for d in digests]).astype(np.float32, copy=False)
