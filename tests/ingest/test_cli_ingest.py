"""``qmsgap ingest``: a table per run, findings, failures listed, exit status."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qmsgap.cli import app

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from qmsgap.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("QMSGAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    yield
    get_settings.cache_clear()


def test_ingest_prints_documents_findings_and_failures(
    env: None, fixtures: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "qms"
    folder.mkdir()
    for name in ("procedure.pdf", "manual.md", "encrypted.pdf"):
        shutil.copy(fixtures / name, folder / name)
    out = tmp_path / "outcomes.json"
    result = runner.invoke(app, ["ingest", str(folder), "--json", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "procedure.pdf" in text and "QP-7.5-01" in text and "procedure" in text
    assert "withdrawn_standard (p. 1, 1 Purpose)" in text
    assert "encrypted_document" in text and "protected by a password" in text
    assert "2 read, 1 not read" in text
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert [item["path"] for item in payload] == ["encrypted.pdf", "manual.md", "procedure.pdf"]
    assert payload[0]["code"] == "encrypted_document"
    assert len(payload[2]["passages"]) == 7


def test_ingest_exits_2_when_nothing_could_be_read(env: None, fixtures: Path) -> None:
    result = runner.invoke(app, ["ingest", str(fixtures / "empty.pdf"), "--workers", "1"])
    assert result.exit_code == 2
    assert "the file is empty (0 bytes)" in result.output
    assert "0 read, 1 not read" in result.output


def test_ingest_of_an_empty_folder_is_an_error(env: None, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["ingest", str(empty)])
    assert result.exit_code == 1  # raised NotFound; main() turns it into exit status 2
    assert "no documents found" in str(result.exception)
