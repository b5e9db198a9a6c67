"""Embedders: anything with ``embed_batch`` turns texts into unit-length vectors.

Batching, caching and indexing are built on top of that one method, so a new model or runtime
only has to implement it. The default runs the bundled all-MiniLM-L6-v2 with
sentence-transformers on the CPU, fully offline.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from qmsgap.errors import ModelUnavailable
from qmsgap.model_files import force_offline, resolve_model_path

if TYPE_CHECKING:
    from qmsgap.settings import Settings

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into an ``(len(texts), dim)`` float32 array of L2-normalised rows.

    ``embed_batch`` raises :class:`~qmsgap.errors.ModelUnavailable` when the model cannot be
    loaded. An empty input gives a ``(0, dim)`` array. Implementations may expose a
    ``model_id`` string; caches use it to keep vectors of different models apart.
    """

    def embed_batch(self, texts: Sequence[str]) -> Vectors: ...


def embedder_id(embedder: Embedder) -> str:
    """A stable identity for cache keys: the embedder's ``model_id`` or its class name."""
    return str(getattr(embedder, "model_id", type(embedder).__qualname__))


class SentenceTransformerEmbedder:
    """A local sentence-transformers model on the CPU. Loads lazily or in :meth:`warm_up`."""

    def __init__(self, model_path: Path | None = None, batch_size: int = 32, threads: int = 2):
        self.model_path = resolve_model_path(model_path)
        self.batch_size = batch_size
        self.threads = threads
        self.model_id = f"st:{self.model_path.name}:{_model_fingerprint(self.model_path)}"
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model now (otherwise the first ``embed_batch`` does)."""
        with self._lock:
            if self._model is not None:
                return
            force_offline()
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads)
            try:
                self._model = SentenceTransformer(
                    str(self.model_path), device="cpu", local_files_only=True
                )
            except Exception as exc:  # the library raises many types for a bad directory
                raise ModelUnavailable(
                    f"cannot load the embedding model from {self.model_path}: {exc}"
                ) from exc

    @property
    def dimension(self) -> int:
        self.warm_up()
        model = self._model
        getter = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(getter())

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def _model_fingerprint(path: Path) -> str:
    """Cheap identity of a model directory: size and mtime of its weight files."""
    parts = []
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        stat = weights.stat()
        parts.append(f"{weights.name}:{stat.st_size}")
    if not parts:
        return "noweights"
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings select. Optional runtimes are imported only in their branch."""
    cfg = settings.embedding
    if cfg.backend == "sentence-transformers":
        return SentenceTransformerEmbedder(cfg.model_path, cfg.batch_size, cfg.threads)
    if cfg.backend in ("onnx", "onnx-int8"):
        # Raises MissingExtra("ONNX embedding", "onnx") when onnxruntime is not installed.
        from qmsgap.mapping.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(
            cfg.model_path,
            quantized=cfg.backend == "onnx-int8",
            cache_dir=settings.cache_dir,
            batch_size=cfg.batch_size,
            threads=cfg.threads,
        )
    raise ModelUnavailable(f"embedding backend {cfg.backend!r} is not available in this build")
