"""Health probes, log in and out, tokens, users, the error format and the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from qmsgap.service.models import Token, utcnow

pytestmark = pytest.mark.integration


def test_health_and_readiness(api) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200, ready.text
    checks = {c["name"]: c["ok"] for c in ready.json()["checks"]}
    assert checks == {"database": True, "migrations": True, "model": True}


def test_readiness_fails_when_the_schema_is_not_at_head(api) -> None:
    with api.services.database.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    answer = api.get("/readyz")
    assert answer.status_code == 503
    migrations = next(c for c in answer.json()["checks"] if c["name"] == "migrations")
    assert not migrations["ok"] and "at older" in migrations["detail"]


def test_login_me_logout(api, world) -> None:
    login = api.post(
        "/auth/login",
        json={"email": " Supplier@ACME.example", "password": "correct horse battery staple"},
    )
    assert login.status_code == 200, login.text
    body = login.json()
    assert body["token_type"] == "bearer" and body["user"]["role"] == "supplier"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = api.get("/auth/me", headers=headers)
    assert me.json()["email"] == "supplier@acme.example"
    assert api.get("/auth/organisation", headers=headers).json()["name"] == "ACME"
    assert api.post("/auth/logout", headers=headers).status_code == 204
    again = api.get("/auth/me", headers=headers)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "unauthorized"
    assert again.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("supplier@acme.example", "wrong password 123"),
        ("nobody@acme.example", "correct horse battery staple"),
    ],
)
def test_wrong_credentials_get_one_answer(api, world, email, password) -> None:
    answer = api.post("/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 401
    assert answer.json() == {
        "error": {"code": "unauthorized", "message": "wrong e-mail or password"}
    }


def test_expired_token_and_missing_token(api, world) -> None:
    token = api.token(world.auditor)
    with api.services.sessions.begin() as session:
        session.execute(update(Token).values(expires_at=utcnow() - timedelta(minutes=1)))
    expired = api.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
    assert api.get("/workspaces").status_code == 401
    bogus = api.get("/workspaces", headers={"Authorization": "Bearer not-a-token"})
    assert bogus.status_code == 401


def test_admin_manages_users_and_deactivation_revokes_tokens(api, world) -> None:
    created = api.post(
        "/users",
        world.admin,
        json={
            "email": "new@acme.example",
            "name": "New",
            "role": "auditor",
            "password": "a long enough secret",
        },
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    duplicate = api.post(
        "/users",
        world.admin,
        json={
            "email": "NEW@acme.example",
            "name": "Twin",
            "role": "auditor",
            "password": "a long enough secret",
        },
    )
    assert duplicate.status_code == 409
    weak = api.post(
        "/users",
        world.admin,
        json={"email": "w@acme.example", "name": "W", "role": "auditor", "password": "short"},
    )
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "weak_password"
    login = api.post(
        "/auth/login", json={"email": "new@acme.example", "password": "a long enough secret"}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert api.get("/auth/me", headers=headers).status_code == 200
    changed = api.patch(
        f"/users/{user_id}", world.admin, json={"active": False, "role": "consultant"}
    )
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert api.get("/auth/me", headers=headers).status_code == 401
    relogin = api.post(
        "/auth/login", json={"email": "new@acme.example", "password": "a long enough secret"}
    )
    assert relogin.status_code == 401
    own = api.patch(f"/users/{world.ids[world.admin]}", world.admin, json={"role": "auditor"})
    assert own.status_code == 422
    listed = api.get("/users", world.auditor).json()
    assert {u["email"] for u in listed["data"]} >= {world.admin, "new@acme.example"}
    assert world.other_admin not in {u["email"] for u in listed["data"]}


def test_password_change_revokes_other_tokens(api, world) -> None:
    first = api.token(world.consultant)
    second = api.post(
        "/auth/login", json={"email": world.consultant, "password": "correct horse battery staple"}
    ).json()["access_token"]
    wrong = api.post(
        "/auth/password",
        headers={"Authorization": f"Bearer {first}"},
        json={"current_password": "nope nope nope", "new_password": "another long secret"},
    )
    assert wrong.status_code == 401
    ok = api.post(
        "/auth/password",
        headers={"Authorization": f"Bearer {first}"},
        json={
            "current_password": "correct horse battery staple",
            "new_password": "another long secret",
        },
    )
    assert ok.status_code == 204
    assert api.get("/auth/me", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    assert api.get("/auth/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401


def test_every_error_has_the_same_shape(api, world) -> None:
    cases = [
        api.get("/no/such/route"),
        api.delete("/auth/me", world.admin),
        api.post("/workspaces", world.admin, json={"name": ""}),
        api.post(
            "/workspaces",
            world.admin,
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        ),
        api.get(f"/workspaces/{'0' * 32}", world.admin),
        api.get("/workspaces/not-an-id", world.admin),
        api.post("/workspaces", world.admin, json={"name": "x\x00y"}),
    ]
    assert [c.status_code for c in cases] == [404, 405, 422, 422, 404, 422, 422]
    for answer in cases:
        error = answer.json()["error"]
        assert set(error) <= {"code", "message", "details"} and error["code"] and error["message"]
    assert cases[2].json()["error"]["details"][0]["loc"] == ["body", "name"]


def test_json_body_limit(api, world) -> None:
    big = {"name": "x" * 100, "tailoring": {f"T.{i}": "y" * 1000 for i in range(1200)}}
    answer = api.post("/workspaces", world.admin, json=big)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "request_too_large"


def test_openapi_is_complete(api) -> None:
    # no Swagger/ReDoc page: they would load their scripts from a CDN
    assert api.client.get("/docs").status_code == 404
    assert api.client.get("/redoc").status_code == 404
    spec = api.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operations = [
        (path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
    ]
    assert len(operations) >= 35
    for path, method, op in operations:
        assert op.get("summary"), (method, path)
        assert op.get("tags"), (method, path)
        success = [code for code in op["responses"] if code.startswith("2")]
        assert success, (method, path)
        if not path.startswith(("/healthz", "/readyz")) and path != "/api/v1/auth/login":
            assert "401" in op["responses"], (method, path)
    schemas = spec["components"]["schemas"]
    assert "ErrorResponse" in schemas and "CoverageReport" in schemas
    assert schemas["WorkspaceCreate"]["examples"][0]["framework"] == "asqms"
    upload = spec["paths"]["/api/v1/workspaces/{workspace_id}/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
