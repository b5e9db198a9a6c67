"""The ONNX Runtime embedder against sentence-transformers, and its export cache.

The export (about 10 s) runs once per session into a temporary cache directory; tests that
need the real model share it. Unit tests only construct embedders (reads configs, hashes the
model files) and never export.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from qmsgap.errors import ModelUnavailable
from qmsgap.mapping.embedders import (
    SentenceTransformerEmbedder,
    embedder_id,
    make_embedder,
)
from qmsgap.mapping.onnx_embedder import OnnxEmbedder, l2_normalise, pool
from qmsgap.mapping.onnx_export import FP32_FILE, INT8_FILE, ModelLayout
from qmsgap.model_files import bundled_model_path
from qmsgap.settings import Settings

LONG_TEXT = " ".join(
    f"Clause {n}: the supplier maintains documented information on change control, "
    "configuration baselines and release approval."
    for n in range(40)
)

VARIED_TEXTS = [
    "",
    "   ",
    "OK",
    "Calibration",
    "The supplier shall maintain documented information.",
    "Internal audits are planned and performed annually by auditors independent of the area.",
    "Software baselines are tagged in git and every release is approved by the quality manager.",
    "Cybersecurity incidents are escalated to the product security team within 24 hours.",
    "Die Lenkungsausschuss-Sitzung genehmigt das Qualitätshandbuch und die Prozesslandkarte.",
    "品質マネジメントシステムの文書管理手順 — 承認と改訂履歴",
    "Ünïcödé ümlauts, ligatures ﬁ ﬂ, emoji 🚗🔧 and math ∑ ≤ ∞",
    "| Document | Owner | Revision |\n|---|---|---|\n| QM-001 | QA | C |",
    "ISO 9001:2015 §7.5.3 (a)-(c); IATF 16949 8.3.2.3 — see QM-PR-012 rev. 4",
    "def review(doc): return doc.approved_by is not None  # code in a procedure",
    "!!!??? ... ---",
    "1234567890 3.14159 2024-05-01",
    "MANAGEMENT REVIEW INPUTS INCLUDE CUSTOMER FEEDBACK AND AUDIT RESULTS",
    "supercalifragilisticexpialidocious" * 12,
    LONG_TEXT,
    "Management review inputs include customer feedback, audit results and process "
    "performance. " * 20,
]

# A small retrieval check: every query has one clearly matching passage.
PASSAGES = [
    "All controlled documents are reviewed and approved before release; superseded revisions "
    "are withdrawn from points of use.",
    "Measuring equipment is calibrated at defined intervals against traceable standards and "
    "labelled with its calibration status.",
    "Internal audits follow an annual programme; auditors do not audit their own work and "
    "findings are tracked to closure.",
    "Suppliers are selected and evaluated on quality, delivery and capability, and re-assessed "
    "every year.",
    "Software configuration items are identified, baselined in version control and changed "
    "only through approved change requests.",
    "Top management reviews the quality management system twice a year, including customer "
    "feedback and process performance.",
    "Employees receive training for their roles; competence is assessed and training records "
    "are retained.",
    "Nonconforming products are identified, segregated and dispositioned; root causes are "
    "analysed with 8D.",
]
QUERIES = [
    ("How are documents approved and obsolete versions removed?", 0),
    ("gauge calibration intervals and traceability", 1),
    ("independence of internal auditors", 2),
    ("supplier evaluation and selection criteria", 3),
    ("baselines and change control of software configuration", 4),
    ("management review frequency and inputs", 5),
    ("staff competence and training records", 6),
    ("handling of nonconforming product and root cause analysis", 7),
]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


@pytest.fixture(scope="session")
def onnx_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache directory holding the fp32 and int8 exports, built once with the network off."""
    cache_dir = tmp_path_factory.mktemp("onnx-cache")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        int8 = OnnxEmbedder(quantized=True, cache_dir=cache_dir)
        int8.warm_up()
    assert int8.exported_files == (FP32_FILE, INT8_FILE)
    yield cache_dir


@pytest.fixture(scope="session")
def onnx_fp32(onnx_cache_dir: Path) -> OnnxEmbedder:
    embedder = OnnxEmbedder(quantized=False, cache_dir=onnx_cache_dir)
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def onnx_int8(onnx_cache_dir: Path) -> OnnxEmbedder:
    embedder = OnnxEmbedder(quantized=True, cache_dir=onnx_cache_dir)
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def torch_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def torch_varied(torch_embedder: SentenceTransformerEmbedder) -> np.ndarray:
    return torch_embedder.embed_batch(VARIED_TEXTS)


