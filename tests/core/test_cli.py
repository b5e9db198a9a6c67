from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qmsgap import __version__
from qmsgap.cli import app

pytestmark = pytest.mark.unit
runner = CliRunner()


def test_version_prints_the_installed_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"qmsgap {__version__}"
    assert __version__ != "0.0.0+unknown"


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "config" in result.stdout


def test_config_shows_effective_settings_without_the_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from qmsgap.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("QMSGAP_DATA_DIR", str(tmp_path))
    try:
        result = runner.invoke(app, ["config"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["data_dir"] == str(tmp_path)
    assert "secret_key" not in payload
    assert Path(payload["resolved_model_path"]).is_dir()


@pytest.mark.integration
def test_console_script_reports_expected_errors_as_one_line(tmp_path: Path) -> None:
    env = {"QMSGAP_EMBEDDING__MODEL_PATH": str(tmp_path / "missing"), "PATH": ""}
    qmsgap = Path(sys.executable).with_name("qmsgap")
    done = subprocess.run([qmsgap, "config"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error [model_unavailable]: embedding model directory not found")
