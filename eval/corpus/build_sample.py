"""Regenerate the sample supplier QMS (``sample-supplier-qms/``) from ``sources/``.

Usage (from the repository root, with qmsgap installed: the modules import each other as
``qmsgap.eval.corpus.*`` through the editable install)::

    .venv/bin/python eval/corpus/build_sample.py            # rebuild and print the inventory
    .venv/bin/python eval/corpus/build_sample.py --check    # rebuild elsewhere, compare bytes

Sources: ``sources/*.md`` (YAML front matter + Markdown body; ``format`` pdf, docx or md) and
``sources/*.yaml`` (workbooks; ``format: xlsx``). The output folder holds only the generated
documents, because the analyzer reads every file in it. Output is byte-for-byte reproducible:
reportlab runs in invariant mode and ZIP members (DOCX, XLSX) get fixed timestamps.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import re
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from qmsgap.eval.corpus.render_docx import render_docx
from qmsgap.eval.corpus.render_pdf import render_pdf
from qmsgap.eval.corpus.render_xlsx import render_xlsx
from qmsgap.eval.corpus.sample_source import (
    DocSource,
    SourceError,
    Table,
    load_document,
    load_workbook_source,
    plain,
)

HERE = Path(__file__).resolve().parent
WORDS_PER_PAGE = 500
ROWS_PER_PAGE = 25


@dataclass(frozen=True)
class Built:
    """One generated file and its size in pages (counted for PDF, estimated otherwise)."""

    file: str
    format: str
    doc_no: str
    title: str
    pages: int
    counted: bool
    words: int


def _words(source: DocSource) -> int:
    words = 0
    for block in source.blocks:
        if isinstance(block, Table):
            words += sum(len(plain(c).split()) for row in block.rows for c in row)
        elif hasattr(block, "runs"):
            words += len(plain(block.runs).split())
        elif hasattr(block, "text"):
            words += len(str(block.text).split())
    return words


def _check_pdf_text(source: DocSource) -> None:
    """The PDFs use the standard Helvetica font, which only covers Windows-1252.

    Raises:
        SourceError: naming the first character the font cannot show.
    """
    text = source.body + " ".join(str(v) for v in source.meta.extra.get("cover_lines", []))
    for line_no, line in enumerate(text.splitlines(), start=1):
        try:
            line.encode("cp1252")
        except UnicodeEncodeError as exc:
            bad = line[exc.start]
            raise SourceError(
                f"{source.path.name}: body line {line_no} has {bad!r} (U+{ord(bad):04X}), "
                "which the PDF font cannot show"
            ) from exc


def _zip_fixed(path: Path, when: dt.datetime) -> None:
    """Rewrite a ZIP-based Office file with fixed member timestamps and modified date."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info.filename)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                text = re.sub(
                    r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rf"\g<1>{stamp}\2",
                    data.decode("utf-8"),
                )
                data = text.encode("utf-8")  # noqa: PLW2901 - the rewritten member
            fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            archive.writestr(fixed, data)
    path.write_bytes(buffer.getvalue())


