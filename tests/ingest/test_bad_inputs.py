"""Every bad input has a fixture and an exact outcome: a typed error with a clear message, or
a document read as far as it is sound. Nothing crashes, hangs or expands without bound."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from qmsgap.errors import (
    CorruptDocument,
    DocumentError,
    DocumentTooLarge,
    EncryptedDocument,
    UnsupportedDocument,
)
from qmsgap.ingest.models import DocumentFormat, ParsedDocument
from qmsgap.ingest.pipeline import DocumentParser, ingest_bytes
from qmsgap.settings import Settings

pytestmark = pytest.mark.unit

Parse = Callable[..., ParsedDocument]

# fixture -> (error class, words the message must contain), for every PDF backend
REFUSED: dict[str, tuple[type[DocumentError], str]] = {
    "empty.pdf": (CorruptDocument, "the file is empty (0 bytes)"),
    "encrypted.pdf": (EncryptedDocument, "protected by a password"),
    "huge_page_count.pdf": (DocumentTooLarge, "1,000,000 pages; at most 3,000"),
    "truncated.docx": (CorruptDocument, "damaged or truncated"),
    "macro.docx": (UnsupportedDocument, "macro-enabled Word document (.docm)"),
    "legacy_word.docx": (UnsupportedDocument, "legacy Word 97-2003 document (.doc)"),
    "legacy_excel.xlsx": (UnsupportedDocument, "legacy Excel 97-2003 workbook (.xls)"),
    "password_protected.docx": (EncryptedDocument, "Office document is password-protected"),
    "billion_laughs.docx": (CorruptDocument, "declares a DTD or entities"),
    "billion_laughs.xlsx": (CorruptDocument, "'xl/worksheets/sheet1.xml' declares a DTD"),
    "ratio_bomb.docx": (DocumentTooLarge, "expands 1,024-fold (limit 200): possible zip bomb"),
    "declared_bomb.xlsx": (DocumentTooLarge, "would expand to 3,000,000,"),
    "document.odt": (UnsupportedDocument, "an OpenDocument file (text)"),
    "archive.zip": (UnsupportedDocument, "a zip archive that is not an Office document"),
    "image.png": (UnsupportedDocument, "a PNG image"),
    "binary.dat": (UnsupportedDocument, "neither a known document format nor text"),
}

# outcomes that differ between the two PDF libraries
REFUSED_BY_BACKEND: dict[tuple[str, str], tuple[type[DocumentError], str]] = {
    ("truncated.pdf", "pypdf"): (CorruptDocument, "the PDF cannot be read"),
    ("truncated.pdf", "pypdfium2"): (CorruptDocument, "the PDF cannot be read"),
    ("corrupt.pdf", "pypdf"): (CorruptDocument, "the PDF cannot be read"),
    ("corrupt.pdf", "pypdfium2"): (CorruptDocument, "the PDF cannot be read"),
    ("cycle.pdf", "pypdf"): (CorruptDocument, "cyclic page references"),
    ("lying_page_count.pdf", "pypdf"): (DocumentTooLarge, "safety limit of the PDF reader"),
    ("flate_bomb.pdf", "pypdf"): (DocumentTooLarge, "decompression bomb"),
}


@pytest.mark.parametrize("backend", ["pypdf", "pypdfium2"])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_a_typed_error(
    settings: Settings, fixtures: Path, name: str, backend: str
) -> None:
    error, words = REFUSED[name]
    configured = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"pdf_backend": backend})}
    )
    with pytest.raises(error) as raised:
        DocumentParser(configured).parse_file(fixtures / name)
    assert words in raised.value.message
    assert type(raised.value) is error


@pytest.mark.parametrize(("name", "backend"), sorted(REFUSED_BY_BACKEND))
def test_refused_pdfs(settings: Settings, fixtures: Path, name: str, backend: str) -> None:
    error, words = REFUSED_BY_BACKEND[(name, backend)]
    configured = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"pdf_backend": backend})}
    )
    with pytest.raises(error) as raised:
        DocumentParser(configured).parse_file(fixtures / name)
    assert words in raised.value.message


def test_pdfium_reads_the_sound_page_of_a_cyclic_page_tree(parse: Parse) -> None:
    document = parse("cycle.pdf", pdf_backend="pypdfium2")
    assert [(p.number, p.has_text) for p in document.pages] == [(1, True), (2, False)]
    assert document.canonical_text.strip() == "Looping page tree"
    assert document.warnings == [
        "page 2 could not be read (Failed to load page.); it is left empty"
    ]


def test_pdfium_trusts_a_small_declared_page_count(parse: Parse) -> None:
    # PDFium reads the one declared page of the million reachable ones and stops
    document = parse("lying_page_count.pdf", pdf_backend="pypdfium2")
    assert [p.number for p in document.pages] == [1]
    assert document.canonical_text == "One of a million pages"


def test_pdfium_decompresses_the_flate_bomb_to_nothing(parse: Parse) -> None:
    # 300 MB of spaces fit the default memory limit of a worker; no text comes out of them
    document = parse("flate_bomb.pdf", pdf_backend="pypdfium2")
    assert document.passages == []
    assert document.warnings == ["the document contains no text"]


def test_page_limit_is_configurable(settings: Settings, fixtures: Path) -> None:
    limited = settings.model_copy(
        update={"limits": settings.limits.model_copy(update={"max_pages": 2})}
    )
    with pytest.raises(DocumentTooLarge, match="3 pages; at most 2"):
        DocumentParser(limited).parse_file(fixtures / "procedure.pdf")


def test_upload_size_limit(settings: Settings, fixtures: Path) -> None:
    limited = settings.model_copy(
        update={"limits": settings.limits.model_copy(update={"max_upload_bytes": 100})}
    )
    with pytest.raises(DocumentTooLarge, match="limit is 100"):
        DocumentParser(limited).parse_file(fixtures / "procedure.pdf")


def test_text_limit_keeps_the_beginning_and_says_so(settings: Settings, fixtures: Path) -> None:
    limited = settings.model_copy(
        update={"limits": settings.limits.model_copy(update={"max_text_chars": 60})}
    )
    document = DocumentParser(limited).parse_file(fixtures / "utf8.txt")
    assert len(document.canonical_text) <= 60
    assert document.canonical_text.startswith("Calibration procedure")
    assert any("cut at 60 characters" in w for w in document.warnings)


def test_nul_bytes_are_removed_and_reported(parse: Parse) -> None:
    document = parse("nul_bytes.txt")
    assert "\x00" not in document.canonical_text
    assert document.passages[0].text == "1 Purpose\nNUL bytes inside a text file."
    assert document.warnings == ["3 NUL characters were removed"]


def test_entities_in_html_are_not_expanded(parse: Parse) -> None:
    document = parse("entities.html")
    # the parser skips the internal DTD subset; the entity references stay as written
    assert document.canonical_text == "]>\n\nEntities\n\n&b&b&b"
    assert [p.section for p in document.passages] == [(), ("Entities",)]


def test_the_office_xml_parsers_would_refuse_the_entities_too(fixtures: Path) -> None:
    """Defence in depth, should the DTD check ever be bypassed: python-docx's lxml parser
    and openpyxl's XML functions both hit libxml2's entity amplification limit."""
    from docx.oxml.parser import oxml_parser
    from lxml import etree
    from openpyxl.xml.functions import fromstring

    with zipfile.ZipFile(fixtures / "billion_laughs.docx") as archive:
        xml = archive.read("word/document.xml")
    with pytest.raises(etree.XMLSyntaxError, match="amplification"):
        etree.fromstring(xml, oxml_parser)
    with zipfile.ZipFile(fixtures / "billion_laughs.xlsx") as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    with pytest.raises(etree.XMLSyntaxError, match="amplification"):
        fromstring(sheet)


def test_a_line_of_one_megabyte_without_spaces(settings: Settings) -> None:
    from importlib import util

    path = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "make_fixtures.py"
    spec = util.spec_from_file_location("make_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = module.long_line_bytes()
    document = ingest_bytes(data, settings, display_path="long_line.txt")
    assert document.format is DocumentFormat.TEXT
    text = document.canonical_text
    assert len(text) == len("Heading line\n") + (1 << 20) + len("\nlast line")
    covered = "".join(p.text for p in document.passages if "x" in p.text)
    assert covered.count("x") >= 1 << 20  # every character of the line is in some passage
    cap = settings.ingest.max_passage_tokens * 12
    for passage in document.passages:
        assert text[passage.start : passage.end] == passage.text
        assert len(passage.text) <= cap


def test_whitespace_only_text_gives_no_passages(settings: Settings) -> None:
    document = ingest_bytes(b" \n\t\n  ", settings, display_path="blank.txt")
    assert document.passages == []
    assert document.warnings == ["the document contains no text"]


def test_a_directory_is_not_a_document(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="is a directory"):
        DocumentParser(settings).parse_file(tmp_path)
