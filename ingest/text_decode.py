"""Decode the bytes of a text file (plain text, Markdown, HTML) whatever their encoding.

Byte-order marks first, then the NUL pattern of BOM-less UTF-16, then strict UTF-8, then
charset-normalizer, preferring Windows-1252 among the Western single-byte code pages because
that is what Windows tools write.
"""

from __future__ import annotations

import codecs
import re

from qmsgap.errors import UnsupportedDocument

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WESTERN = {"cp1252", "latin_1", "iso8859_15", "cp1250", "mac_roman", "cp850", "cp437", "iso8859_2"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.01
_MAX_NUL_SHARE = 0.1
_SAMPLE = 1 << 20


def decode_text(data: bytes) -> tuple[str, str, int]:
    """Return ``(text, encoding, removed_nul_count)``.

    Stray NUL characters are removed (and counted) so that a text with a few of them still
    reads; content that is mostly control characters is refused.

    Raises:
        UnsupportedDocument: the bytes are not text in any recognisable encoding.
    """
    encoding = _encoding(data)
    text = data.decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    nul = text.count("\x00")
    sample = text[:_SAMPLE]
    other_control = len(_CONTROL.findall(sample)) - sample.count("\x00")
    if sample and (
        other_control / len(sample) > _MAX_CONTROL_SHARE or nul / len(text) > _MAX_NUL_SHARE
    ):
        raise UnsupportedDocument(
            "the file contains binary data and is not in a document format qmsgap reads "
            "(PDF, Word, Excel, PowerPoint, Markdown, HTML or text)"
        )
    if nul:
        text = text.replace("\x00", "")
    return text, encoding, nul


def _declared(data: bytes) -> str | None:
    """An encoding the bytes announce: a byte-order mark, or UTF-16's NUL pattern."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return _utf16_without_bom(data[:4096])


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a last character cut in half still counts: it is decoded as a replacement mark
        return exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True


def _encoding(data: bytes) -> str:
    declared = _declared(data)
    if declared:
        return declared
    if _is_utf8(data):
        return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(data[:_SAMPLE]).best()
    if best is None:
        raise UnsupportedDocument(
            "the file is neither a known document format nor text in a recognisable encoding"
        )
    name = str(best.encoding)
    if name in _WESTERN:
        try:
            data.decode("cp1252")
            name = "cp1252"
        except UnicodeDecodeError:
            pass
    return name


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text of Latin script has a NUL in every other byte."""
    if len(head) < 8:
        return None
    pairs = len(head) // 2
    even = sum(1 for i in range(0, pairs * 2, 2) if head[i] == 0)
    odd = sum(1 for i in range(1, pairs * 2, 2) if head[i] == 0)
    if odd > 0.4 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > 0.4 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None
