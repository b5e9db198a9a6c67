"""Streaming multipart uploads: never the whole body in memory, limits enforced while reading.

:class:`UploadReceiver` feeds ``request.stream()`` chunk by chunk into python-multipart's
incremental parser. Each file part goes straight into a temporary file in the data directory
while its sha256 is computed. The request is refused with 413 *before* anything is read when
Content-Length announces too much, and as soon as the bytes received exceed a limit otherwise
(a single file over ``limits.max_upload_bytes``, the body over ``server.max_request_bytes``).
Types are then decided from the content by the ingest sniffer (:func:`sniff_file`), never
from the file name. On any error every temporary file is removed.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from qmsgap.errors import DocumentError, DocumentTooLarge, QmsGapError
from qmsgap.ingest.sniff import ArchiveLimits, sniff
from qmsgap.service.errors import InvalidRequest, RequestTooLarge, TooManyFiles
from qmsgap.service.storage import BlobStore
from qmsgap.settings import Settings

FILES_FIELD = "files"
_MAX_NAME_CHARS = 255
_SNIFF_HEAD = 1 << 20
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


@dataclass
class ReceivedFile:
    """One uploaded file, on disk in a temporary file, with its sha256 and size."""

    filename: str
    temp_path: Path
    sha256: str = ""
    size: int = 0
    format: str = ""


def clean_filename(raw: str) -> str:
    """The file name a person gave, safe to show and store: last path component only, control
    characters removed, NFC, at most 255 characters.

    Raises:
        InvalidRequest: nothing usable is left.
    """
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in {"", ".", ".."}:
        raise InvalidRequest(f"the file name {raw!r} is empty or not a file name")
    if len(name) > _MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        keep = _MAX_NAME_CHARS - len(ext) - 1 if dot and len(ext) < 16 else _MAX_NAME_CHARS
        name = (stem[:keep] + "." + ext) if dot and len(ext) < 16 else name[:_MAX_NAME_CHARS]
    return name


class _Sink:
    """python-multipart callbacks: headers of each part, file data into temporary files."""

    def __init__(self, receiver: UploadReceiver) -> None:
        self.receiver = receiver
        self.files: list[ReceivedFile] = []
        self.finished = False
        self._headers: dict[str, bytes] = {}
        self._field = bytearray()
        self._value = bytearray()
        self._file: ReceivedFile | None = None
        self._handle: IO[bytes] | None = None
        self._hasher = hashlib.sha256()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self._headers = {}
        self._file = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._field).decode("latin-1").lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def on_headers_finished(self) -> None:
        disposition = self._headers.get("content-disposition", b"")
        _, params = parse_options_header(disposition.decode("latin-1"))
        name = params.get(b"name", b"").decode("latin-1")
        raw_filename = params.get(b"filename")
        if name != FILES_FIELD:
            raise InvalidRequest(
                f"unexpected form field {name!r}: send each file as a part named 'files'"
            )
        if raw_filename is None:
            raise InvalidRequest("a 'files' part has no file name")
        limit = self.receiver.max_files
        if len(self.files) >= limit:
            raise TooManyFiles(f"at most {limit} files per request (limits.max_files_per_request)")
        # browsers send the UTF-8 bytes of the name, with '"', CR and LF percent-encoded
        # (WHATWG multipart/form-data encoding); the header was decoded as latin-1
        filename = raw_filename.decode("utf-8", "replace")
        for escaped, plain in (("%22", '"'), ("%0D", "\r"), ("%0A", "\n")):
            filename = filename.replace(escaped, plain)
        received = ReceivedFile(clean_filename(filename), self.receiver.store.temp_path())
        self.files.append(received)
        self._file = received
        self._handle = received.temp_path.open("wb")
        self._hasher = hashlib.sha256()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is None or self._handle is None:
            return
        piece = data[start:end]
        self._file.size += len(piece)
        limit = self.receiver.max_file_bytes
        if self._file.size > limit:
            raise DocumentTooLarge(
                f"{self._file.filename}: the file is larger than {limit:,} bytes "
                "(limits.max_upload_bytes)"
            )
        self._handle.write(piece)
        self._hasher.update(piece)

    def on_part_end(self) -> None:
        if self._file is not None and self._handle is not None:
            self._handle.close()
            self._handle = None
            self._file.sha256 = self._hasher.hexdigest()

    def on_end(self) -> None:
        self.finished = True

    def discard(self) -> None:
        discard(self.files, self._handle)
        self._handle = None


class UploadReceiver:
    """Receives ``multipart/form-data`` with one or more parts named ``files``.

    Options: the blob store (for temporary files), ``max_file_bytes``, ``max_files`` and
    ``max_request_bytes``.
    """

    def __init__(
        self,
        store: BlobStore,
        *,
        max_file_bytes: int,
        max_files: int,
        max_request_bytes: int,
    ) -> None:
        self.store = store
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.max_request_bytes = max_request_bytes

    def check_headers(self, content_type: str | None, content_length: str | None) -> bytes:
        """The multipart boundary, after checking the declared type and length.

        Raises:
            InvalidRequest: not multipart/form-data, or no boundary.
            RequestTooLarge: Content-Length is above ``max_request_bytes``.
        """
        if content_length is not None:
            try:
                declared = int(content_length)
            except ValueError as exc:
                raise InvalidRequest("the Content-Length header is not a number") from exc
            if declared > self.max_request_bytes:
                raise RequestTooLarge(
                    f"the request has {declared:,} bytes; uploads may have at most "
                    f"{self.max_request_bytes:,} bytes (server.max_request_bytes)"
                )
        kind, params = parse_options_header(content_type or "")
        if kind != b"multipart/form-data":
            raise InvalidRequest(
                "upload the files as multipart/form-data, one part named 'files' per file"
            )
        boundary = params.get(b"boundary")
        if not boundary:
            raise InvalidRequest("the multipart Content-Type header has no boundary")
        return boundary

    async def receive(
        self, chunks: AsyncIterator[bytes], content_type: str | None, content_length: str | None
    ) -> list[ReceivedFile]:
        """Read the body and return the files, in the order sent.

        Raises:
            InvalidRequest: malformed multipart, a part that is not a file, no file at all.
            RequestTooLarge: the body is larger than ``max_request_bytes``.
            DocumentTooLarge: one file is larger than ``max_file_bytes``.
            TooManyFiles: more than ``max_files`` files.
        """
        boundary = self.check_headers(content_type, content_length)
        sink = _Sink(self)
        parser = MultipartParser(boundary, sink.callbacks())  # type: ignore[arg-type]
        received = 0
        try:
            async for chunk in chunks:
                received += len(chunk)
                if received > self.max_request_bytes:
                    raise RequestTooLarge(
                        f"the request is larger than {self.max_request_bytes:,} bytes "
                        "(server.max_request_bytes)"
                    )
                parser.write(chunk)
            parser.finalize()
            if not sink.finished:
                raise InvalidRequest("the multipart body ended before its closing boundary")
            if not sink.files:
                raise InvalidRequest("no file received: send each file as a part named 'files'")
        except FormParserError as exc:
            sink.discard()
            raise InvalidRequest(f"the multipart body is malformed: {exc}") from exc
        except BaseException:
            sink.discard()
            raise
        return sink.files


def discard(files: list[ReceivedFile], handle: IO[bytes] | None = None) -> None:
    """Remove the temporary files of an upload that is not kept."""
    if handle is not None:
        handle.close()
    for received in files:
        received.temp_path.unlink(missing_ok=True)


def sniff_file(path: Path, settings: Settings) -> str:
    """The document format of the file at ``path``, decided from its content.

    Office files are zip containers whose entry table sits at the end, so they are read whole
    (they are at most ``limits.max_upload_bytes``); everything else is judged from its first
    megabyte, as the sniffer itself does.

    Raises:
        DocumentError: a subclass saying why the content is not accepted (unsupported,
            encrypted, corrupt, zip bomb).
    """
    limits = settings.limits
    archive = ArchiveLimits(limits.max_archive_uncompressed_bytes, limits.max_archive_ratio)
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_HEAD)
        data = head + handle.read() if head.startswith(_ZIP_MAGIC) else head
    return str(sniff(data, archive).format.value)


def name_error(filename: str, exc: QmsGapError) -> QmsGapError:
    """The same error with the file's name in front of its message."""
    if isinstance(exc, DocumentError) and not exc.message.startswith(f"{filename}:"):
        renamed = type(exc).__new__(type(exc))
        QmsGapError.__init__(renamed, f"{filename}: {exc.message}")
        return renamed
    return exc
