"""Roles and organisation isolation: every cell of the permission matrix, 404 for every id of
another organisation on every workspace route, and docs/api.md showing the same matrix."""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import count
from pathlib import Path

import httpx
import pytest

from qmsgap.service.access import PERMISSIONS, Action
from qmsgap.service.models import Role

pytestmark = pytest.mark.integration

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ROLES = {
    Role.ADMIN: "admin",
    Role.CONSULTANT: "consultant",
    Role.SUPPLIER: "supplier",
    Role.AUDITOR: "auditor",
}


def test_docs_show_the_permission_matrix() -> None:
    rows: dict[str, list[str]] = {}
    for line in DOCS.read_text().splitlines():
        match = re.match(r"^\| ([a-z_]+) \| (yes|no) \| (yes|no) \| (yes|no) \| (yes|no) \|$", line)
        if match:
            rows[match.group(1)] = list(match.groups()[1:])
    expected = {
        action.value: [
            "yes" if action in PERMISSIONS[role] else "no"
            for role in (Role.ADMIN, Role.CONSULTANT, Role.SUPPLIER, Role.AUDITOR)
        ]
        for action in Action
    }
    assert rows == expected


def _actions(api, world, docs) -> dict[Action, Callable[[str], httpx.Response]]:
    """For each action, a request a user makes to do it once (fresh targets every call)."""
    ws = world.ws
    serial = count()
    documents = api.upload(
        ws,
        world.admin,
        {f"delete-me-{i}.md": docs["QP-CM.md"] + f"\n{i}\n".encode() for i in range(4)},
    ).json()["data"]
    doomed = iter(d["document"]["id"] for d in documents)

    def throwaway_workspace() -> str:
        made = api.post(
            "/workspaces", world.admin, json={"name": f"tmp {next(serial)}", "framework": "tiny"}
        )
        ws_id = made.json()["id"]
        for member in (world.consultant, world.supplier, world.auditor):
            api.post(
                f"/workspaces/{ws_id}/members", world.admin, json={"user_id": world.ids[member]}
            )
        return ws_id

    def analyze(user: str) -> httpx.Response:
        answer = api.post(f"/workspaces/{ws}/analyses", user)
        if answer.status_code == 202:
            api.post(f"/workspaces/{ws}/analyses/{answer.json()['id']}/cancel", user)
            api.wait(ws, answer.json()["id"], user)
        return answer

    def import_catalog(user: str) -> httpx.Response:
        body = (Path(__file__).parent / "data" / "tiny.yaml").read_bytes()
        return api.post(
            "/catalogs/import?mode=replace",
            user,
            files=[("files", ("tiny.yaml", body, "application/yaml"))],
        )

    return {
        Action.READ: lambda u: api.get(f"/workspaces/{ws}/documents", u),
        Action.COMMENT: lambda u: api.post(
            f"/workspaces/{ws}/reviews/practices/T.1.1/comments", u, json={"body": f"note by {u}"}
        ),
        Action.UPLOAD: lambda u: api.upload(ws, u, {f"by-{u}.md": docs["QP-PR.md"] + u.encode()}),
        Action.DELETE_DOCUMENT: lambda u: api.delete(
            f"/workspaces/{ws}/documents/{next(doomed)}", u
        ),
        Action.ANALYZE: analyze,
        Action.REVIEW: lambda u: api.put(
            f"/workspaces/{ws}/reviews/practices/T.2.2/status",
            u,
            json={"status": "partial", "reason": f"checked by {u}"},
        ),
        Action.CREATE_WORKSPACE: lambda u: api.post(
            "/workspaces", u, json={"name": f"new {next(serial)}", "framework": "tiny"}
        ),
        Action.EDIT_WORKSPACE: lambda u: api.patch(
            f"/workspaces/{ws}", u, json={"software_type": "I"}
        ),
        Action.DELETE_WORKSPACE: lambda u: api.delete(f"/workspaces/{throwaway_workspace()}", u),
        Action.MANAGE_MEMBERS: lambda u: api.post(
            f"/workspaces/{ws}/members", u, json={"user_id": world.ids[world.outsider]}
        ),
        Action.MANAGE_USERS: lambda u: api.post(
            "/users",
            u,
            json={
                "email": f"made{next(serial)}@acme.example",
                "name": "Made",
                "role": "auditor",
                "password": "long enough password",
            },
        ),
        Action.IMPORT_CATALOG: import_catalog,
    }


