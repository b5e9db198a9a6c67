"""Files the service keeps in the data directory, outside anything it serves.

- :class:`BlobStore`: uploaded bytes, content-addressed (``blobs/<sha[:2]>/<sha>``), written by
  atomic rename from a temporary file in the same file system; the name is the sha256, never
  anything a client chose.
- :class:`ParsedStore`: for each document version, the parse its latest analysis used, as JSON
  (``parsed/<sha[:2]>/<sha>.json``), validated by pydantic when read back. Never pickles: a
  file in the data directory cannot execute code. Passages, findings and reviewers' attached
  quotes are read from it, so their offsets are those of the evidence the reports cite.
  (Whether a file must be parsed again is decided by the ingest package's own cache.)
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from pydantic import ValidationError

from qmsgap.files import write_text_atomic
from qmsgap.ingest.models import ParsedDocument

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _check_sha(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256


class BlobStore:
    """Content-addressed files under ``root``; temporary files under ``tmp`` (same device)."""

    def __init__(self, root: Path, tmp: Path) -> None:
        self.root = root
        self.tmp = tmp
        root.mkdir(parents=True, exist_ok=True)
        tmp.mkdir(parents=True, exist_ok=True)

    def temp_path(self, suffix: str = ".part") -> Path:
        """A new empty temporary file's path (the caller deletes it or hands it to :meth:`put`)."""
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-", suffix=suffix)
        os.close(fd)
        return Path(name)

    def path(self, sha256: str) -> Path:
        """Where the blob ``sha256`` lives (whether or not it exists). Raises ValueError for a
        string that is not a sha256 digest."""
        sha = _check_sha(sha256)
        return self.root / sha[:2] / sha

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, temp: Path, sha256: str) -> Path:
        """Move ``temp`` to the blob ``sha256``; when the blob exists already, ``temp`` is removed.

        Raises OSError when the data directory is not writable.
        """
        target = self.path(sha256)
        if target.is_file():
            temp.unlink(missing_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        temp.chmod(0o640)
        temp.replace(target)
        return target

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)


class ParsedStore:
    """Parsed documents cached as JSON by sha256 of their bytes; the few most recently read
    are also kept in memory (paging through passages reads the same document again)."""

    def __init__(self, root: Path, keep: int = 4) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self._recent: OrderedDict[str, ParsedDocument] = OrderedDict()
        self._lock = threading.Lock()

    def _path(self, sha256: str) -> Path:
        sha = _check_sha(sha256)
        return self.root / sha[:2] / f"{sha}.json"

    def get(self, sha256: str, name: str | None = None) -> ParsedDocument | None:
        """The cached parse of ``sha256`` (its ``path`` replaced by ``name``), or None when it is
        missing or damaged (a damaged file is removed and parsed again)."""
        path = self._path(sha256)
        with self._lock:
            document = self._recent.get(sha256)
            if document is not None:
                self._recent.move_to_end(sha256)
        if document is None:
            try:
                document = ParsedDocument.model_validate_json(path.read_bytes())
            except FileNotFoundError:
                return None
            except (OSError, ValidationError, ValueError):
                with contextlib.suppress(OSError):
                    path.unlink()
                return None
            if document.document_id != sha256:
                return None
            self._remember(document)
        return document.model_copy(update={"path": name}) if name else document

    def _remember(self, document: ParsedDocument) -> None:
        with self._lock:
            self._recent[document.document_id] = document
            self._recent.move_to_end(document.document_id)
            while len(self._recent) > self.keep:
                self._recent.popitem(last=False)

    def has(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def put(self, document: ParsedDocument) -> None:
        """Write atomically. Raises OSError when the data directory is not writable."""
        write_text_atomic(self._path(document.document_id), document.model_dump_json())
        with self._lock:
            self._recent.pop(document.document_id, None)
