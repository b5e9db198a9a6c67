"""Atomic writes and checksums shared by every cache, index, report and catalog writer."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from qmsgap.files import atomic_path, file_sha256, write_text_atomic

pytestmark = pytest.mark.unit


def test_atomic_path_renames_onto_the_target_and_creates_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "new" / "folder" / "index.bin"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent
        assert tmp != target
        tmp.write_bytes(b"complete")
        assert not target.exists()  # nobody sees the file before the block ends
    assert target.read_bytes() == b"complete"
    assert sorted(p.name for p in target.parent.iterdir()) == ["index.bin"]


@pytest.mark.parametrize("durable", [False, True])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target, durable=durable) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_text_atomic_replaces_the_content(tmp_path: Path) -> None:
    target = tmp_path / "overlay.yaml"
    write_text_atomic(target, "first")
    write_text_atomic(target, "zweite Fassung: Änderung")
    assert target.read_text(encoding="utf-8") == "zweite Fassung: Änderung"


def test_file_sha256_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    data = bytes(range(256)) * 5000
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
