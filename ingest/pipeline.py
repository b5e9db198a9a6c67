"""One document, in this process: bytes -> format -> reader -> sections -> metadata, findings,
passages -> :class:`~qmsgap.ingest.models.ParsedDocument`.

:class:`DocumentParser` is the pipeline step (options in ``__init__``, work in ``parse``);
:func:`ingest_file` and :func:`ingest_bytes` are the functional entry points. Nothing here is
sandboxed: :class:`~qmsgap.ingest.sandbox.Ingestor` runs this in worker processes with time
and memory limits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path

from qmsgap.errors import (
    CorruptDocument,
    DocumentError,
    DocumentTooLarge,
    ParseResourceLimit,
    QmsGapError,
)
from qmsgap.ingest.blocks import RawDocument
from qmsgap.ingest.chunking import Chunker, TokenCounter, load_counter
from qmsgap.ingest.findings import DocumentControlReview
from qmsgap.ingest.metadata import MetadataExtractor
from qmsgap.ingest.models import DocumentFormat, ParsedDocument
from qmsgap.ingest.sections import build_sections
from qmsgap.ingest.sniff import ArchiveLimits, Sniffed, sniff
from qmsgap.settings import Settings

log = logging.getLogger(__name__)


class DocumentParser:
    """Parses documents in the calling process.

    Options: ``settings`` (limits, backends, passage size), ``today`` (reference date of the
    age finding; today when ``None``) and ``counter`` (word-piece counter; the bundled model's
    tokenizer when ``None``, loaded on first use).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        today: dt.date | None = None,
        counter: TokenCounter | None = None,
    ) -> None:
        self.settings = settings
        self.today = today
        self._counter = counter

    @property
    def counter(self) -> TokenCounter:
        """The word-piece counter (loaded once per process)."""
        if self._counter is None:
            from qmsgap.model_files import resolve_model_path

            self._counter = load_counter(resolve_model_path(self.settings.embedding.model_path))
        return self._counter

    def parse_file(self, path: Path, *, display_path: str | None = None) -> ParsedDocument:
        """Read and parse the file at ``path``.

        Raises:
            DocumentTooLarge: the file is larger than ``limits.max_upload_bytes``.
            DocumentError: the file cannot be read, or a subclass from :meth:`parse`.
        """
        shown = display_path if display_path is not None else str(path)
        limit = self.settings.limits.max_upload_bytes
        try:
            size = path.stat().st_size
            if size > limit:
                raise DocumentTooLarge(
                    f"the file has {size:,} bytes; the limit is {limit:,} (limits.max_upload_bytes)"
                )
            with path.open("rb") as handle:
                data = handle.read()  # sized from fstat; read(limit) would allocate the limit
        except IsADirectoryError as exc:
            raise DocumentError(f"{shown} is a directory, not a document") from exc
        except OSError as exc:
            raise DocumentError(f"the file cannot be read: {exc.strerror or exc}") from exc
        if len(data) > limit:
            raise DocumentTooLarge(f"the file is larger than the limit of {limit:,} bytes")
        return self.parse(data, path=shown)

    def parse(self, data: bytes, *, path: str) -> ParsedDocument:
        """Parse a document held in memory; ``path`` is only reported, never opened.

        Raises:
            DocumentError: a subclass saying why the document cannot be read (unsupported,
                corrupt, encrypted, too large, out of memory).
        """
        try:
            return self._parse(data, path)
        except QmsGapError:
            raise
        except MemoryError as exc:
            raise ParseResourceLimit(
                "the document needs more memory than allowed (limits.parse_memory_mb)"
            ) from exc
        except RecursionError as exc:
            raise CorruptDocument("the document is nested too deeply to be read") from exc
        except Exception as exc:
            log.debug("unexpected parser failure on %s", path, exc_info=True)
            raise CorruptDocument(
                f"the document could not be read ({type(exc).__name__}: {str(exc)[:200]})"
            ) from exc

    def _parse(self, data: bytes, path: str) -> ParsedDocument:
        limits = self.settings.limits
        if len(data) > limits.max_upload_bytes:
            raise DocumentTooLarge(
                f"the document has {len(data):,} bytes; the limit is {limits.max_upload_bytes:,}"
            )
        document_id = hashlib.sha256(data).hexdigest()
        sniffed = sniff(
            data, ArchiveLimits(limits.max_archive_uncompressed_bytes, limits.max_archive_ratio)
        )
        raw = self._read(data, sniffed)
        sections = build_sections(raw.text, raw.blocks)
        extracted = MetadataExtractor()(raw)
        review = DocumentControlReview(
            max_age_days=self.settings.ingest.document_max_age_days, today=self.today
        )
        findings = review(raw, sections, extracted)
        chunker = Chunker(
            self.counter,
            max_tokens=self.settings.ingest.max_passage_tokens,
            overlap_tokens=self.settings.ingest.overlap_tokens,
        )
        passages = chunker(raw.text, sections, document_id=document_id, pages=raw.pages)
        warnings = list(raw.warnings)
        if not raw.text.strip():
            warnings.append("the document contains no text")
        return ParsedDocument(
            document_id=document_id,
            path=path,
            format=raw.format,
            size_bytes=len(data),
            canonical_text=raw.text,
            pages=raw.pages,
            passages=passages,
            metadata=extracted.metadata,
            findings=findings,
            warnings=warnings,
        )

    def _read(self, data: bytes, sniffed: Sniffed) -> RawDocument:
        limits = self.settings.limits
        fmt = sniffed.format
        if fmt is DocumentFormat.PDF:
            return self._read_pdf(data)
        if fmt is DocumentFormat.DOCX:
            from qmsgap.ingest.docx_reader import DocxReader

            return DocxReader(max_chars=limits.max_text_chars).read(data)
        if fmt is DocumentFormat.XLSX:
            from qmsgap.ingest.xlsx_reader import XlsxReader

            return XlsxReader(max_chars=limits.max_text_chars).read(data)
        if fmt is DocumentFormat.PPTX:
            from qmsgap.ingest.pptx_reader import PptxReader

            return PptxReader(max_chars=limits.max_text_chars, max_pages=limits.max_pages).read(
                data
            )
        text = sniffed.text or ""
        if fmt is DocumentFormat.MARKDOWN:
            from qmsgap.ingest.markdown_reader import MarkdownReader

            raw = MarkdownReader(max_chars=limits.max_text_chars).read(text)
        elif fmt is DocumentFormat.HTML:
            from qmsgap.ingest.html_reader import HtmlReader

            raw = HtmlReader(max_chars=limits.max_text_chars).read(text)
        else:
            from qmsgap.ingest.text_reader import TextReader

            raw = TextReader(max_chars=limits.max_text_chars).read(text)
        if sniffed.removed_nul:
            raw.warnings.append(f"{sniffed.removed_nul:,} NUL characters were removed")
        if sniffed.encoding not in (None, "utf-8", "ascii"):
            raw.warnings.append(f"the text was decoded as {sniffed.encoding}")
        return raw

    def _read_pdf(self, data: bytes) -> RawDocument:
        from qmsgap.ingest.ocr import TesseractOcr
        from qmsgap.ingest.pdf_backends import pdf_backend
        from qmsgap.ingest.pdf_reader import PdfReader

        ingest = self.settings.ingest
        ocr = TesseractOcr.find(ingest.ocr_language) if ingest.ocr else None
        reader = PdfReader(
            pdf_backend(ingest.pdf_backend),
            max_pages=self.settings.limits.max_pages,
            max_chars=self.settings.limits.max_text_chars,
            ocr=ocr,
        )
        raw = reader.read(data)
        if ocr is not None:
            raw.warnings.extend(ocr.errors)
        elif ingest.ocr and raw.pages_without_text:
            raw.warnings.append(
                "OCR is switched on but the tesseract program is not installed "
                "(Debian: apt-get install tesseract-ocr); scanned pages were not read"
            )
        return raw


def ingest_file(
    path: Path,
    settings: Settings,
    *,
    display_path: str | None = None,
    today: dt.date | None = None,
) -> ParsedDocument:
    """Parse one file in this process (no sandbox).

    Raises:
        DocumentError: a subclass with a message a person understands.
    """
    return DocumentParser(settings, today=today).parse_file(path, display_path=display_path)


def ingest_bytes(
    data: bytes,
    settings: Settings,
    *,
    display_path: str,
    today: dt.date | None = None,
) -> ParsedDocument:
    """Parse a document held in memory (an upload) in this process (no sandbox).

    Raises:
        DocumentError: a subclass with a message a person understands.
    """
    return DocumentParser(settings, today=today).parse(data, path=display_path)


def ingest_text(
    text: str,
    settings: Settings,
    *,
    display_path: str = "text.md",
    today: dt.date | None = None,
) -> ParsedDocument:
    """Parse a text held in a string (Markdown, HTML or plain text, told apart by content):
    the shortest way to real passages in tests of the mapping engine.

    Raises:
        DocumentError: a subclass with a message a person understands.
    """
    return ingest_bytes(text.encode("utf-8"), settings, display_path=display_path, today=today)
