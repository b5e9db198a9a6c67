"""``qmsgap bench``: how fast qmsgap parses, embeds and analyzes, and how time grows with size.

Every measurement runs in a fresh child process (``python -m qmsgap.eval.bench``) that reports
its own timings and its peak resident memory (``getrusage`` of itself plus its children, e.g.
parser workers), so one measurement cannot warm up the next and memory is per task:

- ``parse``: ingest the sample QMS (no cache): documents, PDF pages, passages and characters
  per second.
- ``embed``: embed every passage with each backend ``make_embedder`` offers (sentence-transformers,
  ONNX, ONNX int8; unavailable ones are reported as such), no cache; model load time apart.
- ``analyze``: ``qmsgap analyze CORPUS --json ...`` end to end, as a user runs it. *Cold* =
  fresh data directory (no embedding cache); *warm* = the same data directory again, corpus
  unchanged. Its peak memory is the analyze process's (``RUSAGE_CHILDREN`` of the child).
- ``naive-rag``: the same corpus through the naive-RAG baseline (it has no cache: cold = warm;
  MiniLM through sentence-transformers/torch as a user would load it, whatever backend qmsgap is
  configured with), so qmsgap's speed can be stated as a ratio against it.

Scaling: the sample QMS at 1x, 4x and 16x. Copies are regenerated from the corpus sources
(``eval/corpus/build_sample.py``) with a copy tag (e.g. ``(copy 3)``) appended to every
paragraph, list item, heading and table row, so every copy's files AND every passage differ:
neither de-duplication by sha256 nor the embedding cache makes a copy free. Each size is
measured cold, in its own fresh data directory.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qmsgap.errors import ConfigurationError, QmsGapError
from qmsgap.settings import Settings

EVAL_DIR = Path(__file__).resolve().parent
CORPUS_SOURCES = EVAL_DIR / "corpus" / "sources"
CORPUS_BUILDER = EVAL_DIR / "corpus" / "build_sample.py"
EMBED_BACKENDS = ("sentence-transformers", "onnx", "onnx-int8")
_TABLE_RULE = re.compile(r"^\|[\s:|-]+\|?\s*$")


# --------------------------------------------------------------------------- corpus copies


def tag_markdown_source(text: str, tag: str) -> str:
    """Append ``tag`` to every content line of a Markdown source (after its front matter).

    Table rows get the tag in their first cell; table rules, code fences, HTML comments (page
    breaks) and blank lines are left alone.
    """
    lines = text.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        start = (end + 1) if end is not None else 0
    out = lines[:start]
    for line in lines[start:]:
        stripped = line.strip()
        if not stripped or stripped.startswith(("```", "<!--")) or _TABLE_RULE.match(stripped):
            out.append(line)
        elif stripped.startswith("|"):
            out.append(re.sub(r"^(\s*\|\s*)", lambda m: f"{m.group(1)}{tag} ", line, count=1))
        else:
            out.append(f"{line.rstrip()} {tag}")
    return "\n".join(out)


def _tag_rows(node: Any, tag: str, in_rows: bool = False) -> Any:
    if isinstance(node, dict):
        return {k: _tag_rows(v, tag, in_rows or k == "rows") for k, v in node.items()}
    if isinstance(node, list):
        return [_tag_rows(v, tag, in_rows) for v in node]
    if in_rows and isinstance(node, str) and node.strip() and not node.startswith("="):
        return f"{node} {tag}"
    return node


def tag_workbook_source(text: str, tag: str) -> str:
    """Append ``tag`` to every text cell under a ``rows`` key of a workbook (YAML) source."""
    data = yaml.safe_load(text)
    return yaml.safe_dump(_tag_rows(data, tag), allow_unicode=True, sort_keys=False)


def build_copies(
    copies: int, target: Path, first: Path, sources: Path = CORPUS_SOURCES
) -> list[Path]:
    """Folders ``copy-01`` .. ``copy-NN`` under ``target``: copy 1 is ``first`` (the sample as
    shipped), the others are regenerated from tagged sources (see the module docstring).

    Raises:
        ConfigurationError: the corpus sources or generator are missing, or generation fails.
    """
    if not sources.is_dir() or not CORPUS_BUILDER.is_file():
        raise ConfigurationError(
            f"benchmark scaling needs the corpus sources ({sources}) and generator "
            f"({CORPUS_BUILDER}); run it from a repository checkout"
        )
    folders = []
    for number in range(1, copies + 1):
        folder = target / f"copy-{number:02d}"
        if number == 1 and not folder.is_dir():
            shutil.copytree(first, folder)
        elif not folder.is_dir():
            tagged = target / f"sources-{number:02d}"
            tagged.mkdir(parents=True, exist_ok=True)
            for source in sorted(sources.iterdir()):
                if not source.is_file():
                    continue
                text = source.read_text(encoding="utf-8")
                if source.suffix == ".md":
                    text = tag_markdown_source(text, f"(copy {number})")
                elif source.suffix in (".yaml", ".yml"):
                    text = tag_workbook_source(text, f"(copy {number})")
                (tagged / source.name).write_text(text, encoding="utf-8")
            result = subprocess.run(  # noqa: S603 - our own generator, fixed arguments
                [
                    sys.executable,
                    str(CORPUS_BUILDER),
                    "--sources",
                    str(tagged),
                    "--out",
                    str(folder),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            shutil.rmtree(tagged, ignore_errors=True)
            if result.returncode != 0:
                raise ConfigurationError(
                    f"generating copy {number} failed: {result.stderr.strip()[-500:]}"
                )
        folders.append(folder)
    return folders


# --------------------------------------------------------------------------- child tasks


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0  # Linux reports kilobytes


def _ingest(settings: Settings, root: Path) -> tuple[list[Any], list[Any], float]:
    from qmsgap.eval.corpus_cache import CorpusLoader

    started = time.perf_counter()
    corpus = CorpusLoader(settings, use_cache=False).run(root)
    return corpus.documents, corpus.failures, time.perf_counter() - started


def task_parse(settings: Settings, root: Path) -> dict[str, Any]:
    documents, failures, seconds = _ingest(settings, root)
    pdf_pages = sum(d.page_count for d in documents if d.format.value == "pdf")
    return {
        "seconds": seconds,
        "documents": len(documents),
        "failures": len(failures),
        "pdf_pages": pdf_pages,
        "pages": sum(d.page_count for d in documents),
        "characters": sum(len(d.canonical_text) for d in documents),
        "passages": sum(len(d.passages) for d in documents),
    }


def task_embed(settings: Settings, root: Path, backend: str) -> dict[str, Any]:
    from qmsgap.mapping.embedders import make_embedder

    documents, _, _ = _ingest(settings, root)
    texts = [p.text for d in documents for p in d.passages]
    chosen = settings.model_copy(
        update={"embedding": settings.embedding.model_copy(update={"backend": backend})}
    )
    started = time.perf_counter()
    try:
        embedder = make_embedder(chosen)
        embedder.embed_batch(texts[:1])
    except QmsGapError as exc:
        return {"backend": backend, "available": False, "reason": exc.message}
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    vectors = embedder.embed_batch(texts)
    seconds = time.perf_counter() - started
    return {
        "backend": backend,
        "available": True,
        "load_seconds": loaded,
        "passages": len(texts),
        "seconds": seconds,
        "passages_per_second": len(texts) / seconds if seconds > 0 else None,
        "dimension": int(vectors.shape[1]) if texts else None,
    }


def task_analyze(settings: Settings, root: Path) -> dict[str, Any]:
    """``qmsgap analyze ROOT`` as a user runs it, with ``settings.data_dir`` as data dir."""
    report = settings.data_dir / "bench-report.json"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "QMSGAP_DATA_DIR": str(settings.data_dir)}
    command = [sys.executable, "-m", "qmsgap", "analyze", str(root), "--json", str(report), "-q"]
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        command, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise ConfigurationError(f"qmsgap analyze failed: {result.stderr.strip()[-800:]}")
    data = json.loads(report.read_text(encoding="utf-8"))
    return {
        "seconds": seconds,
        "documents": len(data.get("documents", [])),
        "passages": sum(int(d.get("passages", 0)) for d in data.get("documents", [])),
        "practices": sum(len(c.get("practices", [])) for c in data.get("clauses", [])),
    }


def task_naive_rag(settings: Settings, root: Path) -> dict[str, Any]:
    from qmsgap.clauses import load_catalog
    from qmsgap.eval.baselines import NaiveRagBaseline
    from qmsgap.eval.runner import naive_rag_embedder

    started = time.perf_counter()
    documents, _, ingest_seconds = _ingest(settings, root)
    system = NaiveRagBaseline(naive_rag_embedder(settings))
    system.run(documents, load_catalog("asqms"), "II")
    return {
        "seconds": time.perf_counter() - started,
        "ingest_seconds": ingest_seconds,
        "chunks": len(system.chunks(documents)),
    }


def child_main(argv: Sequence[str]) -> int:
    """Entry of a measurement child: ``<task> <corpus root> [backend]``, settings JSON on stdin."""
    task, root = argv[0], Path(argv[1])
    settings = Settings.model_validate_json(sys.stdin.read())
    tasks: dict[str, Callable[[], dict[str, Any]]] = {
        "parse": lambda: task_parse(settings, root),
        "embed": lambda: task_embed(settings, root, argv[2]),
        "analyze": lambda: task_analyze(settings, root),
        "naive-rag": lambda: task_naive_rag(settings, root),
    }
    result = tasks[task]()
    result["peak_rss_mb"] = _peak_rss_mb()
    result["load_average_1min"] = os.getloadavg()[0]
    result["revision"] = source_revision()
    sys.stdout.write("BENCH-RESULT " + json.dumps(result) + "\n")
    return 0


# --------------------------------------------------------------------------- parent


@dataclass
class Benchmark:
    """Runs every measurement and writes ``bench.json``, ``bench.md`` and ``bench-scaling.png``."""

    settings: Settings
    sample_corpus: Path
    copies: Sequence[int]
    out_dir: Path

    def child(self, task: str, root: Path, data_dir: Path, *extra: str) -> dict[str, Any]:
        """Run one measurement in a fresh interpreter.

        Raises:
            ConfigurationError: the child failed (its last error output is in the message).
        """
        settings = self.settings.model_copy(update={"data_dir": data_dir})
        started = time.perf_counter()
        result = subprocess.run(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "qmsgap.eval.bench", task, str(root), *extra],
            input=settings.model_dump_json(),
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        line = next(
            (ln for ln in result.stdout.splitlines() if ln.startswith("BENCH-RESULT ")), None
        )
        if result.returncode != 0 or line is None:
            raise ConfigurationError(
                f"benchmark task {task} failed: {result.stderr.strip()[-800:]}"
            )
        data: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
        data["process_wall_seconds"] = wall
        return data

    def run(self, echo: Callable[[str], None] = print) -> dict[str, Any]:
        """All measurements; returns (and writes) the raw numbers.

        Raises:
            ConfigurationError: a measurement or the corpus generation failed.
        """
        from qmsgap.eval.plots import scaling_plot

        self.out_dir.mkdir(parents=True, exist_ok=True)
        results: dict[str, Any] = {
            "machine": _machine(),
            "settings": _settings_summary(self.settings),
            "complete": False,
        }

        def measure(key: str, task: str, root: Path, data: Path, *extra: str) -> dict[str, Any]:
            echo(f"{key} ...")
            result = self.child(task, root, data, *extra)
            echo(f"  {key}: " + ", ".join(f"{k}={_short(v)}" for k, v in result.items()))
            return result

        def save() -> None:  # partial results survive an interrupted run
            (self.out_dir / "bench.json").write_text(json.dumps(results, indent=1), "utf-8")

        with tempfile.TemporaryDirectory(prefix="qmsgap-bench-") as tmp:
            work = Path(tmp)
            root = self.sample_corpus.resolve()
            results["parse"] = measure("parse", "parse", root, work / "d-parse")
            save()
            results["embed"] = []
            for backend in EMBED_BACKENDS:
                results["embed"].append(
                    measure(f"embed {backend}", "embed", root, work / "d-embed", backend)
                )
            save()
            results["analyze_cold"] = measure("analyze cold", "analyze", root, work / "d-an")
            results["analyze_warm"] = measure("analyze warm", "analyze", root, work / "d-an")
            results["naive_rag"] = measure("naive RAG", "naive-rag", root, work / "d-naive")
            save()
            results["scaling"] = []
            largest = max(self.copies)
            echo(f"generating {largest - 1} distinct copies of the sample QMS ...")
            folders = build_copies(largest, work / "copies", root)
            for size in sorted(set(self.copies)):
                corpus = work / f"corpus-{size:02d}x"
                for folder in folders[:size]:
                    shutil.copytree(folder, corpus / folder.name)
                qmsgap = measure(f"{size}x analyze cold", "analyze", corpus, work / f"d-s{size}")
                naive = measure(f"{size}x naive RAG", "naive-rag", corpus, work / f"d-n{size}")
                results["scaling"].append({"copies": size, "qmsgap": qmsgap, "naive_rag": naive})
                save()
        results["complete"] = True
        results["summary"] = summarize(results)
        (self.out_dir / "bench.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
        (self.out_dir / "bench.md").write_text(bench_markdown(results), encoding="utf-8")
        scaling_plot(
            {
                "qmsgap analyze (cold)": [
                    (s["copies"], s["qmsgap"]["seconds"]) for s in results["scaling"]
                ],
                "naive RAG": [(s["copies"], s["naive_rag"]["seconds"]) for s in results["scaling"]],
            },
            self.out_dir / "bench-scaling.png",
            "End-to-end time against corpus size",
        )
        echo(bench_markdown(results))
        return results


def _short(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def source_revision() -> str | None:
    """The git commit of the checkout this code runs from (``+dirty`` if modified), if any."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head


