"""Browser test fixtures: the whole service (API + web app) served by uvicorn on a free
loopback port with the fake embedder and a temporary data directory, and Debian's chromium
driven by Playwright (the Python package; no browser download).

Without a chromium executable the browser tests FAIL, unless ``QMSGAP_TEST_SKIP_BROWSER=1``
says to skip them explicitly (scripts/test-services.sh installs Debian's ``chromium``).
``QMSGAP_CHROMIUM`` names another executable. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from qmsgap.service import create_app
from qmsgap.service.accounts import add_user
from qmsgap.service.models import Role
from qmsgap.settings import Settings

CHROMIUM_ENV = "QMSGAP_CHROMIUM"
SKIP_ENV = "QMSGAP_TEST_SKIP_BROWSER"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SAMPLE = ROOT / "eval" / "corpus" / "sample-supplier-qms"


@dataclass
class LiveApp:
    """The running service: its base URL, the app (for its services) and user ids by e-mail."""

    url: str
    app: Any
    users: dict[str, str] = field(default_factory=dict)
    password: str = PASSWORD

    def add_user(self, email: str, role: Role, *, organisation: str = "HME") -> str:
        services = self.app.state.services
        created = add_user(
            services.sessions,
            services.passwords,
            email=email,
            name=email.split("@", maxsplit=1)[0].title(),
            role=role,
            organisation=organisation,
            password=PASSWORD,
            create_organisation=role is Role.ADMIN,
        )
        self.users[email] = created.id
        return created.id

    @contextmanager
    def client(self, email: str) -> Iterator[httpx.Client]:
        """An API client signed in as ``email``."""
        with httpx.Client(base_url=f"{self.url}/api/v1", timeout=60) as client:
            answer = client.post("/auth/login", json={"email": email, "password": self.password})
            answer.raise_for_status()
            client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
            yield client


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def live_app(data_dir: Path, fake_embedder: Any) -> Iterator[LiveApp]:
    """The service on a free port, with an admin (admin@hme.example) and a consultant
    (consultant@hme.example) of the organisation HME."""
    import uvicorn

    settings = Settings(
        environment="test",
        data_dir=data_dir,
        server={"password_hash_memory_kib": 64, "password_hash_iterations": 1},
        ingest={"workers": 1},
    )
    app = create_app(settings, embedder=fake_embedder)
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", server_header=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the service did not start")
        time.sleep(0.05)
    live = LiveApp(url=f"http://127.0.0.1:{port}", app=app)
    live.add_user("admin@hme.example", Role.ADMIN)
    live.add_user("consultant@hme.example", Role.CONSULTANT)
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = os.environ.get(CHROMIUM_ENV, DEFAULT_CHROMIUM)
    if Path(path).is_file() and os.access(path, os.X_OK):
        return path
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"browser tests skipped ({SKIP_ENV}=1): no chromium at {path}")
    pytest.fail(
        f"no chromium executable at {path}: run the tests through scripts/test-services.sh "
        f"(it installs Debian's chromium), set {CHROMIUM_ENV} to another executable, or set "
        f"{SKIP_ENV}=1 to skip the browser tests explicitly"
    )


@pytest.fixture(scope="module")
def browser(chromium_executable: str) -> Iterator[Any]:
    """One headless chromium per test module (Playwright's sync API must not outlive the
    module: other tests run their own asyncio loops)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageProblems:
    """Uncaught script errors and Content-Security-Policy violations seen by a page."""

    errors: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """``open_page(width=1280, height=800) -> (page, problems)``: a page in a fresh context
    (its own sessionStorage), recording script errors and CSP violations; downloads are
    accepted. Contexts are closed after the test."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 800) -> tuple[Any, PageProblems]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True
        )
        contexts.append(context)
        context.set_default_timeout(20_000)
        page = context.new_page()
        problems = PageProblems()
        page.on("pageerror", lambda error: problems.errors.append(str(error)))

        def console(message: Any) -> None:
            if "Content Security Policy" in message.text:
                problems.csp.append(message.text)

        page.on("console", console)
        return page, problems

    try:
        yield make
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def sample_qms() -> Path:
    """The shipped sample supplier QMS (eval/corpus)."""
    assert SAMPLE.is_dir(), f"the sample QMS is missing from {SAMPLE}"
    return SAMPLE


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