# --- fidelity -----------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.slow
def test_fp32_matches_sentence_transformers_row_by_row(
    onnx_fp32: OnnxEmbedder, torch_varied: np.ndarray
) -> None:
    layout = onnx_fp32.layout
    assert layout.max_seq_length == 256 and layout.pooling == ("mean",)
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(layout.transformer_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    assert len(tokenizer.encode(LONG_TEXT).ids) > 400  # truncation is exercised

    vectors = onnx_fp32.embed_batch(VARIED_TEXTS)
    assert vectors.shape == (len(VARIED_TEXTS), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = _cosines(vectors, torch_varied)
    assert cosines.min() >= 0.9999, {VARIED_TEXTS[i][:30]: c for i, c in enumerate(cosines)}


@pytest.mark.integration
@pytest.mark.slow
def test_int8_stays_close_to_torch_and_retrieves_the_same_passages(
    onnx_int8: OnnxEmbedder,
    torch_embedder: SentenceTransformerEmbedder,
    torch_varied: np.ndarray,
) -> None:
    cosines = _cosines(onnx_int8.embed_batch(VARIED_TEXTS), torch_varied)
    assert cosines.min() >= 0.98, {VARIED_TEXTS[i][:30]: c for i, c in enumerate(cosines)}

    queries = [query for query, _ in QUERIES]
    expected = [index for _, index in QUERIES]
    torch_top = torch_embedder.embed_batch(queries) @ torch_embedder.embed_batch(PASSAGES).T
    int8_top = onnx_int8.embed_batch(queries) @ onnx_int8.embed_batch(PASSAGES).T
    assert torch_top.argmax(axis=1).tolist() == expected
    assert int8_top.argmax(axis=1).tolist() == expected


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("quantized", [False, True], ids=["fp32", "int8"])
def test_vectors_do_not_depend_on_batch_size_or_order(
    onnx_cache_dir: Path, quantized: bool
) -> None:
    texts = VARIED_TEXTS[:9]
    big = OnnxEmbedder(quantized=quantized, cache_dir=onnx_cache_dir, batch_size=32)
    small = OnnxEmbedder(quantized=quantized, cache_dir=onnx_cache_dir, batch_size=2)
    together = big.embed_batch(texts)
    reversed_small = small.embed_batch(texts[::-1])[::-1]
    alone = np.vstack([big.embed_batch([text]) for text in texts])
    assert np.allclose(together, reversed_small, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-5)


@pytest.mark.integration
@pytest.mark.slow
def test_empty_input_gives_an_empty_matrix(onnx_fp32: OnnxEmbedder) -> None:
    assert onnx_fp32.embed_batch([]).shape == (0, 384)


# --- cache --------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.slow
def test_a_second_embedder_reuses_the_cached_files(onnx_cache_dir: Path) -> None:
    first = OnnxEmbedder(quantized=True, cache_dir=onnx_cache_dir)
    files = [first.cache.directory / FP32_FILE, first.cache.directory / INT8_FILE]
    before = [path.stat().st_mtime_ns for path in files]
    again = OnnxEmbedder(quantized=True, cache_dir=onnx_cache_dir)
    again.warm_up()
    assert again.exported_files == ()
    assert [path.stat().st_mtime_ns for path in files] == before
    assert again.model_id == first.model_id
    assert again.model_file == files[1]


@pytest.mark.integration
@pytest.mark.slow
def test_corrupt_cache_files_are_rebuilt_once_under_concurrent_use(
    onnx_cache_dir: Path, onnx_int8: OnnxEmbedder, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "cache"
    shutil.copytree(onnx_cache_dir, cache_dir)
    directory = cache_dir / "onnx" / onnx_int8.fingerprint
    fp32, int8 = directory / FP32_FILE, directory / INT8_FILE
    with fp32.open("r+b") as handle:  # a partial write
        handle.truncate(fp32.stat().st_size // 2)
    with int8.open("r+b") as handle:  # flipped bytes, same size
        handle.seek(int8.stat().st_size // 2)
        handle.write(b"\xff" * 64)

    embedders = [OnnxEmbedder(quantized=True, cache_dir=cache_dir) for _ in range(2)]
    errors: list[BaseException] = []

    def warm(embedder: OnnxEmbedder) -> None:
        try:
            embedder.warm_up()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=warm, args=(embedder,)) for embedder in embedders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    built = sorted(embedder.exported_files for embedder in embedders)
    assert built == [(), (FP32_FILE, INT8_FILE)]
    assert not [path.name for path in directory.iterdir() if path.name.endswith(".tmp")]
    sample = VARIED_TEXTS[4:8]
    expected = onnx_int8.embed_batch(sample)
    for embedder in embedders:
        assert np.allclose(embedder.embed_batch(sample), expected, atol=1e-4)


# --- construction, factory and errors (no export) -----------------------------------------


@pytest.mark.unit
def test_make_embedder_builds_the_onnx_backends(data_dir: Path) -> None:
    int8 = make_embedder(
        Settings(environment="test", data_dir=data_dir, embedding={"backend": "onnx-int8"})
    )
    fp32 = make_embedder(
        Settings(environment="test", data_dir=data_dir, embedding={"backend": "onnx"})
    )
    assert isinstance(int8, OnnxEmbedder) and int8.quantized
    assert isinstance(fp32, OnnxEmbedder) and not fp32.quantized
    assert int8.model_id.startswith("onnx-int8:model:")
    assert fp32.model_id.startswith("onnx:model:")
    assert int8.model_path == bundled_model_path()
    assert int8.cache.directory == data_dir / "cache" / "onnx" / int8.fingerprint
    assert int8.dimension == 384
    ids = {embedder_id(int8), embedder_id(fp32), SentenceTransformerEmbedder().model_id}
    assert len(ids) == 3
    assert not (data_dir / "cache").exists()  # construction never exports


@pytest.mark.unit
def test_a_missing_onnxruntime_says_how_to_recover(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    settings = Settings(environment="test", data_dir=data_dir, embedding={"backend": "onnx"})
    with pytest.raises(ModelUnavailable) as caught:
        make_embedder(settings)
    assert caught.value.code == "model_unavailable"
    assert "reinstall qmsgap" in caught.value.message
    assert "QMSGAP_EMBEDDING__BACKEND=sentence-transformers" in caught.value.message


@pytest.mark.unit
def test_non_string_input_is_refused_before_any_export(tmp_path: Path) -> None:
    embedder = OnnxEmbedder(quantized=False, cache_dir=tmp_path)
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        embedder.embed_batch(["fine", 3])  # type: ignore[list-item]
    assert not (tmp_path / "onnx").exists()


def _model_copy(tmp_path: Path) -> Path:
    """The bundled model's files linked into a directory whose configs a test may rewrite."""
    source = bundled_model_path()
    target = tmp_path / "model"
    shutil.copytree(source, target, copy_function=os.symlink)
    return target


def _rewrite(path: Path, data: object) -> None:
    path.unlink()
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.unit
def test_models_the_backend_cannot_reproduce_are_refused(tmp_path: Path) -> None:
    model = _model_copy(tmp_path)
    modules = json.loads((model / "modules.json").read_text(encoding="utf-8"))

    _rewrite(
        model / "modules.json",
        [*modules, {"idx": 3, "name": "3", "path": "3_Dense", "type": "x.models.Dense"}],
    )
    with pytest.raises(ModelUnavailable, match="Dense"):
        OnnxEmbedder(model, quantized=False, cache_dir=tmp_path)

    _rewrite(model / "modules.json", modules)
    _rewrite(model / "1_Pooling" / "config.json", {"pooling_mode": "weightedmean"})
    with pytest.raises(ModelUnavailable, match="weightedmean"):
        OnnxEmbedder(model, quantized=False, cache_dir=tmp_path)

    _rewrite(model / "1_Pooling" / "config.json", {"pooling_mode": "mean"})
    (model / "model.safetensors").unlink()
    with pytest.raises(ModelUnavailable, match="safetensors"):
        OnnxEmbedder(model, quantized=False, cache_dir=tmp_path)


@pytest.mark.unit
def test_layout_reads_both_pooling_config_formats(tmp_path: Path) -> None:
    model = _model_copy(tmp_path)
    layout = ModelLayout.read(model)
    assert (layout.max_seq_length, layout.hidden_size, layout.pooling) == (256, 384, ("mean",))
    assert layout.intermediate_size == 1536 and layout.pad_token == "[PAD]"

    legacy = {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": True}
    _rewrite(model / "1_Pooling" / "config.json", legacy)
    assert ModelLayout.read(model).pooling == ("cls", "mean")
    assert ModelLayout.read(model).dimension == 768

    _rewrite(model / "1_Pooling" / "config.json", {"pooling_mode": ["max", "mean_sqrt_len_tokens"]})
    assert ModelLayout.read(model).pooling == ("max", "mean_sqrt_len_tokens")


@pytest.mark.unit
@pytest.mark.parametrize(
    "modes",
    [("mean",), ("cls",), ("max",), ("mean_sqrt_len_tokens",), ("cls", "mean", "max")],
)
def test_pooling_matches_the_sentence_transformers_module(modes: tuple[str, ...]) -> None:
    import torch
    from sentence_transformers.sentence_transformer.modules import Pooling

    rng = np.random.default_rng(7)
    hidden = rng.normal(size=(3, 6, 4)).astype(np.float32)
    mask = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]])
    module = Pooling(4, pooling_mode=modes if len(modes) > 1 else modes[0])
    expected = module(
        {"token_embeddings": torch.from_numpy(hidden), "attention_mask": torch.from_numpy(mask)}
    )["sentence_embedding"].numpy()
    assert np.allclose(pool(hidden, mask, modes), expected, atol=1e-6)
    assert np.allclose(np.linalg.norm(l2_normalise(expected), axis=1), 1.0)


@pytest.mark.unit
def test_an_unwritable_cache_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x", encoding="utf-8")
    embedder = OnnxEmbedder(quantized=True, cache_dir=blocker)
    with pytest.raises(ModelUnavailable, match="cannot write the ONNX model cache"):
        embedder.warm_up()
