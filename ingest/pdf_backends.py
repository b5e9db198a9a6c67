"""Two PDF text extractors behind one interface: pypdf (pure Python) and pypdfium2 (PDFium).

A backend returns raw page texts, whether each page draws images (a scan without a text
layer), the outline (bookmarks) and the document information; the reader
(:mod:`qmsgap.ingest.pdf_reader`) turns that into canonical text and sections. Backends are
chosen by ``settings.ingest.pdf_backend`` through :func:`pdf_backend`.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from qmsgap.errors import CorruptDocument, DocumentTooLarge, EncryptedDocument

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PdfPage:
    """One page as extracted: its text and whether it draws anything (images, paths)."""

    text: str
    has_images: bool


@dataclass(frozen=True)
class OutlineEntry:
    """One bookmark: depth (1 = top), title, 0-based page index (``None``: no destination)."""

    level: int
    title: str
    page_index: int | None


@dataclass
class PdfContent:
    """Everything a backend extracted from one PDF."""

    pages: list[PdfPage]
    outline: list[OutlineEntry] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class PdfBackend(Protocol):
    """Extracts text per page, the outline and the info dictionary of a PDF.

    ``extract`` raises :class:`~qmsgap.errors.EncryptedDocument` (the empty password does not
    open it), :class:`~qmsgap.errors.CorruptDocument` (unreadable structure) or
    :class:`~qmsgap.errors.DocumentTooLarge` (more than ``max_pages`` pages, or a stream that
    decompresses beyond the library's limits).
    """

    name: str

    def extract(self, data: bytes, max_pages: int) -> PdfContent: ...


def pdf_backend(name: str) -> PdfBackend:
    """The backend called ``name`` ('pypdf' or 'pypdfium2')."""
    if name == "pypdfium2":
        return PdfiumBackend()
    if name == "pypdf":
        return PypdfBackend()
    raise ValueError(f"unknown PDF backend {name!r}")


def _too_many_pages(count: int, max_pages: int) -> DocumentTooLarge:
    return DocumentTooLarge(
        f"the PDF has {count:,} pages; at most {max_pages:,} are read (limits.max_pages)"
    )


_INFO_KEYS = {
    "/Title": "title",
    "/Author": "author",
    "/Subject": "subject",
    "/Keywords": "keywords",
    "/CreationDate": "created",
    "/ModDate": "modified",
    "/Producer": "producer",
    "/Creator": "creator",
}


class PypdfBackend:
    """pypdf: pure Python, hardened limits for page trees, streams and outlines."""

    name = "pypdf"

    def extract(self, data: bytes, max_pages: int) -> PdfContent:
        import pypdf
        from pypdf.errors import DependencyError, LimitReachedError, PyPdfError

        try:
            with pypdf.apply_configuration(
                page_tree_maximum_entries=max(1_000, 2 * max_pages + 100),
                outline_maximum_entries=10_000,
            ):
                return self._extract(data, max_pages)
        except DependencyError:
            # AES-encrypted files need the optional 'cryptography' package; PDFium reads them.
            content = PdfiumBackend().extract(data, max_pages)
            content.warnings.append("pypdf cannot decrypt this AES-encrypted PDF; read with PDFium")
            return content
        except LimitReachedError as exc:
            raise DocumentTooLarge(
                f"the PDF exceeds a safety limit of the PDF reader ({exc}); it may be a "
                "decompression bomb or an endless page tree"
            ) from exc
        except RecursionError as exc:
            raise CorruptDocument("the PDF structure refers to itself endlessly") from exc
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
            raise CorruptDocument(f"the PDF cannot be read: {exc}") from exc

    def _extract(self, data: bytes, max_pages: int) -> PdfContent:
        import pypdf
        from pypdf.errors import LimitReachedError, PyPdfError

        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        warnings: list[str] = []
        if reader.is_encrypted:
            declared = _declared_page_count(reader)
            if declared is not None and declared > max_pages:
                raise _too_many_pages(declared, max_pages)
            if not reader.decrypt(""):
                raise EncryptedDocument(
                    "the PDF is protected by a password (the empty password does not open "
                    "it): remove the password and upload it again"
                )
        declared = _declared_page_count(reader)
        if declared is not None and declared > max_pages:
            raise _too_many_pages(declared, max_pages)
        count = len(reader.pages)
        if count > max_pages:
            raise _too_many_pages(count, max_pages)
        pages: list[PdfPage] = []
        for index in range(count):
            try:
                page = reader.pages[index]
                text = page.extract_text() or ""
                images = _pypdf_has_images(page)
            except LimitReachedError:
                raise
            except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
                warnings.append(f"page {index + 1} could not be read ({exc}); it is left empty")
                text, images = "", False
            pages.append(PdfPage(text=text, has_images=images))
        outline = self._outline(reader, warnings)
        info = _clean_info(self._info(reader))
        return PdfContent(pages=pages, outline=outline, info=info, warnings=warnings)

    @staticmethod
    def _info(reader: Any) -> dict[str, str]:
        try:
            meta = reader.metadata or {}
        except Exception:
            return {}
        return {
            name: str(meta.get(key))
            for key, name in _INFO_KEYS.items()
            if meta.get(key) not in (None, "")
        }

    @staticmethod
    def _outline(reader: Any, warnings: list[str]) -> list[OutlineEntry]:
        from pypdf.errors import PyPdfError

        try:
            tree = reader.outline
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
            warnings.append(f"the bookmarks could not be read ({exc})")
            return []
        entries: list[OutlineEntry] = []

        def walk(items: list[Any], level: int) -> None:
            for item in items:
                if isinstance(item, list):
                    walk(item, level + 1)
                    continue
                try:
                    page_index = reader.get_destination_page_number(item)
                except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
                    page_index = None
                title = str(getattr(item, "title", "") or "")
                valid = page_index is not None and page_index >= 0
                entries.append(OutlineEntry(level, title, page_index if valid else None))

        walk(tree, 1)
        return entries


def _declared_page_count(reader: Any) -> int | None:
    try:
        count = reader.trailer["/Root"]["/Pages"]["/Count"]
        return int(count)
    except Exception:
        return None


def _pypdf_has_images(page: Any) -> bool:
    resources = page.get("/Resources")
    if resources is None:
        return False
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return False
    return any(
        xobject.get_object().get("/Subtype") == "/Image"
        for xobject in xobjects.get_object().values()
    )


class PdfiumBackend:
    """pypdfium2: Google's PDFium through ctypes; fast, C++ robustness."""

    name = "pypdfium2"

    def extract(self, data: bytes, max_pages: int) -> PdfContent:
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c

        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
                raise EncryptedDocument(
                    "the PDF is protected by a password (the empty password does not open "
                    "it): remove the password and upload it again"
                ) from exc
            raise CorruptDocument(f"the PDF cannot be read: {exc}") from exc
        try:
            count = len(document)
            if count > max_pages:
                raise _too_many_pages(count, max_pages)
            warnings: list[str] = []
            pages = [self._page(document, index, warnings) for index in range(count)]
            outline = self._outline(document, warnings)
            info = _clean_info(
                {
                    name: str(value)
                    for key, value in document.get_metadata_dict(skip_empty=True).items()
                    if (name := _INFO_KEYS.get("/" + key)) is not None
                }
            )
        finally:
            document.close()
        return PdfContent(pages=pages, outline=outline, info=info, warnings=warnings)

    @staticmethod
    def _page(document: Any, index: int, warnings: list[str]) -> PdfPage:
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c

        try:
            page = document[index]
        except pdfium.PdfiumError as exc:
            warnings.append(f"page {index + 1} could not be read ({exc}); it is left empty")
            return PdfPage(text="", has_images=False)
        try:
            textpage = page.get_textpage()
            try:
                text = textpage.get_text_bounded()
            finally:
                textpage.close()
            images = any(
                True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3)
            )
        finally:
            page.close()
        return PdfPage(text=text, has_images=images)

    @staticmethod
    def _outline(document: Any, warnings: list[str]) -> list[OutlineEntry]:
        entries: list[OutlineEntry] = []
        try:
            for position, bookmark in enumerate(document.get_toc(max_depth=10)):
                if position >= 10_000:
                    warnings.append("the bookmarks were cut at 10,000 entries")
                    break
                dest = bookmark.get_dest()
                page_index = dest.get_index() if dest is not None else None
                entries.append(OutlineEntry(bookmark.level + 1, bookmark.get_title(), page_index))
        except Exception as exc:
            warnings.append(f"the bookmarks could not be read ({exc})")
        return entries


_WORD_EXPORT = re.compile(r"^(Microsoft (Word|Excel|PowerPoint) - )", re.I)
_FILE_SUFFIX = re.compile(r"\.(docx?|xlsx?|pptx?|pdf|odt)$", re.I)


def _clean_info(info: dict[str, str]) -> dict[str, str]:
    """Drop exporter noise from the info dictionary ("Microsoft Word - QP-01.docx")."""
    cleaned: dict[str, str] = {}
    for key, value in info.items():
        text = value.replace("\x00", "").strip()
        if key == "title":
            text = _FILE_SUFFIX.sub("", _WORD_EXPORT.sub("", text)).strip()
            if text.lower() in {"untitled", "untitled document", "document", "title"}:
                text = ""
        if text:
            cleaned[key] = text[:500]
    return cleaned
