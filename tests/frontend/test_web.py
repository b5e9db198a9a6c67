"""Serving the web app: where its files come from, the headers of its pages, and rules its
scripts keep (no HTML built from strings, no storage that outlives the tab, nothing loaded
from another origin, every module import resolving to a shipped file)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qmsgap.frontend.web import APP_HEADERS, CONTENT_SECURITY_POLICY, static_root
from qmsgap.service import create_app

STATIC = Path(__file__).resolve().parents[2] / "frontend" / "static"
SCRIPTS = sorted(STATIC.rglob("*.js"))
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.fixture
def client(settings: Any, fake_embedder: Any) -> Any:
    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        yield client


@pytest.mark.unit
def test_static_root_is_the_installed_package_data() -> None:
    root = static_root()
    assert (root / "index.html").is_file()
    assert (root / "index.html").read_bytes() == (STATIC / "index.html").read_bytes()


@pytest.mark.integration
def test_the_app_page_and_its_files_carry_the_security_headers(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/js/main.js"></script>' in page.text
    for name, value in APP_HEADERS.items():
        assert page.headers[name] == value
    script = client.get("/static/js/main.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert client.get("/static/app.css").headers["content-type"].startswith("text/css")


@pytest.mark.integration
def test_the_policy_allows_nothing_inline_and_nothing_from_elsewhere() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.integration
def test_the_api_keeps_its_own_answers(client: Any) -> None:
    api = client.get("/api/v1/auth/me")
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "unauthorized"
    assert "content-security-policy" not in api.headers
    wrong_method = client.put("/api/v1/workspaces")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert client.get("/healthz").json() == {"status": "ok"}
    assert "/" not in client.get("/openapi.json").json()["paths"]


@pytest.mark.integration
def test_missing_and_escaping_static_paths_are_not_found(client: Any, data_dir: Path) -> None:
    (data_dir / "secret.txt").write_text("not for the browser")
    for path in (
        "/static/missing.js",
        "/static/../web.py",
        "/static/%2e%2e/web.py",
        "/static/..%2f..%2fpyproject.toml",
        "/index.html",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "not for the browser" not in answer.text
    assert client.post("/static/js/main.js").status_code == 405


@pytest.mark.unit
def test_the_page_has_no_inline_script_or_style_and_loads_nothing_remote() -> None:
    html = (STATIC / "index.html").read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "<style" not in html
    assert " style=" not in html
    assert re.findall(r"\son[a-z]+=", html) == []
    for path in STATIC.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".js", ".css"}:
            text = path.read_text().replace(SVG_NAMESPACE, "")  # a name, never fetched
            assert not re.search(r"(?<![\w/])(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text), path
            assert "@import" not in text, path


@pytest.mark.unit
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_build_the_dom_safely_and_keep_the_token_in_session_storage(
    script: Path,
) -> None:
    text = script.read_text()
    for forbidden in (
        "innerHTML",
        "outerHTML =",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "localStorage",
        'setAttribute("style"',
    ):
        assert forbidden not in text, f"{script.name} uses {forbidden}"
    for target in re.findall(r"""(?:import|from)\s+["'](\.{1,2}/[^"']+)["']""", text):
        assert (script.parent / target).resolve().is_file(), f"{script.name}: {target}"


@pytest.mark.unit
def test_the_token_never_goes_into_a_url() -> None:
    api = (STATIC / "js" / "api.js").read_text()
    assert "sessionStorage.getItem(TOKEN_KEY)" in api
    uses = [line for line in api.splitlines() if "token" in line.lower() and "`" in line]
    assert all("Bearer" in line for line in uses), uses
