"""Embedding benchmark (not a test): sentence-transformers on torch vs ONNX Runtime fp32 and int8.

    .venv/bin/python -m qmsgap.eval.bench_embed [--passages 1000] [--tokens 130] [--repeat 3]
        [--batch-size 32] [--threads 2] [--corpus DIR] [--cache-dir DIR] [--json FILE]

The passages are cut from real QMS text (the Markdown files under ``--corpus``, read in place):
every document is tokenised with the model's own tokenizer and cut into consecutive windows
of ``--tokens`` word pieces (special tokens included); ``--passages`` windows are taken evenly
spread over all of them. Every backend embeds the same passages with the same batch size and
thread count; after a warm-up, the runs are interleaved (torch, fp32, int8, torch, ...) so a
change in machine load hits all backends alike, and the median run is reported. Throughput is
wall clock; CPU time per passage is printed as well because it is steadier on a shared machine.

Fidelity is measured against the torch vectors of the same run: per-passage cosine (minimum,
mean, largest deviation 1 - cos) and the share of passages whose nearest other passage is the
same as with torch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from qmsgap.mapping.embedders import SentenceTransformerEmbedder
from qmsgap.model_files import resolve_model_path
from qmsgap.settings import Settings

if TYPE_CHECKING:
    from qmsgap.mapping.onnx_embedder import OnnxEmbedder

DEFAULT_CORPUS = Path("/work/shared/corpus/real-qms/docs")
BACKENDS = ("torch", "onnx", "onnx-int8")


@dataclass
class BackendResult:
    """One backend's measurements; fidelity fields are relative to the torch backend."""

    name: str
    model_id: str
    load_seconds: float
    wall_seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    passages_per_second: float = 0.0
    cpu_ms_per_passage: float = 0.0
    speedup_vs_torch: float = 0.0
    min_cosine: float = 1.0
    mean_cosine: float = 1.0
    max_deviation: float = 0.0
    nearest_neighbour_agreement: float = 1.0


