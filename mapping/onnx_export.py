"""Export a sentence-transformers model to ONNX once, quantise it, and cache it safely.

The transformer is exported with ``torch.onnx.export`` using the torch.export based ("dynamo")
exporter, the default since torch 2.9: the TorchScript exporter is deprecated and only traces,
which silently freezes data-dependent branches (it warns about exactly that in the Hugging Face
attention-mask code). The exported graph is checked against torch on a padded batch, then
optionally quantised with ``onnxruntime.quantization.quantize_dynamic`` (:data:`INT8_RECIPE`).

Files live in ``<cache_dir>/onnx/<fingerprint>/``; the fingerprint hashes the contents of the
source model files and the recipe, so a changed model or recipe gets its own directory. Writes
are atomic (temporary file in the same directory + ``os.replace``), every model file has a
``.sha256`` sidecar written after it, and builds are serialised between processes with an
``fcntl`` lock. A file whose checksum does not match (partial write, disk damage, manual edit)
is built again; the bytes that were checked are the bytes the session loads.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from qmsgap.errors import ModelUnavailable
from qmsgap.files import atomic_path, file_sha256
from qmsgap.model_files import force_offline

logger = logging.getLogger(__name__)


FP32_FILE = "model.fp32.onnx"
INT8_FILE = "model.int8.onnx"
OPSET = 18
# Bump when the export or quantisation recipe changes: it is part of the cache fingerprint.
RECIPE_VERSION = 1
POOLING_MODES = ("cls", "max", "mean", "mean_sqrt_len_tokens")
_LEGACY_POOLING_KEYS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
# Exported graph must agree with torch to this absolute tolerance on the hidden states.
_EXPORT_ATOL = 1e-3


@dataclass(frozen=True)
class Int8Recipe:
    """How the fp32 graph is quantised (``quantize_dynamic``); part of the cache fingerprint.

    Weights become symmetric int8, activations are quantised to uint8 at run time with one
    range per tensor, and only MatMuls with constant weights are touched (embeddings stay
    fp32). Chosen by measured fidelity to torch (docs/embedding.md): per-tensor weights gave
    cosine 0.85-0.95, per-channel weights 0.97+, and keeping the feed-forward down-projections
    (intermediate -> hidden, whose GELU inputs carry outlier channels) in fp32 0.98+ on
    every text tried, at about 2x the fp32 speed instead of 2.7x.
    """

    per_channel: bool = True
    op_types: tuple[str, ...] = ("MatMul",)
    keep_ffn_down_fp32: bool = True


INT8_RECIPE = Int8Recipe()


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from the model directory. Raises ModelUnavailable when unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelUnavailable(f"{path} does not hold a JSON object")
    return data


@dataclass(frozen=True)
class ModelLayout:
    """What a sentence-transformers directory says about tokenisation, pooling and sizes."""

    transformer_dir: Path
    max_seq_length: int
    do_lower_case: bool
    pooling: tuple[str, ...]
    hidden_size: int
    intermediate_size: int | None
    pad_token: str

    @property
    def dimension(self) -> int:
        """Length of one sentence vector (pooling modes are concatenated)."""
        return self.hidden_size * len(self.pooling)

    @classmethod
    def read(cls, model_path: Path) -> ModelLayout:
        """Read modules.json, the Transformer and Pooling configs and the tokenizer config.

        Raises ModelUnavailable for a missing file, a module this backend cannot reproduce
        (Dense, custom modules ...) or an unsupported pooling mode.
        """
        transformer_dir, pooling_dir = model_path, None
        modules_file = model_path / "modules.json"
        if modules_file.is_file():
            try:
                modules = json.loads(modules_file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ModelUnavailable(f"cannot read {modules_file}: {exc}") from exc
            for module in modules if isinstance(modules, list) else []:
                kind = str(module.get("type", "")).rsplit(".", 1)[-1]
                path = model_path / str(module.get("path", ""))
                if kind == "Transformer":
                    transformer_dir = path
                elif kind == "Pooling":
                    pooling_dir = path
                elif kind != "Normalize":
                    raise ModelUnavailable(
                        f"the ONNX backend supports Transformer, Pooling and Normalize modules; "
                        f"{modules_file} also has {module.get('type')!r}"
                    )
        config = _read_json(transformer_dir / "config.json")
        st_file = transformer_dir / "sentence_bert_config.json"
        st_config = _read_json(st_file) if st_file.is_file() else {}
        tok_file = transformer_dir / "tokenizer_config.json"
        tok_config = _read_json(tok_file) if tok_file.is_file() else {}
        pooling: tuple[str, ...] = ("mean",)
        if pooling_dir is not None:
            pooling = _pooling_modes(_read_json(pooling_dir / "config.json"))
        max_positions = int(config.get("max_position_embeddings", 512))
        max_seq = st_config.get("max_seq_length") or min(
            int(tok_config.get("model_max_length", max_positions)), max_positions
        )
        try:
            hidden = int(config["hidden_size"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelUnavailable(f"{transformer_dir}/config.json has no hidden_size") from exc
        intermediate = config.get("intermediate_size")
        return cls(
            transformer_dir=transformer_dir,
            max_seq_length=int(max_seq),
            do_lower_case=bool(st_config.get("do_lower_case", False)),
            pooling=pooling,
            hidden_size=hidden,
            intermediate_size=int(intermediate) if intermediate is not None else None,
            pad_token=str(tok_config.get("pad_token", "[PAD]")),
        )


def _pooling_modes(config: dict[str, Any]) -> tuple[str, ...]:
    """Pooling modes in sentence-transformers' concatenation order, old or new config format.

    Raises ModelUnavailable for modes this backend does not implement.
    """
    if "pooling_mode" in config:
        raw = config["pooling_mode"]
        modes = (raw,) if isinstance(raw, str) else tuple(str(mode) for mode in raw)
    else:
        modes = tuple(mode for key, mode in _LEGACY_POOLING_KEYS.items() if config.get(key))
    modes = modes or ("mean",)
    unsupported = [mode for mode in modes if mode not in POOLING_MODES]
    if unsupported:
        raise ModelUnavailable(f"the ONNX backend cannot reproduce pooling mode(s) {unsupported}")
    return modes


def source_fingerprint(layout: ModelLayout, model_path: Path) -> str:
    """Content hash of the files the export reads, plus the recipe. Raises ModelUnavailable."""
    weights = sorted(layout.transformer_dir.glob("*.safetensors"))
    if not weights:
        raise ModelUnavailable(
            f"the ONNX backend needs safetensors weights in {layout.transformer_dir} "
            "(pickled .bin weights are never loaded)"
        )
    names = ["config.json", "tokenizer.json", "tokenizer_config.json", "sentence_bert_config.json"]
    files = [layout.transformer_dir / name for name in names] + weights
    files += [model_path / "modules.json"]
    digest = hashlib.sha256(
        json.dumps(
            {
                "recipe": RECIPE_VERSION,
                "opset": OPSET,
                "int8": asdict(INT8_RECIPE),
                "layout": {**asdict(layout), "transformer_dir": None},
            },
            sort_keys=True,
        ).encode()
    )
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + file_sha256(path).encode())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``fcntl`` lock on ``path`` (created if needed) for the block."""
    with path.open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class OnnxModelCache:
    """The exported (and quantised) model files of one source model, in one cache directory."""

    def __init__(self, model_path: Path, layout: ModelLayout, directory: Path) -> None:
        self.model_path = model_path
        self.layout = layout
        self.directory = directory

    def load(self, name: str) -> bytes | None:
        """The file's bytes when its checksum sidecar matches them, else None."""
        path, sidecar = self.directory / name, self.directory / f"{name}.sha256"
        try:
            data = path.read_bytes()
            expected = sidecar.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        if hashlib.sha256(data).hexdigest() != expected:
            logger.warning("cached ONNX model %s fails its checksum; it will be rebuilt", path)
            return None
        return data

    def ensure(self, quantized: bool) -> tuple[bytes, tuple[str, ...]]:
        """The checked model bytes, building what is missing; also the names built now.

        Raises ModelUnavailable when export or quantisation fails or the cache directory
        cannot be written or the export libraries are not installed.
        """
        name = INT8_FILE if quantized else FP32_FILE
        data = self.load(name)
        if data is not None:
            return data, ()
        built: list[str] = []
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with _exclusive_lock(self.directory / ".lock"):
                # Another process may have finished the work while this one waited.
                if self.load(FP32_FILE) is None:
                    self._write(FP32_FILE, self._export)
                    built.append(FP32_FILE)
                if quantized and self.load(INT8_FILE) is None:
                    self._write(INT8_FILE, self._quantize)
                    built.append(INT8_FILE)
                data = self.load(name)
        except OSError as exc:  # read-only or full disk, permissions
            raise ModelUnavailable(
                f"cannot write the ONNX model cache in {self.directory}: {exc}"
            ) from exc
        if data is None:
            raise ModelUnavailable(f"the ONNX model in {self.directory} cannot be read back")
        return data, tuple(built)

    def _write(self, name: str, build: Callable[[Path], None]) -> None:
        """Build ``name`` into a temporary file, validate it, then publish it and its checksum."""
        try:
            import onnx
        except ImportError as exc:
            raise _missing_libraries() from exc
        target = self.directory / name
        logger.info("building %s", target)
        with atomic_path(target, durable=True) as tmp:
            build(tmp)
            try:
                onnx.checker.check_model(str(tmp))
            except Exception as exc:  # onnx raises several types for a bad graph
                raise ModelUnavailable(f"the built ONNX model {name} is invalid: {exc}") from exc
            digest = file_sha256(tmp)
        with atomic_path(self.directory / f"{name}.sha256", durable=True) as tmp_sidecar:
            tmp_sidecar.write_text(digest + "\n", encoding="ascii")

    def _export(self, target: Path) -> None:
        """Export the transformer to ``target`` and check it against torch."""
        force_offline()
        try:
            import onnxscript  # noqa: F401 - the dynamo exporter needs it
            import torch
            from transformers import AutoModel
        except ImportError as exc:
            raise _missing_libraries() from exc
        try:
            model = AutoModel.from_pretrained(
                str(self.layout.transformer_dir),
                local_files_only=True,
                use_safetensors=True,
                attn_implementation="eager",
            ).eval()
        except Exception as exc:  # transformers raises many types for a bad directory
            raise ModelUnavailable(f"cannot load {self.layout.transformer_dir}: {exc}") from exc
        names = _input_names(model)
        wrapper = _hidden_states_module(model, names)
        example = _example_inputs(self.layout, names)
        batch = torch.export.Dim("batch")
        sequence = torch.export.Dim("sequence", max=self.layout.max_seq_length)
        # forward(*tensors): one varargs parameter holding one shape spec per tensor.
        shapes = (tuple({0: batch, 1: sequence} for _ in names),)
        args = tuple(torch.from_numpy(example[name]) for name in names)
        try:
            with torch.no_grad(), warnings.catch_warnings(), _quiet_logger("torch.onnx"):
                warnings.simplefilter("ignore", (FutureWarning, UserWarning, DeprecationWarning))
                program = torch.onnx.export(
                    wrapper,
                    args,
                    input_names=list(names),
                    output_names=["last_hidden_state"],
                    dynamic_shapes=shapes,
                    opset_version=OPSET,
                    dynamo=True,
                    external_data=False,
                    verbose=False,
                )
                if program is None:  # only the TorchScript exporter returns nothing
                    raise ModelUnavailable("the ONNX exporter returned no program")
                program.save(str(target), external_data=False)
                expected = wrapper(*args).numpy()
        except ModelUnavailable:
            raise
        except Exception as exc:  # the exporter raises many types
            raise ModelUnavailable(
                f"ONNX export of {self.model_path} failed: {_first_line(exc)}"
            ) from exc
        session = open_session(target.read_bytes(), threads=1)
        got = session.run(None, example)[0]
        mask = example["attention_mask"].astype(bool)
        error = float(np.abs(got - expected)[mask].max())
        if error > _EXPORT_ATOL:
            raise ModelUnavailable(f"the exported ONNX model differs from torch by {error:.2e}")

    def _quantize(self, target: Path) -> None:
        """Quantise the cached fp32 model into ``target`` with :data:`INT8_RECIPE`."""
        try:
            import onnx
            from onnxruntime.quantization import QuantType, quantize_dynamic
        except ImportError as exc:
            raise _missing_libraries() from exc

        recipe = INT8_RECIPE
        source = self.directory / FP32_FILE
        graph = onnx.load(str(source), load_external_data=False).graph
        shapes = {init.name: list(init.dims) for init in graph.initializer}
        keep: list[str] = []
        if recipe.keep_ffn_down_fp32 and self.layout.intermediate_size is not None:
            down = [self.layout.intermediate_size, self.layout.hidden_size]
            keep = [
                node.name
                for node in graph.node
                if node.op_type == "MatMul" and shapes.get(node.input[1]) == down
            ]
        try:
            # quantize_dynamic warns on the root logger that a shape-inference pre-pass
            # could help; that pass fails on this graph and did not change the result.
            with _dropping_root_records("Please consider to run pre-processing"):
                quantize_dynamic(
                    str(source),
                    str(target),
                    weight_type=QuantType.QInt8,
                    per_channel=recipe.per_channel,
                    op_types_to_quantize=list(recipe.op_types),
                    nodes_to_exclude=keep,
                    extra_options={"MatMulConstBOnly": True},
                )
        except Exception as exc:  # onnxruntime raises many types
            raise ModelUnavailable(
                f"int8 quantisation of {source} failed: {_first_line(exc)}"
            ) from exc


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's text (exporter messages run to pages)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"[:300]


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    """Raise a library logger to ERROR for the block (the exporter logs optional-op noise)."""
    target = logging.getLogger(name)
    previous = target.level
    target.setLevel(logging.ERROR)
    try:
        yield
    finally:
        target.setLevel(previous)


