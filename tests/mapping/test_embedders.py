from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from qmsgap.errors import ModelUnavailable
from qmsgap.mapping.embedders import (
    Embedder,
    SentenceTransformerEmbedder,
    embedder_id,
    make_embedder,
)
from qmsgap.model_files import bundled_model_path, resolve_model_path
from qmsgap.settings import Settings


@pytest.mark.unit
def test_fake_embedder_is_deterministic_and_normalised(fake_embedder: Embedder) -> None:
    first = fake_embedder.embed_batch(["document control procedure", "calibration of gauges"])
    again = fake_embedder.embed_batch(["document control procedure", "calibration of gauges"])
    assert first.shape == (2, 64) and first.dtype == np.float32
    assert np.array_equal(first, again)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)
    assert isinstance(fake_embedder, Embedder)
    assert embedder_id(fake_embedder) == "fake:hashing-64"


@pytest.mark.unit
def test_a_missing_model_directory_is_refused_before_loading(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="not found"):
        resolve_model_path(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelUnavailable, match="not a sentence-transformers model"):
        resolve_model_path(tmp_path / "empty")


@pytest.mark.unit
def test_factory_picks_the_bundled_model_in_onnx_int8_by_default(settings: Settings) -> None:
    from qmsgap.mapping.onnx_embedder import OnnxEmbedder

    embedder = make_embedder(settings)
    assert isinstance(embedder, OnnxEmbedder) and embedder.quantized
    assert embedder.model_path == bundled_model_path()
    assert embedder.model_id.startswith("onnx-int8:model:")
    assert not (settings.cache_dir / "onnx").exists(), "nothing is exported before first use"
    torch = make_embedder(
        settings.model_copy(
            update={
                "embedding": settings.embedding.model_copy(
                    update={"backend": "sentence-transformers"}
                )
            }
        )
    )
    assert isinstance(torch, SentenceTransformerEmbedder)
    assert torch.model_id.startswith("st:model:")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.usefixtures("no_network")
def test_bundled_model_ranks_paraphrases_above_an_unrelated_pair() -> None:
    embedder = SentenceTransformerEmbedder()
    vectors = embedder.embed_batch(
        [
            "All documents are reviewed and approved before they are released.",
            "Documents must be checked and signed off prior to issue.",
            "The canteen is open from noon until two in the afternoon.",
        ]
    )
    assert vectors.shape == (3, 384)
    paraphrase = float(vectors[0] @ vectors[1])
    unrelated = float(vectors[0] @ vectors[2])
    assert paraphrase > unrelated + 0.3, (paraphrase, unrelated)
    assert embedder.embed_batch([]).shape == (0, 384)