def _git(*args: str) -> str:
    """The stripped output of a read-only git command in this checkout."""
    return subprocess.run(  # noqa: S603 - fixed git subcommands from this module only
        ["git", *args],  # noqa: S607 - git from PATH, read-only
        cwd=EVAL_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout.strip()


def _machine() -> dict[str, Any]:
    return {
        "revision": source_revision(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def _settings_summary(settings: Settings) -> dict[str, Any]:
    return {
        "embedding_backend": settings.embedding.backend,
        "threads": settings.embedding.threads,
        "batch_size": settings.embedding.batch_size,
        "pdf_backend": settings.ingest.pdf_backend,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers: rates, times, memory and ratios."""
    parse = results["parse"]
    embeds = {e["backend"]: e for e in results["embed"]}
    torch_rate = embeds.get("sentence-transformers", {}).get("passages_per_second")
    naive = results["naive_rag"]["seconds"]
    cold = results["analyze_cold"]["seconds"]
    warm = results["analyze_warm"]["seconds"]
    measured = [
        results["parse"],
        *results["embed"],
        results["analyze_cold"],
        results["analyze_warm"],
        results["naive_rag"],
        *(row[k] for row in results["scaling"] for k in ("qmsgap", "naive_rag")),
    ]
    loads = [m["load_average_1min"] for m in measured if "load_average_1min" in m]
    return {
        "load_average_1min": [min(loads), max(loads)] if loads else None,
        "pdf_pages_per_second": _ratio(parse["pdf_pages"], parse["seconds"]),
        "documents_per_second": _ratio(parse["documents"], parse["seconds"]),
        "characters_per_second": _ratio(parse["characters"], parse["seconds"]),
        "passages_per_second": {name: e.get("passages_per_second") for name, e in embeds.items()},
        "embed_speed_vs_torch": {
            name: _ratio(e.get("passages_per_second"), torch_rate) for name, e in embeds.items()
        },
        "analyze_cold_seconds": cold,
        "analyze_warm_seconds": warm,
        "naive_rag_seconds": naive,
        "cold_vs_naive_rag": _ratio(cold, naive),
        "warm_vs_naive_rag": _ratio(warm, naive),
        "peak_rss_mb": {
            "analyze_cold": results["analyze_cold"]["peak_rss_mb"],
            "analyze_warm": results["analyze_warm"]["peak_rss_mb"],
            "naive_rag": results["naive_rag"]["peak_rss_mb"],
            "largest_scaling_run": max(
                (s["qmsgap"]["peak_rss_mb"] for s in results["scaling"]), default=None
            ),
        },
    }


def _f(value: Any, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def bench_markdown(results: dict[str, Any]) -> str:
    """A short Markdown summary of the raw numbers in ``bench.json``."""
    s = results["summary"]
    parse = results["parse"]
    lines = [
        "# qmsgap benchmarks",
        "",
        f"Machine: {results['machine']['cpus']} CPUs, {results['machine']['platform']}; "
        f"embedding threads {results['settings']['threads']}; 1-minute load average at the end "
        f"of the measurements: {s['load_average_1min']} (other work on the machine slows every "
        "number down).",
        "",
        f"- Parsing: {parse['documents']} documents, {parse['pdf_pages']} PDF pages, "
        f"{parse['passages']} passages in {_f(parse['seconds'])} s = "
        f"{_f(s['pdf_pages_per_second'])} PDF pages/s, {_f(s['documents_per_second'])} docs/s",
    ]
    for entry in results["embed"]:
        if entry.get("available"):
            ratio = s["embed_speed_vs_torch"].get(entry["backend"])
            lines.append(
                f"- Embedding ({entry['backend']}): {_f(entry['passages_per_second'])} passages/s "
                f"(x{_f(ratio, 2)} of torch), model load {_f(entry['load_seconds'])} s"
            )
        else:
            lines.append(f"- Embedding ({entry['backend']}): unavailable: {entry['reason']}")
    lines += [
        f"- Analyze end to end: cold {_f(s['analyze_cold_seconds'])} s, warm "
        f"{_f(s['analyze_warm_seconds'])} s; naive RAG {_f(s['naive_rag_seconds'])} s "
        f"(qmsgap cold = x{_f(s['cold_vs_naive_rag'], 2)}, warm = x{_f(s['warm_vs_naive_rag'], 2)} "
        "of the naive RAG's time)",
        f"- Peak memory: analyze cold {_f(s['peak_rss_mb']['analyze_cold'], 0)} MB, warm "
        f"{_f(s['peak_rss_mb']['analyze_warm'], 0)} MB, naive RAG "
        f"{_f(s['peak_rss_mb']['naive_rag'], 0)} MB",
        "",
        "| copies | passages | qmsgap cold s | peak MB | naive RAG s | peak MB | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results["scaling"]:
        q, n = row["qmsgap"], row["naive_rag"]
        ratio = _ratio(q["seconds"], n["seconds"])
        lines.append(
            f"| {row['copies']} | {q['passages']} | {_f(q['seconds'])} | {_f(q['peak_rss_mb'], 0)} "
            f"| {_f(n['seconds'])} | {_f(n['peak_rss_mb'], 0)} | {_f(ratio, 2)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