def _markdown(source: DocSource, path: Path) -> None:
    meta = source.meta
    front: dict[str, object] = {
        "title": meta.title,
        "doc_id": meta.doc_no,
        "revision": meta.revision,
        "status": "released",
        "owner": meta.owner,
        "author": meta.author,
        "approved_by": meta.approver,
        "effective_date": meta.effective.isoformat(),
        "classification": meta.classification,
    }
    front.update(meta.extra.get("front_matter", {}))
    if meta.revision is None:
        del front["revision"]
    lines = ["---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).strip(), "---", ""]
    text = "\n".join(lines) + source.body.lstrip("\n").rstrip() + "\n"
    if meta.history:
        text += "\n## Change log\n\n| Version | Date | Change | Author |\n|---|---|---|---|\n"
        text += "".join(
            f"| {h.revision} | {h.date} | {h.change} | {h.author} |\n" for h in meta.history
        )
    path.write_text(text, encoding="utf-8")


def build(sources: Path, out: Path) -> list[Built]:
    """Generate every document of ``sources`` into ``out`` (replacing its content).

    Raises:
        SourceError: when a source is malformed or two sources name the same output file.
    """
    staging = Path(tempfile.mkdtemp(prefix="sample-qms-"))
    built: list[Built] = []
    try:
        seen: set[str] = set()
        for path in sorted(sources.glob("*")):
            if path.suffix not in (".md", ".yaml"):
                continue
            if path.suffix == ".yaml":
                meta, sheets = load_workbook_source(path)
                target = staging / meta.file
                rows = render_xlsx(meta, sheets, target)
                pages = sum(
                    max(1, math.ceil(len(s.get("rows", [])) / ROWS_PER_PAGE)) for s in sheets
                )
                when = dt.datetime.combine(meta.effective, dt.time(8, 0))
                _zip_fixed(target, when)
                built.append(Built(meta.file, "xlsx", meta.doc_no, meta.title, pages, False, rows))
            else:
                source = load_document(path)
                meta = source.meta
                target = staging / meta.file
                words = _words(source)
                if meta.format == "pdf":
                    _check_pdf_text(source)
                    pages, counted = render_pdf(source, target), True
                elif meta.format == "docx":
                    render_docx(source, target)
                    _zip_fixed(target, dt.datetime.combine(meta.effective, dt.time(8, 0)))
                    pages, counted = max(1, math.ceil(words / WORDS_PER_PAGE)), False
                else:
                    _markdown(source, target)
                    pages, counted = max(1, math.ceil(words / WORDS_PER_PAGE)), False
                built.append(
                    Built(meta.file, meta.format, meta.doc_no, meta.title, pages, counted, words)
                )
            if meta.file in seen:
                raise SourceError(f"{path.name}: output file {meta.file!r} is produced twice")
            seen.add(meta.file)
        out.mkdir(parents=True, exist_ok=True)
        for old in out.iterdir():
            if old.is_file():
                old.unlink()
        for new in sorted(staging.iterdir()):
            shutil.move(str(new), out / new.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return built


def inventory(built: list[Built]) -> str:
    """A Markdown table of the generated files with page numbers and totals."""
    lines = ["| file | format | doc no. | pages | words (rows for xlsx) |", "|---|---|---|---|---|"]
    for item in sorted(built, key=lambda b: b.file):
        pages = f"{item.pages}" if item.counted else f"~{item.pages}"
        lines.append(f"| {item.file} | {item.format} | {item.doc_no} | {pages} | {item.words} |")
    text_pages = sum(b.pages for b in built if b.format != "xlsx")
    pdf_pages = sum(b.pages for b in built if b.counted)
    lines.append("")
    lines.append(
        f"{len(built)} files; PDF pages counted: {pdf_pages}; PDF + DOCX + Markdown pages "
        f"(DOCX/Markdown at ~{WORDS_PER_PAGE} words/page): {text_pages}; "
        f"spreadsheet print pages (~{ROWS_PER_PAGE} rows/page): "
        f"{sum(b.pages for b in built if b.format == 'xlsx')}"
    )
    return "\n".join(lines) + "\n"


def _same(left: Path, right: Path) -> list[str]:
    names = sorted({p.name for p in left.iterdir()} | {p.name for p in right.iterdir()})
    return [
        n for n in names
        if not (left / n).is_file() or not (right / n).is_file()
        or (left / n).read_bytes() != (right / n).read_bytes()
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sources", type=Path, default=HERE / "sources")
    parser.add_argument("--out", type=Path, default=HERE / "sample-supplier-qms")
    parser.add_argument(
        "--check", action="store_true",
        help="build into a temporary folder and report files that differ from --out",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                fresh = Path(tmp) / "out"
                build(args.sources, fresh)
                differ = _same(fresh, args.out)
            if differ:
                sys.stderr.write("out of date: " + ", ".join(differ) + "\n")
                return 1
            sys.stdout.write("sample-supplier-qms is up to date\n")
            return 0
        sys.stdout.write(inventory(build(args.sources, args.out)))
    except SourceError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
