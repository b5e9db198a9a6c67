"""Service test fixtures: the app on SQLite and on a real PostgreSQL, through HTTP.

``api`` is parametrised over both databases, so every test using it is a contract test run
twice. PostgreSQL comes from ``QMSGAP_TEST_DATABASE_URL`` (an admin URL; scripts/test-services.sh
starts a throwaway server and sets it); each test gets a database of its own. Without that
variable the PostgreSQL half FAILS, unless ``QMSGAP_TEST_SKIP_POSTGRES=1`` says to skip it.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from qmsgap.service import create_app
from qmsgap.service.accounts import add_user
from qmsgap.service.models import Role
from qmsgap.service.state import Services
from qmsgap.settings import Settings

PG_ENV = "QMSGAP_TEST_DATABASE_URL"
SKIP_ENV = "QMSGAP_TEST_SKIP_POSTGRES"
PASSWORD = "correct horse battery staple"
DATA = Path(__file__).parent / "data"
API = "/api/v1"

CM_DOC = b"""# Configuration Management Procedure

## 1 Baselines
A baseline is created for every software release and marked with a git tag in the repository.
Baselines are never changed after the release; corrections need a new baseline.

## 2 Configuration audit
Before delivery a configuration audit compares the baseline with the release notes and the
list of configuration items.
"""
PR_DOC = b"""# Problem Resolution Procedure

## 1 Problem reports
Every problem report is recorded in the issue tracker with an identifier, a severity and a
status. The status is tracked until closure.

## 2 Trend analysis
The quality team runs a trend analysis of open problem reports every month and reports it to
the management review.
"""
OTA_DOC = b"""# Software Deployment Instruction

## 1 Over-the-air updates
OTA campaigns support rollback to the previous software version when the update fails.

