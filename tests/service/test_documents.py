"""Documents: uploads (versions, de-duplication, type by content, limits while streaming),
list, metadata, passages, findings, download, search, delete."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LEGACY_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "WordDocument".encode("utf-16-le")


def _blobs(api) -> list[Path]:
    return sorted(p for p in api.services.blobs.root.rglob("*") if p.is_file())


def test_upload_versions_and_deduplication(api, world, docs) -> None:
    ws = world.ws
    first = api.upload(
        ws, world.supplier, {"QP-CM.md": docs["QP-CM.md"], "QP-PR.md": docs["QP-PR.md"]}
    )
    assert first.status_code == 201, first.text
    assert [o["outcome"] for o in first.json()["data"]] == ["created", "created"]
    cm = first.json()["data"][0]["document"]
    assert cm["current_version"]["number"] == 1 and cm["current_version"]["format"] == "markdown"
    assert cm["current_version"]["parse_status"] == "pending"
    assert cm["current_version"]["uploaded_by"] == world.supplier

    again = api.upload(
        ws,
        world.consultant,
        {
            "QP-CM.md": docs["QP-CM.md"],  # same name, same bytes
            "copy of PR.md": docs["QP-PR.md"],  # same bytes, other name
            "QP-PR.md": docs["QP-PR.md"] + b"\nRevised.\n",  # same name, new bytes
        },
    )
    assert again.status_code == 201, again.text
    outcomes = {o["filename"]: (o["outcome"], o["document"]["name"]) for o in again.json()["data"]}
    assert outcomes == {
        "QP-CM.md": ("unchanged", "QP-CM.md"),
        "copy of PR.md": ("duplicate", "QP-PR.md"),
        "QP-PR.md": ("new_version", "QP-PR.md"),
    }
    listed = api.get(f"/workspaces/{ws}/documents", world.auditor).json()
    assert listed["count"] == 2 and [d["name"] for d in listed["data"]] == ["QP-CM.md", "QP-PR.md"]
    pr = listed["data"][1]
    assert pr["versions"] == 2 and pr["current_version"]["number"] == 2
    versions = api.get(f"/workspaces/{ws}/documents/{pr['id']}/versions", world.auditor).json()
    assert [v["number"] for v in versions["data"]] == [1, 2]
    assert versions["data"][1]["uploaded_by"] == world.consultant
    # three distinct contents, stored once each under their sha256
    stored = _blobs(api)
    assert len(stored) == 3
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() == p.name for p in stored)
    assert all(p.parent.name == p.name[:2] for p in stored)
    assert {p.name for p in stored} == {v["sha256"] for v in versions["data"]} | {
        cm["current_version"]["sha256"]
    }
    trail = api.get(f"/workspaces/{ws}/audit?action=document.uploaded", world.auditor).json()
    assert trail["count"] == 3
    assert api.get(f"/workspaces/{ws}", world.auditor).json()["documents"] == 2


def test_same_bytes_in_two_organisations_share_one_blob(api, world, docs) -> None:
    api.upload(world.ws, world.supplier, {"a.md": docs["QP-CM.md"]})
    other = api.upload(world.other_ws, world.other_admin, {"b.md": docs["QP-CM.md"]})
    assert other.json()["data"][0]["outcome"] == "created"
    assert len(_blobs(api)) == 1


def test_download_returns_the_original_with_a_safe_name(api, world, docs) -> None:
    name = 'Qualitätshandbuch "v2"; rm.md'
    uploaded = api.upload(world.ws, world.supplier, {name: docs["QP-CM.md"]}).json()["data"][0]
    assert uploaded["document"]["name"] == name
    doc = uploaded["document"]["id"]
    answer = api.get(f"/workspaces/{world.ws}/documents/{doc}/content", world.auditor)
    assert answer.status_code == 200
    assert answer.content == docs["QP-CM.md"]
    disposition = answer.headers["content-disposition"]
    assert disposition == f"attachment; filename*=utf-8''{quote(name)}"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-type"].startswith("text/markdown")


def test_file_names_are_reduced_to_a_plain_name(api, world, docs) -> None:
    answer = api.upload(world.ws, world.supplier, {"../../etc/passwd\r\n.md": docs["QP-CM.md"]})
    assert answer.status_code == 201
    assert answer.json()["data"][0]["document"]["name"] == "passwd.md"
    assert len(_blobs(api)) == 1


@pytest.mark.parametrize(
    ("content", "status", "code", "words"),
    [
        (PNG, 415, "unsupported_document", "PNG image"),
        (LEGACY_DOC, 415, "unsupported_document", "legacy Word"),
        (b"", 422, "corrupt_document", "empty"),
    ],
)
def test_types_are_decided_by_content_and_nothing_is_kept(
    api, world, docs, content, status, code, words
) -> None:
    answer = api.upload(
        world.ws, world.supplier, {"good.md": docs["QP-CM.md"], "scan.pdf": content}
    )
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert (
        error["code"] == code
        and error["message"].startswith("scan.pdf: ")
        and words in error["message"]
    )
    assert api.get(f"/workspaces/{world.ws}/documents", world.supplier).json()["count"] == 0
    assert _blobs(api) == []
    assert list(api.services.blobs.tmp.iterdir()) == []


def test_bad_multipart_requests(api, world, docs) -> None:
    ws = world.ws
    not_multipart = api.post(f"/workspaces/{ws}/documents", world.supplier, json={"files": []})
    assert (
        not_multipart.status_code == 422
        and "multipart/form-data" in not_multipart.json()["error"]["message"]
    )
    wrong_field = api.post(
        f"/workspaces/{ws}/documents",
        world.supplier,
        files=[("document", ("a.md", b"# A\n\ntext", "text/markdown"))],
    )
    assert wrong_field.status_code == 422 and "unexpected form field 'document'" in wrong_field.text
    truncated = api.post(
        f"/workspaces/{ws}/documents",
        world.supplier,
        content=b'--XX\r\nContent-Disposition: form-data; name="files"; filename="a.md"\r\n\r\n# A',
        headers={"Content-Type": "multipart/form-data; boundary=XX"},
    )
    assert truncated.status_code == 422 and "ended before" in truncated.json()["error"]["message"]
    duplicate_names = api.post(
        f"/workspaces/{ws}/documents",
        world.supplier,
        files=[
            ("files", ("a.md", docs["QP-CM.md"], "text/markdown")),
            ("files", ("a.md", docs["QP-PR.md"], "text/markdown")),
        ],
    )
    assert duplicate_names.status_code == 422 and "two files named 'a.md'" in duplicate_names.text
    assert api.get(f"/workspaces/{ws}/documents", world.supplier).json()["count"] == 0
    assert list(api.services.blobs.tmp.iterdir()) == []


@pytest.fixture
def small_limits_api(data_dir, database_url, fake_embedder):
    from qmsgap.service.app import create_app
    from qmsgap.settings import Settings

    settings = Settings(
        environment="test",
        data_dir=data_dir,
        database_url=database_url,
        limits={"max_upload_bytes": 4096, "max_files_per_request": 2},
        server={
            "password_hash_memory_kib": 64,
            "password_hash_iterations": 1,
            "max_request_bytes": 64 * 1024,
        },
    )
    from fastapi.testclient import TestClient

    app = create_app(settings, embedder=fake_embedder)
    with TestClient(app) as client:
        yield app, client


def _raw_upload(
    app, client, token: str, ws: str, chunks: list[bytes], content_length: int | None
) -> tuple[int, dict[str, Any], int]:
    """Drive the ASGI app directly, so the test sees how much of the body it read."""
    consumed = 0

    async def call() -> tuple[int, bytes]:
        nonlocal consumed
        pending = list(chunks)
        messages: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            nonlocal consumed
            if not pending:
                return {"type": "http.disconnect"}
            consumed += 1
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        headers = [
            (b"content-type", b"multipart/form-data; boundary=BOUNDARY"),
            (b"authorization", f"Bearer {token}".encode()),
        ]
        if content_length is not None:
            headers.append((b"content-length", str(content_length).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": f"/api/v1/workspaces/{ws}/documents",
            "raw_path": f"/api/v1/workspaces/{ws}/documents".encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1234),
            "server": ("testserver", 80),
        }
        await app(scope, receive, send)
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        return start["status"], body

    import json

    status, body = client.portal.call(call)
    return status, json.loads(body), consumed


def _world_on(app, client) -> tuple[str, str]:
    from qmsgap.service.accounts import add_user
    from qmsgap.service.models import Role

    services = app.state.services
    add_user(
        services.sessions,
        services.passwords,
        email="s@acme.example",
        name="S",
        role=Role.ADMIN,
        organisation="ACME",
        password="correct horse battery staple",
        create_organisation=True,
    )
    token = client.post(
        "/api/v1/auth/login",
        json={"email": "s@acme.example", "password": "correct horse battery staple"},
    ).json()["access_token"]
    ws = client.post(
        "/api/v1/workspaces",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "W", "framework": "asqms"},
    ).json()["id"]
    return token, ws


def test_an_oversized_file_is_refused_before_the_body_is_read(small_limits_api) -> None:
    app, client = small_limits_api
    token, ws = _world_on(app, client)
    head = b'--BOUNDARY\r\nContent-Disposition: form-data; name="files"; filename="big.md"\r\n\r\n'
    chunks = [head] + [b"# big\n" + b"x" * 1018] * 200  # 200 KiB of file announced by nothing
    status, body, consumed = _raw_upload(app, client, token, ws, chunks, content_length=None)
    assert status == 413 and body["error"]["code"] == "document_too_large"
    assert consumed <= 7, f"read {consumed} of {len(chunks)} chunks before refusing"
    assert list(app.state.services.blobs.tmp.iterdir()) == []


def test_content_length_over_the_request_limit_is_refused_unread(small_limits_api) -> None:
    app, client = small_limits_api
    token, ws = _world_on(app, client)
    status, body, consumed = _raw_upload(
        app, client, token, ws, [b"x" * 1024] * 10, content_length=10**9
    )
    assert status == 413 and body["error"]["code"] == "request_too_large"
    assert consumed == 0


def test_too_many_files(small_limits_api) -> None:
    app, client = small_limits_api
    token, ws = _world_on(app, client)
    files = [
        ("files", (f"{i}.md", f"# Doc {i}\n\ntext".encode(), "text/markdown")) for i in range(3)
    ]
    answer = client.post(
        f"/api/v1/workspaces/{ws}/documents",
        headers={"Authorization": f"Bearer {token}"},
        files=files,
    )
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_many_files"
    assert list(app.state.services.blobs.tmp.iterdir()) == []


def test_passages_findings_search_and_delete(api, world, docs) -> None:
    ws = world.ws
    data = api.upload(
        ws, world.supplier, {"QP-CM.md": docs["QP-CM.md"], "QP-PR.md": docs["QP-PR.md"]}
    ).json()["data"]
    cm, pr = (d["document"]["id"] for d in data)
    early = api.get(f"/workspaces/{ws}/documents/{cm}/passages", world.auditor)
    assert early.status_code == 409 and "start an analysis" in early.json()["error"]["message"]
    first = api.analyze(ws, world.supplier)
    assert first["status"] == "succeeded", first
    assert [d["name"] for d in first["documents"]] == ["QP-CM.md", "QP-PR.md"]
    meta = api.get(f"/workspaces/{ws}/documents/{cm}", world.auditor).json()["current_version"]
    assert (
        meta["parse_status"] == "parsed" and meta["title"] == "Configuration Management Procedure"
    )
    assert meta["passages"] >= 2
    passages = api.get(
        f"/workspaces/{ws}/documents/{cm}/passages?offset=1&limit=1", world.auditor
    ).json()
    assert passages["count"] == meta["passages"] and len(passages["data"]) == 1
    assert passages["data"][0]["ordinal"] == 1 and passages["data"][0]["section"]
    findings = api.get(f"/workspaces/{ws}/documents/{cm}/findings", world.auditor).json()
    assert {f["code"] for f in findings["data"]} >= {"missing_revision"}
    hits = api.get(
        f"/workspaces/{ws}/passages/search?q=git+tag+baseline&limit=3", world.auditor
    ).json()
    assert hits["count"] >= 1 and hits["data"][0]["document"] == "QP-CM.md"
    assert hits["data"][0]["document_id"] == cm and "git tag" in hits["data"][0]["passage"]["text"]

    assert api.delete(f"/workspaces/{ws}/documents/{pr}", world.supplier).status_code == 204
    assert api.get(f"/workspaces/{ws}/documents/{pr}", world.supplier).status_code == 404
    assert [
        d["name"] for d in api.get(f"/workspaces/{ws}/documents", world.supplier).json()["data"]
    ] == ["QP-CM.md"]
    second = api.analyze(ws, world.supplier)
    assert [d["name"] for d in second["documents"]] == ["QP-CM.md"]
    # the first analysis still cites the deleted document's version
    report = api.get(f"/workspaces/{ws}/analyses/{first['id']}/results", world.auditor).json()
    assert {d["document"] for d in report["documents"]} == {"QP-CM.md", "QP-PR.md"}
    deleted = api.get(f"/workspaces/{ws}/audit?action=document.deleted", world.auditor).json()[
        "data"
    ]
    assert deleted[0]["actor"] == world.supplier and deleted[0]["target"]["name"] == "QP-PR.md"