def test_every_cell_of_the_permission_matrix(api, world, docs) -> None:
    actions = _actions(api, world, docs)
    users = {
        Role.ADMIN: world.admin,
        Role.CONSULTANT: world.consultant,
        Role.SUPPLIER: world.supplier,
        Role.AUDITOR: world.auditor,
    }
    outcomes: dict[tuple[str, str], int] = {}
    for action, act in actions.items():
        for role in (Role.AUDITOR, Role.SUPPLIER, Role.CONSULTANT, Role.ADMIN):
            answer = act(users[role])
            outcomes[(action.value, ROLES[role])] = answer.status_code
            if action in PERMISSIONS[role]:
                assert answer.status_code in {200, 201, 202, 204, 409}, (action, role, answer.text)
            else:
                assert answer.status_code == 403, (action, role, answer.text)
                assert answer.json()["error"]["code"] == "forbidden"
    assert len(outcomes) == len(Action) * len(Role)


def test_non_members_and_other_organisations_see_nothing(api, world) -> None:
    for user in (world.outsider, world.other_admin):
        assert api.get(f"/workspaces/{world.ws}", user).status_code == 404
        assert world.ws not in {w["id"] for w in api.get("/workspaces", user).json()["data"]}
    assert {w["id"] for w in api.get("/workspaces", world.admin).json()["data"]} == {world.ws}
    # an admin sees every workspace of the organisation without being a member
    made = api.post(
        "/workspaces", world.consultant, json={"name": "consultant's", "framework": "tiny"}
    )
    assert api.get(f"/workspaces/{made.json()['id']}", world.admin).status_code == 200
    assert api.get(f"/workspaces/{made.json()['id']}", world.supplier).status_code == 404
    # members can only be users of the same organisation
    foreign = api.post(
        f"/workspaces/{world.ws}/members",
        world.admin,
        json={"user_id": world.ids[world.other_admin]},
    )
    assert foreign.status_code == 404