def build_passages(
    corpus: Path, model_path: Path, count: int, tokens: int
) -> tuple[list[str], list[int]]:
    """``count`` passages of about ``tokens`` word pieces cut from the Markdown under ``corpus``.

    Returns the passages and their token counts (special tokens included). Raises
    FileNotFoundError when the folder holds no Markdown.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    files = sorted(corpus.rglob("*.md"))
    if not files:
        raise FileNotFoundError(f"no Markdown files under {corpus}")
    body = tokens - 2  # [CLS] and [SEP]
    windows: list[str] = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        offsets = tokenizer.encode(text, add_special_tokens=False).offsets
        for start in range(0, len(offsets) - body + 1, body):
            window = text[offsets[start][0] : offsets[start + body - 1][1]]
            windows.append(" ".join(window.split()))
    if not windows:
        raise FileNotFoundError(f"the Markdown under {corpus} is shorter than {tokens} tokens")
    picks = sorted({int(i) for i in np.linspace(0, len(windows) - 1, min(count, len(windows)))})
    passages = [windows[i] for i in picks]
    lengths = [len(encoding.ids) for encoding in tokenizer.encode_batch(passages)]
    return passages, lengths


def _make(
    name: str, cache_dir: Path, batch_size: int, threads: int
) -> SentenceTransformerEmbedder | OnnxEmbedder:
    if name == "torch":
        return SentenceTransformerEmbedder(batch_size=batch_size, threads=threads)
    from qmsgap.mapping.onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(
        quantized=name == "onnx-int8",
        cache_dir=cache_dir,
        batch_size=batch_size,
        threads=threads,
    )


def _nearest(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.intp]:
    similarities = vectors @ vectors.T
    np.fill_diagonal(similarities, -np.inf)
    nearest: npt.NDArray[np.intp] = similarities.argmax(axis=1)
    return nearest


def run(
    passages: Sequence[str],
    *,
    backends: Sequence[str],
    cache_dir: Path,
    batch_size: int,
    threads: int,
    repeat: int,
) -> list[BackendResult]:
    """Load, warm up, then time every backend ``repeat`` times, interleaved; compare to torch."""
    embedders: dict[str, SentenceTransformerEmbedder | OnnxEmbedder] = {}
    results: dict[str, BackendResult] = {}
    for name in backends:
        start = time.perf_counter()
        embedder = _make(name, cache_dir, batch_size, threads)
        embedder.warm_up()
        embedder.embed_batch(list(passages[: 2 * batch_size]))
        embedders[name] = embedder
        model_id = str(getattr(embedder, "model_id", name))
        results[name] = BackendResult(name, model_id, time.perf_counter() - start)
    vectors: dict[str, npt.NDArray[np.float32]] = {}
    for _ in range(repeat):
        for name, embedder in embedders.items():
            wall, cpu = time.perf_counter(), time.process_time()
            vectors[name] = embedder.embed_batch(passages)
            results[name].wall_seconds.append(time.perf_counter() - wall)
            results[name].cpu_seconds.append(time.process_time() - cpu)
    reference = vectors.get("torch")
    torch_rate = 0.0
    for name in backends:
        result = results[name]
        result.passages_per_second = len(passages) / statistics.median(result.wall_seconds)
        result.cpu_ms_per_passage = 1000 * statistics.median(result.cpu_seconds) / len(passages)
        if name == "torch":
            torch_rate = result.passages_per_second
        if reference is not None:
            cosines = np.sum(vectors[name] * reference, axis=1)
            result.min_cosine = float(cosines.min())
            result.mean_cosine = float(cosines.mean())
            result.max_deviation = float((1.0 - cosines).max())
            agree = _nearest(vectors[name]) == _nearest(reference)
            result.nearest_neighbour_agreement = float(agree.mean())
    for result in results.values():
        result.speedup_vs_torch = result.passages_per_second / torch_rate if torch_rate else 0.0
    return [results[name] for name in backends]


def _table(results: Sequence[BackendResult], has_torch: bool) -> Table:
    table = Table(title="Embedding throughput and fidelity (median of the timed runs)")
    for column in ("backend", "load+warm-up s", "passages/s", "x torch", "CPU ms/passage"):
        table.add_column(column, justify="right" if column != "backend" else "left")
    if has_torch:
        for column in ("min cos", "max 1-cos", "mean cos", "same NN"):
            table.add_column(column, justify="right")
    for r in results:
        row = [
            r.name,
            f"{r.load_seconds:.1f}",
            f"{r.passages_per_second:.1f}",
            f"{r.speedup_vs_torch:.2f}" if has_torch else "-",
            f"{r.cpu_ms_per_passage:.1f}",
        ]
        if has_torch:
            row += [
                f"{r.min_cosine:.5f}",
                f"{r.max_deviation:.2e}",
                f"{r.mean_cosine:.5f}",
                f"{r.nearest_neighbour_agreement:.1%}",
            ]
        table.add_row(*row)
    return table


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--passages", type=int, default=1000, help="passages to embed")
    parser.add_argument("--tokens", type=int, default=130, help="word pieces per passage")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per backend")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="Markdown folder")
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help=f"comma-separated: {','.join(BACKENDS)}"
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="ONNX export cache (default: the settings' cache_dir)"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 140)
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown or not backends or min(args.passages, args.tokens - 2, args.repeat) < 1:
        parser.error(f"bad --backends {unknown} or a non-positive count")
    cache_dir = args.cache_dir or Settings().cache_dir
    model_path = resolve_model_path(None)
    try:
        passages, lengths = build_passages(args.corpus, model_path, args.passages, args.tokens)
    except FileNotFoundError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    load_before = os.getloadavg()
    console.print(
        f"{len(passages)} passages from {args.corpus} (median {statistics.median(lengths):.0f} "
        f"word pieces, {min(lengths)}-{max(lengths)}); batch {args.batch_size}, "
        f"{args.threads} threads, {args.repeat} timed runs; {os.cpu_count()} CPUs "
        f"({platform.machine()}); load average {load_before[0]:.2f}"
    )
    results = run(
        passages,
        backends=backends,
        cache_dir=cache_dir,
        batch_size=args.batch_size,
        threads=args.threads,
        repeat=args.repeat,
    )
    load_after = os.getloadavg()
    console.print(_table(results, "torch" in backends))
    console.print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "passages": len(passages),
            "median_tokens": statistics.median(lengths),
            "batch_size": args.batch_size,
            "threads": args.threads,
            "repeat": args.repeat,
            "load_average": [load_before[0], load_after[0]],
            "results": [asdict(result) for result in results],
        }
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