@contextlib.contextmanager
def _dropping_root_records(prefix: str) -> Iterator[None]:
    """Drop records starting with ``prefix`` that libraries log on the root logger."""

    def keep(record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(prefix)

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def _input_names(model: Any) -> tuple[str, ...]:
    import inspect

    accepted = inspect.signature(model.forward).parameters
    return tuple(
        name for name in ("input_ids", "attention_mask", "token_type_ids") if name in accepted
    )


def _example_inputs(layout: ModelLayout, names: Sequence[str]) -> dict[str, npt.NDArray[np.int64]]:
    """A padded batch of three rows of different lengths: export example and check input."""
    length = min(16, layout.max_seq_length)
    ids = np.random.default_rng(0).integers(1000, 2000, size=(3, length), dtype=np.int64)
    mask = np.ones_like(ids)
    for row, keep in enumerate((length, length // 2, 3)):
        ids[row, keep:] = 0
        mask[row, keep:] = 0
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    return {name: feeds[name] for name in names}


def _hidden_states_module(model: Any, names: Sequence[str]) -> Any:
    """A torch module calling ``model`` with positional ``names`` and returning only
    ``last_hidden_state`` (the exporter wants positional tensors and a single output)."""
    import torch

    class HiddenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: Any) -> Any:
            return self.model(**dict(zip(names, tensors, strict=True))).last_hidden_state

    return HiddenStates().eval()


def import_onnxruntime() -> Any:
    """The ``onnxruntime`` module. Raises ModelUnavailable when it is not installed."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise _missing_libraries() from exc
    return onnxruntime


def open_session(model: bytes, threads: int) -> Any:
    """An ONNX Runtime CPU session: ``threads`` intra-op, one inter-op, all graph optimisations.

    Idle intra-op threads sleep instead of spinning: on this shared 2-vCPU machine spinning
    cost 10-15% (fp32, batches of 32) and 30-40% (int8, one text per run) of the throughput
    and burns CPU that ingestion workers and the web service need.
    """
    ort = import_onnxruntime()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelUnavailable(f"ONNX Runtime cannot load the model: {exc}") from exc


def _missing_libraries() -> ModelUnavailable:
    return ModelUnavailable(
        "the ONNX libraries (onnxruntime, onnx, onnxscript) are missing from this installation; "
        "they are qmsgap dependencies: reinstall qmsgap, or set "
        "QMSGAP_EMBEDDING__BACKEND=sentence-transformers"
    )