def test_every_workspace_route_answers_404_for_another_organisations_ids(api, world, docs) -> None:
    """Globex's admin probes every route with ACME's real ids: all 404, nothing changes."""
    ws = world.ws
    uploaded = api.upload(ws, world.supplier, {"QP-CM.md": docs["QP-CM.md"]}).json()["data"][0]
    doc = uploaded["document"]["id"]
    version = uploaded["document"]["current_version"]["id"]
    analysis = api.analyze(ws, world.supplier)
    assert analysis["status"] == "succeeded", analysis
    coverage = api.get(f"/workspaces/{ws}/coverage", world.consultant).json()
    practice = next(p for c in coverage["clauses"] for p in c["practices"] if p["evidence"])
    item = practice["evidence"][0]
    decision = api.put(
        f"/workspaces/{ws}/reviews/evidence",
        world.consultant,
        json={
            "practice_id": practice["id"],
            "document_id": item["document_id"],
            "start": item["start"],
            "end": item["end"],
            "decision": "accepted",
        },
    )
    assert decision.status_code == 200, decision.text
    review = decision.json()["id"]
    a = analysis["id"]
    sha = item["document_id"]
    pid = practice["id"]
    probes: list[tuple[str, str, dict[str, object] | None]] = [
        ("GET", f"/workspaces/{ws}", None),
        ("PATCH", f"/workspaces/{ws}", {"name": "taken over"}),
        ("DELETE", f"/workspaces/{ws}", None),
        ("GET", f"/workspaces/{ws}/members", None),
        ("POST", f"/workspaces/{ws}/members", {"user_id": world.ids[world.other_admin]}),
        ("DELETE", f"/workspaces/{ws}/members/{world.ids[world.supplier]}", None),
        ("GET", f"/workspaces/{ws}/documents", None),
        ("POST", f"/workspaces/{ws}/documents", None),
        ("GET", f"/workspaces/{ws}/documents/{doc}", None),
        ("DELETE", f"/workspaces/{ws}/documents/{doc}", None),
        ("GET", f"/workspaces/{ws}/documents/{doc}/versions", None),
        ("GET", f"/workspaces/{ws}/documents/{doc}/passages?version_id={version}", None),
        ("GET", f"/workspaces/{ws}/documents/{doc}/findings", None),
        ("GET", f"/workspaces/{ws}/documents/{doc}/content", None),
        ("GET", f"/workspaces/{ws}/passages/search?q=baseline", None),
        ("POST", f"/workspaces/{ws}/analyses", None),
        ("GET", f"/workspaces/{ws}/analyses", None),
        ("GET", f"/workspaces/{ws}/analyses/{a}", None),
        ("POST", f"/workspaces/{ws}/analyses/{a}/cancel", None),
        ("GET", f"/workspaces/{ws}/analyses/{a}/results", None),
        ("GET", f"/workspaces/{ws}/analyses/{a}/report/json", None),
        ("GET", f"/workspaces/{ws}/coverage", None),
        ("GET", f"/workspaces/{ws}/diff?head={a}&base={a}", None),
        ("GET", f"/workspaces/{ws}/reviews", None),
        (
            "PUT",
            f"/workspaces/{ws}/reviews/evidence",
            {
                "practice_id": pid,
                "document_id": sha,
                "start": item["start"],
                "end": item["end"],
                "decision": "rejected",
            },
        ),
        ("DELETE", f"/workspaces/{ws}/reviews/evidence/{review}", None),
        (
            "POST",
            f"/workspaces/{ws}/reviews/attachments",
            {"practice_id": pid, "document_id": sha, "start": 0, "end": 10},
        ),
        (
            "PUT",
            f"/workspaces/{ws}/reviews/practices/{pid}/status",
            {"status": "gap", "reason": "x"},
        ),
        ("DELETE", f"/workspaces/{ws}/reviews/practices/{pid}/status", None),
        ("GET", f"/workspaces/{ws}/reviews/practices/{pid}", None),
        ("GET", f"/workspaces/{ws}/reviews/practices/{pid}/comments", None),
        ("POST", f"/workspaces/{ws}/reviews/practices/{pid}/comments", {"body": "hello"}),
        ("GET", f"/workspaces/{ws}/audit", None),
        ("GET", f"/users/{world.ids[world.supplier]}", None),
        ("PATCH", f"/users/{world.ids[world.supplier]}", {"active": False}),
    ]
    spec = api.get("/openapi.json").json()
    probed = {(m, re.sub(r"\?.*", "", p)) for m, p, _ in probes}
    templates = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, item_ in spec["paths"].items()
        for method in item_
        if "{workspace_id}" in path or ("{user_id}" in path and path.startswith("/api/v1/users"))
    }
    concrete = {
        (
            m,
            re.sub(
                r"/[0-9a-f]{32}",
                "/{id}",
                re.sub(
                    r"/report/json$",
                    "/report/{f}",
                    re.sub(rf"/{re.escape(pid)}(/|$)", r"/{p}\1", p),
                ),
            ),
        )
        for m, p in probed
    }
    expected = {
        (
            m,
            re.sub(r"\{(workspace_id|document_id|analysis_id|review_id|user_id)\}", "{id}", p)
            .replace("{practice_id}", "{p}")
            .replace("{report_format}", "{f}"),
        )
        for m, p in templates
    }
    assert expected <= concrete, f"routes not probed: {sorted(expected - concrete)}"
    for method, path, body in probes:
        if method == "POST" and path.endswith("/documents"):
            answer = api.upload(ws, world.other_admin, {"x.md": b"# hostile\n\ntext"})
        else:
            answer = api.request(method, path, world.other_admin, json=body)
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
        assert answer.json()["error"]["code"] == "not_found"
    # nothing changed for ACME
    assert api.get(f"/workspaces/{ws}", world.admin).json()["name"] == "ACME plant"
    assert api.get(f"/workspaces/{ws}/documents/{doc}", world.admin).status_code == 200
    assert api.get(f"/workspaces/{ws}/reviews", world.admin).json()["count"] == 1
    assert api.get(f"/users/{world.ids[world.supplier]}", world.admin).json()["active"] is True
    assert api.get(f"/workspaces/{ws}/analyses/{a}", world.admin).json()["status"] == "succeeded"
