"""Which files of the given paths are documents to ingest."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

_SKIPPED_DIRS = {"__pycache__", "node_modules", "__MACOSX"}


def _skipped(name: str) -> bool:
    """Hidden files, Office lock files (``~$x.docx``), LibreOffice locks (``.~lock.x#``) and
    editor backups (``x~``)."""
    return (
        name.startswith((".", "~$")) or name.endswith("~") or name in ("Thumbs.db", "desktop.ini")
    )


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return False
    return any(resolved == root or resolved.is_relative_to(root) for root in roots)


def discover(paths: Sequence[Path]) -> list[Path]:
    """Files named in ``paths`` and files under the directories among them (recursively),
    sorted and without duplicates.

    Skipped: hidden files and directories, editor lock and backup files, and symbolic links
    that lead outside the given roots (or nowhere). A path that does not exist is skipped too;
    callers that must report it check ``Path.exists`` first.
    """
    roots = [Path(p).resolve() for p in paths]
    found: dict[Path, None] = {}
    for given in paths:
        path = Path(given)
        if path.is_file():
            found.setdefault(path, None)
        elif path.is_dir():
            for file in _walk(path, roots):
                found.setdefault(file, None)
    return sorted(found, key=lambda p: p.as_posix())


def _walk(directory: Path, roots: Sequence[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for current, dirs, files in os.walk(directory, followlinks=True):
        here = Path(current)
        real = here.resolve()
        if real in seen or not _inside(here, roots):
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not _skipped(d) and d not in _SKIPPED_DIRS)
        for name in sorted(files):
            if _skipped(name):
                continue
            file = here / name
            if file.is_symlink() and not _inside(file, roots):
                continue
            if file.is_file():
                yield file
