"""Ingestion benchmark (not a test): PDF backends side by side, then whole-pipeline throughput.

    .venv/bin/python -m qmsgap.eval.bench_ingest [--repeat 5] [--corpus DIR] [--real DIR]

1. pypdf vs pypdfium2 on the same PDFs in one run: pages/s of text extraction, and quality
   as word recall against the Markdown sources of the sample corpus (the words of the source
   found in the extracted text; 1.0 = nothing lost) and the share of passages that carry a
   section path.
2. passages/s of the full pipeline (sniff, read, sections, metadata, findings, passages) in
   this process, for each format of the corpus and for the real Markdown QMS documents.
3. The sandboxed :class:`~qmsgap.ingest.Ingestor` on the whole corpus: cold (worker start-up
   included) and warm (workers reused), plus the start-up cost of one worker.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from qmsgap.ingest import DocumentParser, Ingestor, discover
from qmsgap.ingest.models import ParsedDocument
from qmsgap.ingest.pdf_backends import PdfBackend, pdf_backend
from qmsgap.settings import Settings

_HERE = Path(__file__).resolve().parent
_REPO = _HERE.parent
_DEFAULT_CORPUS = _HERE / "corpus" / "sample-supplier-qms"
_DEFAULT_SOURCES = _HERE / "corpus" / "sources"
_FIXTURE_PDFS = _REPO / "tests" / "fixtures" / "ingest"
_DEFAULT_REAL = Path("/work/shared/corpus/real-qms/docs")
_WORD = re.compile(r"[a-z0-9]+")
_MARKUP = re.compile(r"(^---\n.*?\n---\n)|[#*|`>_\[\]()-]", re.DOTALL)


def _timed(function: Callable[[], object], repeat: int) -> float:
    """Median wall-clock seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.lower()))


def _recall(source: str, extracted: str) -> float:
    want = _words(_MARKUP.sub(" ", source))
    have = _words(extracted)
    total = sum(want.values())
    return sum(min(n, have[w]) for w, n in want.items()) / total if total else 1.0


def _source_for(pdf: Path, sources: Path) -> Path | None:
    number = pdf.name.split("_", 1)[0]
    matches = sorted(sources.glob(f"{number}_*.md")) if sources.is_dir() else []
    return matches[0] if matches else None


def bench_backends(pdfs: Sequence[Path], sources: Path, repeat: int, console: Console) -> None:
    settings = Settings(environment="test")
    table = Table(title=f"PDF backends on the same {len(pdfs)} PDFs (median of {repeat} runs)")
    for column in (
        "backend",
        "pages",
        "seconds",
        "pages/s",
        "word recall",
        "passages",
        "with section",
    ):
        table.add_column(column, justify="right")
    for name in ("pypdf", "pypdfium2"):
        backend = pdf_backend(name)
        pages = sum(len(backend.extract(p.read_bytes(), 10_000).pages) for p in pdfs)
        data = [p.read_bytes() for p in pdfs]

        def extract_all(b: PdfBackend = backend, blobs: list[bytes] = data) -> None:
            for blob in blobs:
                b.extract(blob, 10_000)

        seconds = _timed(extract_all, repeat)
        parser = DocumentParser(settings.model_copy(
            update={"ingest": settings.ingest.model_copy(update={"pdf_backend": name})}
        ))  # fmt: skip
        documents = [parser.parse(d, path=str(p)) for d, p in zip(data, pdfs, strict=True)]
        recalls = [
            _recall(source.read_text(encoding="utf-8"), doc.canonical_text)
            for pdf, doc in zip(pdfs, documents, strict=True)
            if (source := _source_for(pdf, sources)) is not None
        ]
        passages = [p for doc in documents for p in doc.passages]
        with_section = sum(1 for p in passages if p.section) / max(len(passages), 1)
        table.add_row(
            name,
            str(pages),
            f"{seconds:.3f}",
            f"{pages / seconds:,.0f}",
            f"{statistics.mean(recalls):.3f} ({len(recalls)} docs)" if recalls else "-",
            str(len(passages)),
            f"{with_section:.0%}",
        )
    console.print(table)


def bench_pipeline(groups: dict[str, list[Path]], repeat: int, console: Console) -> None:
    settings = Settings(environment="test")
    parser = DocumentParser(settings)
    parser.counter  # noqa: B018 - load the tokenizer outside the timings
    table = Table(title=f"Pipeline in this process (median of {repeat} runs)")
    for column in ("files", "documents", "pages", "passages", "seconds", "docs/s", "passages/s"):
        table.add_column(column, justify="right")
    for label, files in groups.items():
        if not files:
            continue
        data = [(f.read_bytes(), str(f)) for f in files]
        documents: list[ParsedDocument] = []

        def run(
            data: list[tuple[bytes, str]] = data, out: list[ParsedDocument] = documents
        ) -> None:
            out.clear()
            out.extend(parser.parse(d, path=p) for d, p in data)

        seconds = _timed(run, repeat)
        passages = sum(len(d.passages) for d in documents)
        pages = sum(len(d.pages) for d in documents)
        table.add_row(
            label,
            str(len(documents)),
            str(pages),
            str(passages),
            f"{seconds:.3f}",
            f"{len(documents) / seconds:,.1f}",
            f"{passages / seconds:,.0f}",
        )
    console.print(table)


def bench_sandbox(files: list[Path], console: Console) -> None:
    settings = Settings(environment="test")
    table = Table(title=f"Sandboxed Ingestor on {len(files)} files (2 workers)")
    for column in ("run", "seconds", "docs/s", "failures", "workers started"):
        table.add_column(column, justify="right")
    with Ingestor(settings, workers=1) as single:
        start = time.perf_counter()
        list(single.run(files[:1]))
        startup = time.perf_counter() - start
    with Ingestor(settings, workers=2) as ingestor:
        for label in ("cold (start-up included)", "warm (workers reused)"):
            start = time.perf_counter()
            outcomes = list(ingestor.run(files))
            seconds = time.perf_counter() - start
            failures = sum(1 for o in outcomes if not isinstance(o, ParsedDocument))
            table.add_row(
                label,
                f"{seconds:.2f}",
                f"{len(files) / seconds:,.1f}",
                str(failures),
                str(ingestor.started_workers),
            )
    console.print(table)
    console.print(f"one worker: start-up plus first document {startup:.2f} s")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=_DEFAULT_CORPUS)
    parser.add_argument("--sources", type=Path, default=_DEFAULT_SOURCES)
    parser.add_argument("--real", type=Path, default=_DEFAULT_REAL)
    args = parser.parse_args(argv)
    console = Console(width=140)
    corpus = discover([args.corpus]) if args.corpus.is_dir() else []
    pdfs = [f for f in corpus if f.suffix.lower() == ".pdf"]
    if not pdfs:
        pdfs = [_FIXTURE_PDFS / n for n in ("procedure.pdf", "outline.pdf", "scanned.pdf")]
    bench_backends(pdfs, args.sources, args.repeat, console)
    by_format: dict[str, list[Path]] = {}
    for file in corpus:
        by_format.setdefault(f"sample {file.suffix.lower().lstrip('.')}", []).append(file)
    real = discover([args.real]) if args.real.is_dir() else []
    bench_pipeline({**by_format, "sample, all": corpus, "real-qms markdown": real},
                   max(1, args.repeat // 2), console)  # fmt: skip
    if corpus:
        bench_sandbox(corpus, console)


if __name__ == "__main__":
    main()
