"""Tell formats apart by content: magic bytes, zip content types, then text heuristics.

The file name is never consulted. Office files are zip containers: their entry table is
checked for zip-bomb shapes (total size, compression ratio, entry count) and their XML parts
for DTDs (entity-expansion attacks) *before* any library parses them.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from qmsgap.errors import (
    CorruptDocument,
    DocumentTooLarge,
    EncryptedDocument,
    UnsupportedDocument,
)
from qmsgap.ingest.models import DocumentFormat

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAX_ZIP_ENTRIES = 10_000
_RATIO_FLOOR_BYTES = 1 << 20  # entries smaller than this are not judged by their ratio

_MAIN_PARTS: dict[str, tuple[DocumentFormat | None, str]] = {
    # content type of the main part -> (format, refusal message when None)
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        DocumentFormat.DOCX,
        "",
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        DocumentFormat.XLSX,
        "",
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (
        DocumentFormat.PPTX,
        "",
    ),
    "application/vnd.ms-word.document.macroenabled.main+xml": (
        None,
        "a macro-enabled Word document (.docm); macros are not accepted: "
        "save it as a plain Word document (.docx) or PDF",
    ),
    "application/vnd.ms-excel.sheet.macroenabled.main+xml": (
        None,
        "a macro-enabled Excel workbook (.xlsm); macros are not accepted: "
        "save it as a plain workbook (.xlsx)",
    ),
    "application/vnd.ms-powerpoint.presentation.macroenabled.main+xml": (
        None,
        "a macro-enabled PowerPoint file (.pptm); macros are not accepted: save it as .pptx or PDF",
    ),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": (
        None,
        "a Word template (.dotx): create a document from it and save that as .docx",
    ),
    "application/vnd.ms-word.template.macroenabledtemplate.main+xml": (
        None,
        "a macro-enabled Word template (.dotm): save the document as .docx",
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": (
        None,
        "an Excel template (.xltx): save the workbook as .xlsx",
    ),
}


@dataclass(frozen=True)
class Sniffed:
    """The detected format and, for text formats, the decoded text."""

    format: DocumentFormat
    text: str | None = None
    encoding: str | None = None
    removed_nul: int = 0


def sniff(data: bytes, limits: ArchiveLimits) -> Sniffed:
    """Detect the format of ``data`` from its content.

    Raises:
        CorruptDocument: empty or damaged content.
        UnsupportedDocument: a format qmsgap does not read (legacy Office, macro files,
            images, archives, binary data), with what to do instead.
        EncryptedDocument: a password-protected Office file.
        DocumentTooLarge: a zip container whose entries expand beyond the limits.
    """
    if not data:
        raise CorruptDocument("the file is empty (0 bytes)")
    head = data[:1024]
    if b"%PDF-" in head:
        return Sniffed(DocumentFormat.PDF)
    if data.startswith(_OLE2_MAGIC):
        raise _ole2_error(data)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return Sniffed(check_office_zip(data, limits))
    binary = _binary_kind(head)
    if binary:
        raise UnsupportedDocument(f"the file is {binary}, not a document qmsgap reads")
    from qmsgap.ingest.text_decode import decode_text

    text, encoding, removed = decode_text(data)
    return Sniffed(classify_text(text), text=text, encoding=encoding, removed_nul=removed)


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on Office zip containers (from ``settings.limits``)."""

    max_uncompressed_bytes: int
    max_ratio: float


