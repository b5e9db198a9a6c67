from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qmsgap.mapping.cache import CachingEmbedder, EmbeddingCache, text_digest

pytestmark = pytest.mark.unit


def test_only_unseen_texts_reach_the_model(fake_embedder, tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "e.sqlite3")
    embedder = CachingEmbedder(fake_embedder, cache)
    first = embedder.embed_batch(["alpha beta", "gamma", "alpha beta"])
    assert fake_embedder.calls == [["alpha beta", "gamma"]]
    second = embedder.embed_batch(["gamma", "delta", "alpha beta"])
    assert fake_embedder.calls[-1] == ["delta"]
    assert np.array_equal(second[0], first[1]) and np.array_equal(second[2], first[0])
    assert (embedder.stats.hits, embedder.stats.misses) == (3, 3)


def test_vectors_survive_reopening_and_are_kept_per_model(fake_embedder, tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    CachingEmbedder(fake_embedder, EmbeddingCache(path)).embed_batch(["one", "two"])
    reopened = EmbeddingCache(path)
    assert reopened.count(fake_embedder.model_id) == 2
    assert reopened.count("another-model") == 0
    found = reopened.get_many(fake_embedder.model_id, [text_digest("one"), text_digest("x")])
    assert list(found) == [text_digest("one")]
    assert found[text_digest("one")].dtype == np.float32


def test_a_damaged_row_is_treated_as_missing(fake_embedder, tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "e.sqlite3")
    cache.put_many("m", [(text_digest("t"), np.ones(4, np.float32))])
    cache._conn.execute("UPDATE vectors SET vector = x'0000'")
    assert cache.get_many("m", [text_digest("t")]) == {}
