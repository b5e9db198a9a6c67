"""Formats are told apart by content; discovery finds documents and skips the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from qmsgap.errors import UnsupportedDocument
from qmsgap.ingest import discover
from qmsgap.ingest.models import DocumentFormat
from qmsgap.ingest.sniff import ArchiveLimits, sniff

pytestmark = pytest.mark.unit
LIMITS = ArchiveLimits(500 * 1024 * 1024, 200.0)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("procedure.pdf", DocumentFormat.PDF),
        ("pdf_named.docx", DocumentFormat.PDF),
        ("docx_named.pdf", DocumentFormat.DOCX),
        ("matrix.xlsx", DocumentFormat.XLSX),
        ("slides.pptx", DocumentFormat.PPTX),
        ("manual.md", DocumentFormat.MARKDOWN),
        ("intranet.html", DocumentFormat.HTML),
        ("utf8.txt", DocumentFormat.TEXT),
        ("utf16.txt", DocumentFormat.TEXT),
    ],
)
def test_format_by_content(fixtures: Path, name: str, fmt: DocumentFormat) -> None:
    assert sniff((fixtures / name).read_bytes(), LIMITS).format is fmt


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"junk before\n%PDF-1.4\n...", DocumentFormat.PDF),
        (b"<!doctype html><p>x</p>", DocumentFormat.HTML),
        (b"  <html><body><h1>x</h1></body></html>", DocumentFormat.HTML),
        (b"Title\n\n## Section\ntext", DocumentFormat.MARKDOWN),
        (b"a | b\n---|---\n1 | 2\n", DocumentFormat.MARKDOWN),
        (b"# not a comment, a heading", DocumentFormat.MARKDOWN),
        (b"Plain words. Nothing else.", DocumentFormat.TEXT),
        ("Grüße aus Köln".encode("utf-16-le"), DocumentFormat.TEXT),  # UTF-16 without a BOM
    ],
)
def test_format_of_small_inputs(data: bytes, fmt: DocumentFormat) -> None:
    assert sniff(data, LIMITS).format is fmt


def test_xml_data_is_not_a_document() -> None:
    with pytest.raises(UnsupportedDocument, match="XML data"):
        sniff(b'<?xml version="1.0"?><config><a>1</a></config>', LIMITS)


def test_utf8_cut_in_the_middle_of_a_character_still_reads() -> None:
    sniffed = sniff("Prüfung".encode()[:-1] + "ä".encode()[:1], LIMITS)
    assert sniffed.encoding == "utf-8" and sniffed.text is not None
    assert sniffed.text.startswith("Prüfun")


def test_discover_walks_folders_and_skips_the_noise(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / ".git").mkdir()
    for name in ("b.pdf", "a.docx", "sub/c.md", ".hidden.pdf", "~$a.docx", ".~lock.a.docx#",
                 "backup.txt~", ".git/config", "Thumbs.db"):  # fmt: skip
        (docs / name).write_text("x")
    outside = tmp_path / "outside.pdf"
    outside.write_text("secret")
    (docs / "link_out.pdf").symlink_to(outside)
    (docs / "sub" / "link_in.docx").symlink_to(docs / "a.docx")
    (docs / "sub" / "loop").symlink_to(tmp_path)
    found = discover([docs])
    assert [p.relative_to(docs).as_posix() for p in found] == [
        "a.docx",
        "b.pdf",
        "sub/c.md",
        "sub/link_in.docx",
    ]


def test_discover_takes_files_as_given_once(tmp_path: Path) -> None:
    file = tmp_path / "a.pdf"
    file.write_text("x")
    assert discover([file, tmp_path, tmp_path / "missing.pdf"]) == [file]
