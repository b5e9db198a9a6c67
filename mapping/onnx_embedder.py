"""ONNX Runtime embedder: the local sentence-transformers model, exported once and cached.

:mod:`qmsgap.mapping.onnx_export` builds and checks the cached ONNX files; this module
tokenises with the ``tokenizers`` library on the model's ``tokenizer.json`` (truncated at the
sentence-transformers ``max_seq_length``), runs ONNX Runtime on the CPU, pools as the model's
Pooling module says (in numpy) and L2-normalises every row.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from qmsgap.errors import ModelUnavailable
from qmsgap.mapping.onnx_export import (
    FP32_FILE,
    INT8_FILE,
    ModelLayout,
    OnnxModelCache,
    import_onnxruntime,
    open_session,
    source_fingerprint,
)
from qmsgap.model_files import force_offline, resolve_model_path

Vectors = npt.NDArray[np.float32]


def pool(
    hidden: npt.NDArray[np.floating[Any]], mask: npt.NDArray[Any], modes: Sequence[str]
) -> Vectors:
    """Sentence vectors from token vectors ``(batch, seq, dim)`` and the attention mask.

    Follows sentence-transformers' Pooling module (right padding): the modes' vectors are
    concatenated in the given order. Raises ValueError for an unknown mode.
    """
    weights = mask.astype(np.float32)[..., None]
    parts: list[npt.NDArray[np.float32]] = []
    for mode in modes:
        if mode == "cls":
            parts.append(hidden[:, 0, :].astype(np.float32))
        elif mode == "max":
            parts.append(np.where(weights > 0, hidden, -np.inf).max(axis=1).astype(np.float32))
        elif mode in ("mean", "mean_sqrt_len_tokens"):
            total = (hidden * weights).sum(axis=1, dtype=np.float32)
            count = np.maximum(weights.sum(axis=1), np.float32(1e-9))
            parts.append(total / (count if mode == "mean" else np.sqrt(count)))
        else:
            raise ValueError(f"unknown pooling mode {mode!r}")
    vectors: Vectors = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
    return vectors


def l2_normalise(vectors: Vectors) -> Vectors:
    """Rows scaled to unit length (all-zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: Vectors = (vectors / np.maximum(norms, np.float32(1e-12))).astype(np.float32)
    return unit


class OnnxEmbedder:
    """The sentence-transformers model run by ONNX Runtime (fp32, or int8 when ``quantized``).

    Construction reads the model directory's configs and hashes its files (no export);
    :meth:`warm_up` exports or loads the cached model, otherwise the first ``embed_batch`` does.
    Raises ModelUnavailable when onnxruntime is not installed or for a model
    directory this backend cannot reproduce.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        quantized: bool,
        cache_dir: Path,
        batch_size: int = 32,
        threads: int = 2,
    ) -> None:
        if batch_size < 1 or threads < 1:
            raise ValueError("batch_size and threads must be at least 1")
        import_onnxruntime()
        self.model_path = resolve_model_path(model_path)
        self.quantized = quantized
        self.batch_size = batch_size
        self.threads = threads
        self.layout = ModelLayout.read(self.model_path)
        self.fingerprint = source_fingerprint(self.layout, self.model_path)
        self.cache = OnnxModelCache(
            self.model_path, self.layout, cache_dir / "onnx" / self.fingerprint
        )
        backend = "onnx-int8" if quantized else "onnx"
        self.model_id = f"{backend}:{self.model_path.name}:{self.fingerprint}"
        self.exported_files: tuple[str, ...] = ()
        self._session: Any = None
        self._tokenizer: Any = None
        self._pad_id = 0
        self._inputs: set[str] = set()
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        """Length of the vectors (known without loading the model)."""
        return self.layout.dimension

    @property
    def rows_per_run(self) -> int:
        """Texts per session run: ``batch_size`` for fp32, 1 for int8.

        Dynamic quantisation takes each activation's int8 range from the whole tensor, so in a
        padded batch the padding and the other texts shift every row's vector (cosine between
        the same text alone and in a batch fell to 0.98). One text per run keeps int8 vectors
        a function of the text alone, which content-hash caches and repeatable reports need;
        without padding it was also faster than padded batches (docs/embedding.md).
        """
        return 1 if self.quantized else self.batch_size

    @property
    def model_file(self) -> Path:
        """The cached ONNX file this embedder runs."""
        return self.cache.directory / (INT8_FILE if self.quantized else FP32_FILE)

    def warm_up(self) -> None:
        """Export or load the model and the tokenizer now. Raises ModelUnavailable."""
        with self._lock:
            if self._session is not None:
                return
            force_offline()
            from tokenizers import Tokenizer

            tokenizer_file = self.layout.transformer_dir / "tokenizer.json"
            try:
                tokenizer = Tokenizer.from_file(str(tokenizer_file))
            except Exception as exc:  # tokenizers raises a plain Exception for a bad file
                raise ModelUnavailable(f"cannot load {tokenizer_file}: {exc}") from exc
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=self.layout.max_seq_length)
            pad_id = tokenizer.token_to_id(self.layout.pad_token)
            data, self.exported_files = self.cache.ensure(self.quantized)
            session = open_session(data, self.threads)
            self._inputs = {entry.name for entry in session.get_inputs()}
            self._pad_id = int(pad_id) if pad_id is not None else 0
            self._tokenizer = tokenizer
            self._session = session

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        """L2-normalised float32 vectors ``(len(texts), dimension)`` in the input order.

        Texts longer than the model's ``max_seq_length`` are truncated. fp32 runs texts sorted
        by token count, ``batch_size`` at a time, to keep padding small. int8 runs every text
        on its own (:attr:`rows_per_run`), so a vector depends only on its text. Raises
        TypeError for an item that is not a string, ModelUnavailable from
        :meth:`warm_up`.
        """
        for position, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{position}] is {type(text).__name__}, not str")
        self.warm_up()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        items = [text.lower() for text in texts] if self.layout.do_lower_case else list(texts)
        encodings = self._tokenizer.encode_batch(items)
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids), reverse=True)
        step = self.rows_per_run
        for start in range(0, len(order), step):
            rows = order[start : start + step]
            feeds = self._feeds([encodings[i] for i in rows])
            hidden = self._session.run(None, feeds)[0]
            out[rows] = pool(hidden, feeds["attention_mask"], self.layout.pooling)
        return l2_normalise(out)

    def _feeds(self, encodings: Sequence[Any]) -> dict[str, npt.NDArray[np.int64]]:
        """Right-padded int64 arrays for one batch, only the inputs the graph declares."""
        width = max(len(encoding.ids) for encoding in encodings)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            ids[row, :size] = encoding.ids
            mask[row, :size] = encoding.attention_mask
            types[row, :size] = encoding.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        return {name: array for name, array in feeds.items() if name in self._inputs}