## 2 Deployment records
Each deployment record lists the VIN of the vehicle and the software version installed.
"""


def _postgres_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return url
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"PostgreSQL contract tests skipped ({SKIP_ENV}=1)")
    pytest.fail(
        f"{PG_ENV} is not set: run the tests through scripts/test-services.sh (it starts a "
        f"throwaway PostgreSQL), or set {SKIP_ENV}=1 to skip the PostgreSQL half explicitly"
    )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards)."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(_postgres_admin_url())
    plain = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"qmsgap_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    return url


def service_settings_for(data_dir: Path, database_url: str | None, **server: Any) -> Settings:
    return Settings(
        environment="test",
        data_dir=data_dir,
        database_url=database_url,
        server={"password_hash_memory_kib": 64, "password_hash_iterations": 1, **server},
        ingest={"workers": 1},
    )


@pytest.fixture
def service_settings(data_dir: Path, database_url: str | None) -> Settings:
    return service_settings_for(data_dir, database_url)


@dataclass
class Api:
    """The app behind a TestClient, with a bearer token per user e-mail."""

    client: TestClient
    app: FastAPI
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def request(self, method: str, path: str, user: str | None = None, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        url = path if path.startswith(("/healthz", "/readyz", "/openapi")) else API + path
        return self.client.request(method, url, headers=headers, **kw)

    def get(self, path: str, user: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("GET", path, user, **kw)

    def post(self, path: str, user: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, user, **kw)

    def put(self, path: str, user: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, user, **kw)

    def patch(self, path: str, user: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, user, **kw)

    def delete(self, path: str, user: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, user, **kw)

    def add_user(self, email: str, role: Role, org: str, *, new_org: bool = False) -> str:
        created = add_user(
            self.services.sessions,
            self.services.passwords,
            email=email,
            name=email.split("@", maxsplit=1)[0].title(),
            role=role,
            organisation=org,
            password=PASSWORD,
            create_organisation=new_org,
        )
        return created.id

    def token(self, email: str) -> str:
        if email not in self.tokens:
            answer = self.client.post(
                f"{API}/auth/login", json={"email": email, "password": PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            self.tokens[email] = answer.json()["access_token"]
        return self.tokens[email]

    def upload(self, workspace: str, user: str, files: dict[str, bytes]) -> httpx.Response:
        parts = [
            ("files", (name, data, "application/octet-stream")) for name, data in files.items()
        ]
        return self.post(f"/workspaces/{workspace}/documents", user, files=parts)

    def analyze(self, workspace: str, user: str, timeout: float = 120.0) -> dict[str, Any]:
        """Start an analysis and wait until it has finished; returns its final state."""
        started = self.post(f"/workspaces/{workspace}/analyses", user)
        assert started.status_code == 202, started.text
        return self.wait(workspace, started.json()["id"], user, timeout)

    def wait(
        self, workspace: str, analysis: str, user: str, timeout: float = 120.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            state = self.get(f"/workspaces/{workspace}/analyses/{analysis}", user).json()
            if state["status"] in {"succeeded", "failed", "cancelled"}:
                return state
            assert time.monotonic() < deadline, f"analysis did not finish: {state}"
            self.services.jobs.wait_idle(timeout=0.5)


def open_api(settings: Settings, embedder: Any) -> Iterator[Api]:
    app = create_app(settings, embedder=embedder)
    with TestClient(app) as client:
        yield Api(client, app)


@pytest.fixture
def api(service_settings: Settings, fake_embedder: Any) -> Iterator[Api]:
    yield from open_api(service_settings, fake_embedder)


@dataclass
class World:
    """Two organisations. ACME: admin, consultant, supplier, auditor (members of workspace
    ``ws``) and ``outsider`` (a supplier who is no member). Globex: its own admin and
    workspace ``other_ws``."""

    admin: str = "admin@acme.example"
    consultant: str = "consultant@acme.example"
    supplier: str = "supplier@acme.example"
    auditor: str = "auditor@acme.example"
    outsider: str = "outsider@acme.example"
    other_admin: str = "admin@globex.example"
    ids: dict[str, str] = field(default_factory=dict)
    ws: str = ""
    other_ws: str = ""


def import_tiny(api: Api, user: str) -> None:
    with (DATA / "tiny.yaml").open("rb") as handle:
        answer = api.post(
            "/catalogs/import?mode=replace",
            user,
            files=[("files", ("tiny.yaml", handle.read(), "application/yaml"))],
        )
    assert answer.status_code == 201, answer.text


def build_world(api: Api) -> World:
    world = World()
    world.ids[world.admin] = api.add_user(world.admin, Role.ADMIN, "ACME", new_org=True)
    for email, role in [
        (world.consultant, Role.CONSULTANT),
        (world.supplier, Role.SUPPLIER),
        (world.auditor, Role.AUDITOR),
        (world.outsider, Role.SUPPLIER),
    ]:
        world.ids[email] = api.add_user(email, role, "ACME")
    world.ids[world.other_admin] = api.add_user(
        world.other_admin, Role.ADMIN, "Globex", new_org=True
    )
    import_tiny(api, world.admin)
    import_tiny(api, world.other_admin)
    created = api.post(
        "/workspaces",
        world.admin,
        json={"name": "ACME plant", "framework": "tiny", "software_type": "II"},
    )
    assert created.status_code == 201, created.text
    world.ws = created.json()["id"]
    for email in (world.consultant, world.supplier, world.auditor):
        added = api.post(
            f"/workspaces/{world.ws}/members", world.admin, json={"user_id": world.ids[email]}
        )
        assert added.status_code == 201, added.text
    other = api.post("/workspaces", world.other_admin, json={"name": "Globex", "framework": "tiny"})
    assert other.status_code == 201, other.text
    world.other_ws = other.json()["id"]
    return world


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


@pytest.fixture
def docs() -> dict[str, bytes]:
    """Three small Markdown procedures matching the tiny catalog's practices."""
    return {"QP-CM.md": CM_DOC, "QP-PR.md": PR_DOC, "WI-OTA.md": OTA_DOC}


@pytest.fixture
def make_api(data_dir: Path, database_url: str | None, fake_embedder: Any) -> Any:
    """``with make_api(embedder=..., **server_settings) as api``: an app on this test's data
    directory and database; open it twice to restart the service."""
    from contextlib import contextmanager

    @contextmanager
    def opened(embedder: Any = None, **server: Any) -> Iterator[Api]:
        settings = service_settings_for(data_dir, database_url, **server)
        yield from open_api(settings, embedder or fake_embedder)

    return opened


@pytest.fixture
def world_builder() -> Any:
    return build_world


class GateEmbedder:
    """The fake embedder, but ``embed_batch`` can be made to wait: ``close()`` makes the next
    calls block until ``open()``; ``entered`` is set when a call is waiting."""

    def __init__(self, inner: Any) -> None:
        import threading

        self.inner = inner
        self.model_id = inner.model_id
        self.entered = threading.Event()
        self._gate = threading.Event()
        self._gate.set()

    def close(self) -> None:
        self._gate.clear()

    def open(self) -> None:
        self._gate.set()

    def embed_batch(self, texts: Any) -> Any:
        if not self._gate.is_set():
            self.entered.set()
            assert self._gate.wait(60), "the gate was never opened"
        return self.inner.embed_batch(texts)


@pytest.fixture
def gate_embedder(fake_embedder: Any) -> GateEmbedder:
    return GateEmbedder(fake_embedder)
