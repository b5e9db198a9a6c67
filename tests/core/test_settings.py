from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from qmsgap.settings import DEVELOPMENT_SECRET, Settings, get_settings

pytestmark = pytest.mark.unit


def test_environment_variables_fill_nested_sections(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QMSGAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QMSGAP_EMBEDDING__BATCH_SIZE", "7")
    monkeypatch.setenv("QMSGAP_LIMITS__MAX_UPLOAD_BYTES", "1234")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.embedding.batch_size == 7
    assert settings.limits.max_upload_bytes == 1234


def test_default_database_is_sqlite_inside_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'qmsgap.sqlite3'}"
    named = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://u@h/db")
    assert named.resolved_database_url == "postgresql+psycopg://u@h/db"


def test_production_refuses_the_development_secret(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="QMSGAP_SECRET_KEY"):
        Settings(environment="production", data_dir=tmp_path, secret_key=DEVELOPMENT_SECRET)
    assert Settings(environment="production", data_dir=tmp_path, secret_key="s3cret").secret_key


def test_invalid_values_are_rejected_with_the_field_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMSGAP_EMBEDDING__BATCH_SIZE", "0")
    with pytest.raises(ValidationError, match="batch_size"):
        Settings()


def test_get_settings_is_built_on_first_call_and_cached(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("QMSGAP_DATA_DIR", str(tmp_path))
    try:
        assert get_settings() is get_settings()
        assert get_settings().data_dir == tmp_path
    finally:
        get_settings.cache_clear()