def check_office_zip(data: bytes, limits: ArchiveLimits) -> DocumentFormat:
    """Validate an OOXML zip and return its format, reading no entry that fails the checks.

    Raises:
        CorruptDocument: truncated/damaged zip, missing content types, DTD in an XML part.
        DocumentTooLarge: zip-bomb shape (entry count, total size, compression ratio).
        UnsupportedDocument: not an Office Open XML document, or a macro/template file.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise CorruptDocument(
            f"the zip container is damaged or truncated ({exc}); Office files (.docx, .xlsx, "
            ".pptx) are zip archives and this one cannot be opened"
        ) from exc
    with archive:
        infos = archive.infolist()
        check_zip_entries(infos, limits)
        names = {info.filename for info in infos}
        if "mimetype" in names and "[Content_Types].xml" not in names:
            mimetype = _read_entry(archive, "mimetype", 200).decode("ascii", "replace").strip()
            if mimetype.startswith("application/vnd.oasis.opendocument"):
                raise UnsupportedDocument(
                    f"an OpenDocument file ({mimetype.rsplit('.', 1)[-1]}): "
                    "save it as .docx/.xlsx or PDF"
                )
        if "[Content_Types].xml" not in names:
            raise UnsupportedDocument(
                "a zip archive that is not an Office document: upload the documents themselves"
            )
        fmt = _main_format(_read_entry(archive, "[Content_Types].xml", 1 << 20))
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise UnsupportedDocument(
                "the Office file contains macros (vbaProject.bin); save it without macros"
            )
        for info in infos:
            if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                _refuse_dtd(archive, info)
    return fmt


def check_zip_entries(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    """Refuse zip-bomb shapes using only the entry table (nothing is decompressed).

    Raises:
        DocumentTooLarge: too many entries, too much declared content, or a ratio above the limit.
    """
    if len(infos) > _MAX_ZIP_ENTRIES:
        raise DocumentTooLarge(
            f"the zip container has {len(infos):,} entries (limit {_MAX_ZIP_ENTRIES:,})"
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise DocumentTooLarge(
            f"the zip container would expand to {total:,} bytes "
            f"(limit {limits.max_uncompressed_bytes:,}): possible zip bomb"
        )
    compressed = sum(info.compress_size for info in infos)
    for info in infos:
        if info.file_size < _RATIO_FLOOR_BYTES:
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise DocumentTooLarge(
                f"the zip entry {info.filename!r} expands {ratio:,.0f}-fold "
                f"(limit {limits.max_ratio:,.0f}): possible zip bomb"
            )
    if total >= _RATIO_FLOOR_BYTES and total / max(compressed, 1) > limits.max_ratio:
        raise DocumentTooLarge(
            f"the zip container expands {total / max(compressed, 1):,.0f}-fold "
            f"(limit {limits.max_ratio:,.0f}): possible zip bomb"
        )


def _read_entry(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        with archive.open(name) as handle:
            return handle.read(limit)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise CorruptDocument(f"the zip entry {name!r} is damaged ({exc})") from exc


def _main_format(content_types: bytes) -> DocumentFormat:
    try:
        root = SafeET.fromstring(content_types)
    except (DefusedXmlException, SafeET.ParseError) as exc:
        raise CorruptDocument(f"[Content_Types].xml cannot be read safely ({exc})") from exc
    for element in root:
        content_type = (element.get("ContentType") or "").lower()
        if content_type in _MAIN_PARTS:
            fmt, refusal = _MAIN_PARTS[content_type]
            if fmt is None:
                raise UnsupportedDocument(f"the file is {refusal}")
            return fmt
    raise UnsupportedDocument(
        "an Office Open XML package without a Word, Excel or PowerPoint main part "
        "(for example Visio or XPS): save it as .docx, .xlsx or PDF"
    )


_PROLOG_BYTES = 65536
_ELEMENT_START = re.compile(r"<[A-Za-z_]")
_DTD = re.compile(r"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _refuse_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Office XML never carries a DTD; one before the root element means an entity-expansion
    attempt (billion laughs, external entities).

    Raises:
        CorruptDocument: a DTD or entity declaration, or a prolog too long to check.
    """
    prolog = _read_entry(archive, info.filename, _PROLOG_BYTES)
    if prolog.startswith((b"\xff\xfe", b"<\x00")):
        text = prolog.decode("utf-16-le", "replace")
    elif prolog.startswith((b"\xfe\xff", b"\x00<")):
        text = prolog.decode("utf-16-be", "replace")
    else:
        text = prolog.decode("utf-8", "replace")
    root = _ELEMENT_START.search(text)
    if root is None and len(prolog) >= _PROLOG_BYTES:
        raise CorruptDocument(
            f"the XML part {info.filename!r} has no root element in its first "
            f"{_PROLOG_BYTES:,} bytes; the document was not read"
        )
    if _DTD.search(text, 0, root.start() if root else len(text)):
        raise CorruptDocument(
            f"the XML part {info.filename!r} declares a DTD or entities, which Office files "
            "never do (possible entity-expansion attack); the document was not read"
        )


def _ole2_error(data: bytes) -> Exception:
    """Legacy binary Office files and encrypted OOXML both live in OLE2 compound files."""
    if "EncryptedPackage".encode("utf-16-le") in data:
        return EncryptedDocument(
            "the Office document is password-protected: remove the password "
            "(File > Info > Protect Document) and upload it again"
        )
    streams = {
        "WordDocument": "a legacy Word 97-2003 document (.doc)",
        "Workbook": "a legacy Excel 97-2003 workbook (.xls)",
        "Book": "a legacy Excel 5 workbook (.xls)",
        "PowerPoint Document": "a legacy PowerPoint 97-2003 presentation (.ppt)",
    }
    for stream, label in streams.items():
        if stream.encode("utf-16-le") in data:
            return UnsupportedDocument(
                f"the file is {label}; legacy binary formats are not read: "
                "open it and save it as .docx/.xlsx/.pptx or PDF"
            )
    return UnsupportedDocument(
        "the file is a legacy binary Office/OLE2 container: save it as .docx, .xlsx or PDF"
    )


_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image (scans must be PDFs)"),
    (b"\xff\xd8\xff", "a JPEG image (scans must be PDFs)"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image (scans must be PDFs)"),
    (b"MM\x00*", "a TIFF image (scans must be PDFs)"),
    (b"{\\rtf", "an RTF document: save it as .docx or PDF"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a program (ELF binary)"),
    (b"MZ", "a Windows program"),
)


def _binary_kind(head: bytes) -> str | None:
    for magic, label in _BINARY_MAGIC:
        if head.startswith(magic):
            return label
    return None


_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)
_MD_TABLE_RULE = re.compile(
    r"^ {0,3}\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$", re.M
)
_MD_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n---[ \t]*\n", re.DOTALL)
_MD_LINK = re.compile(r"\[[^\]\n]{1,200}\]\([^)\s]{1,500}\)")
_HTML_START = re.compile(r"\A\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.I | re.DOTALL)
_HTML_TAGS = re.compile(r"<(body|head|p|div|h[1-6]|table)[\s>]", re.I)
_XML_START = re.compile(r"\A\s*<\?xml", re.I)


def classify_text(text: str) -> DocumentFormat:
    """HTML, Markdown or plain text, from the decoded content."""
    sample = text[:65536]
    if _HTML_START.match(sample) or (
        sample.lstrip().startswith("<") and len(_HTML_TAGS.findall(sample)) >= 2
    ):
        return DocumentFormat.HTML
    if _XML_START.match(sample):
        if _HTML_TAGS.search(sample) and "<html" in sample.lower():
            return DocumentFormat.HTML
        raise UnsupportedDocument("the file is XML data, not a document qmsgap reads")
    if (
        _MD_HEADING.search(sample)
        or _MD_TABLE_RULE.search(sample)
        or _MD_FRONT_MATTER.match(sample)
        or len(_MD_LINK.findall(sample)) >= 2
    ):
        return DocumentFormat.MARKDOWN
    return DocumentFormat.TEXT
