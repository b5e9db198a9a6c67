"""Property-based fuzzing of every operation of the OpenAPI document (Schemathesis): a bounded
number of generated requests per operation, authenticated as an admin, against a workspace
holding documents and a finished analysis. No request may produce a server error (5xx)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: Examples per operation; CI keeps the default, QMSGAP_SCHEMATHESIS_EXAMPLES raises it locally.
EXAMPLES = int(os.environ.get("QMSGAP_SCHEMATHESIS_EXAMPLES", "12"))


def test_generated_requests_never_cause_a_server_error(api, world, docs) -> None:
    api.upload(world.ws, world.supplier, {"QP-CM.md": docs["QP-CM.md"]})
    analysis = api.analyze(world.ws, world.supplier)
    assert analysis["status"] == "succeeded"
    real_ids = {"workspace_id": world.ws, "analysis_id": analysis["id"]}
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # a fresh login per operation: logging out or changing the password only spoils its own
        token = api.client.post(
            "/api/v1/auth/login",
            json={"email": world.admin, "password": "correct horse battery staple"},
        ).json()["access_token"]
        keep_workspace = (
            operation.method.upper() == "DELETE"
            and operation.path == "/api/v1/workspaces/{workspace_id}"
        )
        ids = {} if keep_workspace else real_ids
        failures.extend(_fuzz(operation, {"Authorization": f"Bearer {token}"}, ids))
    assert operations >= 35
    assert failures == [], "\n".join(failures[:20])
    api.services.jobs.wait_idle(timeout=120)


def _fuzz(operation: object, headers: dict[str, str], real_ids: dict[str, str]) -> list[str]:
    """Run the operation's strategy; returns the 5xx answers as readable lines."""
    failures: list[str] = []

    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        for name, value in real_ids.items():
            if name in (case.path_parameters or {}):
                case.path_parameters[name] = value
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:300]}"
            )

    run()
    return failures
