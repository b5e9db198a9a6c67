"""The parsing worker process: ``python -m qmsgap.ingest.worker``.

Started by :class:`~qmsgap.ingest.sandbox.Ingestor` as a fresh interpreter (nothing of the
parent is imported or unpickled). Protocol on stdin/stdout, one frame per message: an 8-byte
big-endian length, a one-byte tag and a JSON body. The first frame from the parent is the
configuration; the worker answers ``R`` when warmed up, then for each ``T`` (task) frame one
``O`` (parsed document), ``E`` (error) or ``X`` (error, after which the worker exits because it
ran out of memory) frame. Anything libraries print goes to stderr, never
into the protocol.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from pathlib import Path
from typing import BinaryIO

HEADER = struct.Struct(">Q")
CONFIG, TASK, STOP, READY, OK, ERROR, FATAL = b"C", b"T", b"S", b"R", b"O", b"E", b"X"
_MIN_HEADROOM = 64 * 1024 * 1024
_WARM_UP = ("pypdf", "pypdfium2", "docx", "openpyxl", "pptx", "bs4", "markdown_it")


def write_frame(stream: BinaryIO, tag: bytes, body: bytes = b"") -> None:
    """Write one frame and flush."""
    stream.write(HEADER.pack(len(body) + 1) + tag + body)
    stream.flush()


def read_frame(stream: BinaryIO) -> tuple[bytes, bytes] | None:
    """Read one frame; ``None`` at end of stream."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (length,) = HEADER.unpack(header)
    payload = stream.read(length)
    if len(payload) < length or not payload:
        return None
    return payload[:1], payload[1:]


def apply_memory_limit(megabytes: int) -> int:
    """Limit this process's address space (``RLIMIT_AS``) to ``megabytes``, but never below
    what the warmed-up process already maps plus 64 MiB. Returns the limit in bytes (0 when
    the platform has no such limit)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return 0
    try:
        with Path("/proc/self/statm").open() as handle:
            current = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        current = 0
    limit = max(megabytes * 1024 * 1024, current + _MIN_HEADROOM)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):  # pragma: no cover - a stricter hard limit applies already
        return 0
    return limit


def _error(code: str, message: str) -> bytes:
    return json.dumps({"code": code, "message": message}).encode()


def main() -> int:
    """Serve parse requests until stdin closes or a stop frame arrives."""
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints of libraries must not corrupt the protocol
    sys.stdout = sys.stderr
    protocol_in = sys.stdin.buffer

    from qmsgap.model_files import force_offline

    force_offline()
    import datetime as dt

    from qmsgap.errors import DocumentError, ParseResourceLimit, QmsGapError
    from qmsgap.ingest.pipeline import DocumentParser
    from qmsgap.settings import Settings

    first = read_frame(protocol_in)
    if first is None or first[0] != CONFIG:
        return 2
    config = json.loads(first[1])
    settings = Settings.model_validate_json(config["settings"])
    today = dt.date.fromisoformat(config["today"]) if config.get("today") else None
    parser = DocumentParser(settings, today=today)
    for module in _WARM_UP:
        __import__(module)
    try:
        parser.counter  # noqa: B018 - load the tokenizer before the memory limit applies
    except QmsGapError as exc:
        write_frame(protocol_out, ERROR, _error(exc.code, exc.message))
        return 1
    apply_memory_limit(int(config["memory_mb"]))
    write_frame(protocol_out, READY)
    while True:
        frame = read_frame(protocol_in)
        if frame is None or frame[0] == STOP:
            return 0
        task = json.loads(frame[1])
        leave = False
        try:
            document = parser.parse_file(Path(task["path"]), display_path=task["display"])
            tag, body = OK, document.model_dump_json().encode()
        except ParseResourceLimit as exc:
            tag, body, leave = ERROR, _error(exc.code, exc.message), True
        except DocumentError as exc:
            tag, body = ERROR, _error(exc.code, exc.message)
        except MemoryError:
            limit = "the document needs more memory than allowed (limits.parse_memory_mb)"
            tag, body, leave = ERROR, _error("parse_resource_limit", limit), True
        except Exception as exc:
            tag, body = ERROR, _error("document_error", f"the document could not be read ({exc})")
        try:
            write_frame(protocol_out, FATAL if leave else tag, body)
        except MemoryError:
            body = _error("parse_resource_limit", "the parsed document is too large to return")
            write_frame(protocol_out, FATAL, body)
            leave = True
        if leave:
            return 0  # a process that ran out of memory is not trusted with another document


if __name__ == "__main__":
    sys.exit(main())
