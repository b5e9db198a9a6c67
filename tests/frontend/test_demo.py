"""``qmsgap demo`` (what ``make run`` ends with): the demo account, the sample workspace
uploaded and analyzed through the API (once; again only when a document changed), the
summary and the HTML report, and serving the web app until SIGTERM. The sample is cut to
three files and the embedder is the fake one, so this stays fast."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

import qmsgap.service
from qmsgap.cli import app, demo_cmd
from qmsgap.errors import ConfigurationError
from qmsgap.service.db import make_engine
from qmsgap.service.models import Analysis, User
from qmsgap.service.security import Passwords
from qmsgap.settings import get_settings

SAMPLE = Path(__file__).resolve().parents[2] / "eval" / "corpus" / "sample-supplier-qms"
FILES = (
    "WI-8.3-08_Build_and_Continuous_Integration.md",
    "WI-8.3-10_Review_Guideline.md",
    "QP-8.3-05_Software_Configuration_Management.docx",
)
PASSWORD_LINE = re.compile(r"Demo account: demo@qmsgap\.local / (\S+)")


@pytest.fixture
def demo_sample(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, tmp_path: Path, fake_embedder: Any
) -> Iterator[Path]:
    """The demo on a temporary data directory, a three-file sample and the fake embedder."""
    for name, value in {
        "QMSGAP_DATA_DIR": str(data_dir),
        "QMSGAP_ENVIRONMENT": "test",
        "QMSGAP_DATABASE_URL": "",
        "QMSGAP_SERVER__PASSWORD_HASH_MEMORY_KIB": "64",
        "QMSGAP_SERVER__PASSWORD_HASH_ITERATIONS": "1",
        "QMSGAP_INGEST__WORKERS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    sample = tmp_path / "sample"
    sample.mkdir()
    for name in FILES:
        shutil.copy(SAMPLE / name, sample / name)
    monkeypatch.setattr(demo_cmd, "sample_folder", lambda: sample)
    real_create_app = qmsgap.service.create_app
    monkeypatch.setattr(
        qmsgap.service,
        "create_app",
        lambda settings, **_: real_create_app(settings, embedder=fake_embedder),
    )
    try:
        yield sample
    finally:
        get_settings.cache_clear()


def _demo_user(data_dir: Path) -> tuple[str, int]:
    """(password hash of the demo account, number of analyses) from the database."""
    engine = make_engine(f"sqlite:///{data_dir / 'qmsgap.sqlite3'}")
    try:
        with engine.connect() as connection:
            stored = connection.scalar(
                select(User.password_hash).where(User.email == demo_cmd.DEMO_EMAIL)
            )
            analyses = connection.scalar(select(func.count(Analysis.id)))
    finally:
        engine.dispose()
    assert stored is not None
    return stored, int(analyses or 0)


@pytest.mark.integration
@pytest.mark.slow
def test_demo_prepares_the_sample_once_and_sets_a_new_password_every_run(
    demo_sample: Path, data_dir: Path
) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "Created the workspace 'Sample supplier (HME)'" in first.output
    assert "3 created" in first.output
    assert re.search(r"Readiness \d+\.\d%", first.output)
    report = data_dir / "reports" / "sample-supplier-report.html"
    assert f"HTML report: {report.resolve()}" in first.output
    assert "<html" in report.read_text(encoding="utf-8").lower()
    found = PASSWORD_LINE.search(first.output)
    assert found
    password = found.group(1)
    stored, analyses = _demo_user(data_dir)
    assert stored.startswith("$argon2id$")
    assert password not in stored
    assert Passwords().verify(stored, password)
    assert analyses == 1

    second = runner.invoke(app, ["demo", "--no-serve"])
    assert second.exit_code == 0, second.output
    assert "Created the workspace" not in second.output
    assert "3 unchanged" in second.output
    assert "did not change since the latest analysis" in second.output
    found = PASSWORD_LINE.search(second.output)
    assert found
    assert found.group(1) != password
    stored, analyses = _demo_user(data_dir)
    assert not Passwords().verify(stored, password)
    assert Passwords().verify(stored, found.group(1))
    assert analyses == 1

    changed = demo_sample / FILES[0]
    changed.write_bytes(changed.read_bytes() + b"\n\n## Annex\nRevised.\n")
    elsewhere = data_dir.parent / "out" / "report.html"
    third = runner.invoke(app, ["demo", "--no-serve", "--report", str(elsewhere)])
    assert third.exit_code == 0, third.output
    assert "1 new version, 2 unchanged" in third.output
    assert "Analyzing the sample QMS" in third.output
    assert elsewhere.is_file()
    assert _demo_user(data_dir)[1] == 2


@pytest.mark.integration
@pytest.mark.slow
def test_demo_serves_the_web_app_until_sigterm(demo_sample: Path, data_dir: Path) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    report = data_dir / "reports" / "sample-supplier-report.html"
    seen: dict[str, Any] = {}

    def stop_when_serving() -> None:
        deadline = time.monotonic() + 120
        while not report.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
            seen["status"] = page.status_code
            seen["csp"] = page.headers.get("content-security-policy")
        finally:
            # only while the demo's own handler is installed (never the default: it would
            # end the test run)
            if signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None):
                os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=stop_when_serving, daemon=True)
    helper.start()
    result = CliRunner().invoke(app, ["demo", "--port", str(port)])
    helper.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert seen["status"] == 200
    assert seen["csp"] and "default-src 'self'" in seen["csp"]
    assert f"qmsgap is running: open http://127.0.0.1:{port}/ in a browser" in result.output
    assert re.search(r"password: \S{16}", result.output)
    assert "Stopping qmsgap." in result.output
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=5)


@pytest.mark.integration
def test_demo_refuses_a_port_in_use(demo_sample: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["demo", "--port", str(port)])
    assert isinstance(result.exception, ConfigurationError)
    assert f"cannot serve on 127.0.0.1:{port}" in result.exception.message
    assert "choose another --port" in result.exception.message


@pytest.mark.unit
def test_local_clients_reach_wildcard_addresses_on_loopback() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        assert demo_cmd.client_host("0.0.0.0", listener) == f"127.0.0.1:{port}"
        assert demo_cmd.client_host("::", listener) == f"[::1]:{port}"
        assert demo_cmd.client_host("localhost", listener) == f"localhost:{port}"
