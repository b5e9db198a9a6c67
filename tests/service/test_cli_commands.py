"""``qmsgap user`` and ``qmsgap serve``: the first admin comes from the command line and can
log in to the API; serve binds to loopback unless told otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from qmsgap.cli import app
from qmsgap.errors import QmsGapError
from qmsgap.settings import Settings, get_settings

pytestmark = pytest.mark.integration
runner = CliRunner()
CHEAP_HASH = {
    "QMSGAP_SERVER__PASSWORD_HASH_MEMORY_KIB": "64",
    "QMSGAP_SERVER__PASSWORD_HASH_ITERATIONS": "1",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Iterator[Path]:
    get_settings.cache_clear()
    monkeypatch.setenv("QMSGAP_DATA_DIR", str(data_dir))
    for key, value in CHEAP_HASH.items():
        monkeypatch.setenv(key, value)
    yield data_dir
    get_settings.cache_clear()


def _add(*args: str, password: str = "a long enough password") -> Any:
    return runner.invoke(app, ["user", "add", *args, "--password-stdin"], input=password + "\n")


def test_first_admin_from_the_command_line_logs_in(env: Path, fake_embedder: Any) -> None:
    created = _add("Boss@ACME.example", "--org", "ACME", "--admin", "--name", "The Boss")
    assert created.exit_code == 0, created.output
    assert created.stdout.strip() == "created admin boss@acme.example in ACME (new organisation)"
    supplier = _add("sup@acme.example", "--org", "ACME", "--role", "supplier")
    assert supplier.exit_code == 0 and "created supplier" in supplier.stdout
    listed = runner.invoke(app, ["user", "list"])
    assert listed.stdout.splitlines() == [
        "ACME\tboss@acme.example\tThe Boss\tadmin",
        "ACME\tsup@acme.example\tsup@acme.example\tsupplier",
    ]
    from qmsgap.service import create_app

    settings = Settings(
        environment="test",
        data_dir=env,
        server={"password_hash_memory_kib": 64, "password_hash_iterations": 1},
    )
    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        login = client.post(
            "/api/v1/auth/login",
            json={"email": "boss@acme.example", "password": "a long enough password"},
        )
        assert login.status_code == 200 and login.json()["user"]["role"] == "admin"


@pytest.mark.parametrize(
    ("args", "password", "code", "words"),
    [
        (
            ["x@acme.example", "--org", "Nowhere", "--role", "supplier"],
            "a long enough password",
            "not_found",
            "--admin",
        ),
        (["x@acme.example", "--org", "ACME", "--admin"], "short", "weak_password", "12 characters"),
        (
            ["x@acme.example", "--org", "ACME", "--admin", "--role", "auditor"],
            "a long enough password",
            "invalid_option",
            "--admin",
        ),
        (["x@acme.example", "--org", "ACME"], "a long enough password", "invalid_option", "--role"),
        (
            ["x@acme.example", "--org", "ACME", "--role", "king"],
            "a long enough password",
            "invalid_option",
            "unknown role",
        ),
        (
            ["not-an-email", "--org", "ACME", "--admin"],
            "a long enough password",
            "invalid_request",
            "e-mail",
        ),
    ],
)
def test_user_add_refuses_bad_input(
    env: Path, args: list[str], password: str, code: str, words: str
) -> None:
    result = _add(*args, password=password)
    assert result.exit_code != 0
    assert isinstance(result.exception, QmsGapError), result.output
    assert result.exception.code == code and words in result.exception.message


def test_user_add_refuses_a_taken_email(env: Path) -> None:
    assert _add("a@acme.example", "--org", "ACME", "--admin").exit_code == 0
    again = _add("A@acme.example", "--org", "ACME", "--role", "auditor")
    assert isinstance(again.exception, QmsGapError) and again.exception.code == "conflict"


def test_serve_binds_loopback_by_default(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app_, **kw: calls.append({"app": app_, **kw}))
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    assert (calls[0]["host"], calls[0]["port"], calls[0]["workers"]) == ("127.0.0.1", 8000, 1)
    assert calls[0]["app"].title == "qmsgap"
    exposed = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--port", "9123"])
    assert (calls[1]["host"], calls[1]["port"]) == ("0.0.0.0", 9123)
    assert "development secret key" in exposed.output
