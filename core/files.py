"""Writing files so that no reader ever sees half of one, and checksumming them.

Every cache, index, report and catalog qmsgap writes goes through :func:`atomic_path`: the
content is written to a temporary file beside the target and renamed onto it (``os.replace``,
atomic within one filesystem) only when the writing succeeded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path, *, durable: bool = False) -> Iterator[Path]:
    """A fresh temporary path beside ``target`` for the block to write.

    When the block succeeds the file is renamed onto ``target``; when it raises, the temporary
    file is removed and ``target`` is untouched. ``target``'s folder is created if needed;
    ``durable`` flushes the file to disk (fsync) before the rename.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            with tmp.open("rb") as handle:
                os.fsync(handle.fileno())
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(target: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` through :func:`atomic_path`."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
