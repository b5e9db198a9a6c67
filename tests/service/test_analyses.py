"""Analyses: background jobs with progress, re-runs that embed only new passages, cancel,
failures, and jobs that survive a restart (two apps on the same data directory and database)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from qmsgap.service.models import Analysis, utcnow

pytestmark = pytest.mark.integration


def test_progress_and_rerun_embeds_only_new_passages(api, world, docs, fake_embedder) -> None:
    ws = world.ws
    api.upload(ws, world.supplier, {"QP-CM.md": docs["QP-CM.md"], "QP-PR.md": docs["QP-PR.md"]})
    first = api.analyze(ws, world.supplier)
    assert first["status"] == "succeeded", first
    assert (first["step"], first["progress"], first["attempts"]) == ("done", 1.0, 1)
    assert first["started_at"] <= first["finished_at"] and first["error"] is None
    assert first["summary"]["covered"] + first["summary"]["partial"] + first["summary"]["gap"] == 6
    assert first["embedded_passages"] > 0
    calls_before = len(fake_embedder.calls)

    api.upload(ws, world.supplier, {"WI-OTA.md": docs["WI-OTA.md"]})
    second = api.analyze(ws, world.supplier)
    assert second["status"] == "succeeded", second
    assert 0 < second["embedded_passages"] < first["embedded_passages"]
    embedded_now = [text for call in fake_embedder.calls[calls_before:] for text in call]
    assert any(t.startswith("Software Deployment Instruction > ") for t in embedded_now)
    old_headers = ("Configuration Management Procedure > ", "Problem Resolution Procedure > ")
    assert not [t for t in embedded_now if t.startswith(old_headers)]
    listed = api.get(f"/workspaces/{ws}/analyses", world.auditor).json()
    assert [a["id"] for a in listed["data"]] == [second["id"], first["id"]] and listed["count"] == 2
    assert api.get(f"/workspaces/{ws}", world.auditor).json()["latest_analysis_id"] == second["id"]
    third = api.analyze(ws, world.supplier)  # nothing new at all
    assert third["embedded_passages"] == 0


def test_start_conflicts(api, world, docs) -> None:
    ws = world.ws
    empty = api.post(f"/workspaces/{ws}/analyses", world.supplier)
    assert empty.status_code == 409 and "no documents" in empty.json()["error"]["message"]
    coverage = api.get(f"/workspaces/{ws}/coverage", world.supplier)
    assert (
        coverage.status_code == 409
        and "no finished analysis" in coverage.json()["error"]["message"]
    )
    api.upload(ws, world.supplier, {"QP-CM.md": docs["QP-CM.md"]})
    bad = api.post(f"/workspaces/{ws}/analyses", world.supplier, json={"evidence_k": 0})
    assert bad.status_code == 422


@pytest.fixture
def gated(make_api, gate_embedder, world_builder):
    with make_api(embedder=gate_embedder) as api:
        world = world_builder(api)
        yield api, world, gate_embedder


def test_cancel_a_queued_and_a_running_analysis(gated, docs) -> None:
    api, world, gate = gated
    api.upload(world.ws, world.supplier, {"QP-CM.md": docs["QP-CM.md"]})
    second_ws = api.post(
        "/workspaces", world.admin, json={"name": "Second", "framework": "tiny"}
    ).json()["id"]
    api.upload(second_ws, world.admin, {"QP-PR.md": docs["QP-PR.md"]})
    gate.close()
    running = api.post(f"/workspaces/{world.ws}/analyses", world.supplier).json()
    assert gate.entered.wait(60), "the analysis never reached the embedder"
    busy = api.post(f"/workspaces/{world.ws}/analyses", world.consultant)
    assert busy.status_code == 409 and running["id"] in busy.json()["error"]["message"]
    queued = api.post(f"/workspaces/{second_ws}/analyses", world.admin).json()
    assert queued["status"] == "queued"  # the only worker is busy
    cancelled = api.post(
        f"/workspaces/{second_ws}/analyses/{queued['id']}/cancel", world.admin
    ).json()
    assert cancelled["status"] == "cancelled" and cancelled["cancel_requested"]
    state = api.get(f"/workspaces/{world.ws}/analyses/{running['id']}", world.supplier).json()
    assert state["status"] == "running" and state["step"] == "index"
    asked = api.post(f"/workspaces/{world.ws}/analyses/{running['id']}/cancel", world.supplier)
    assert asked.status_code == 202 and asked.json()["cancel_requested"]
    gate.open()
    final = api.wait(world.ws, running["id"], world.supplier)
    assert final["status"] == "cancelled"
    assert final["error"] == {"code": None, "message": "cancelled by a user"}
    assert (
        api.get(
            f"/workspaces/{world.ws}/analyses/{running['id']}/results", world.supplier
        ).status_code
        == 409
    )
    again = api.post(f"/workspaces/{world.ws}/analyses/{running['id']}/cancel", world.supplier)
    assert again.status_code == 409
    assert (
        api.get(f"/workspaces/{second_ws}/analyses/{queued['id']}", world.admin).json()["status"]
        == "cancelled"
    )
    assert api.analyze(world.ws, world.supplier)["status"] == "succeeded"


def test_unreadable_documents(api, world, docs) -> None:
    ws = world.ws
    api.upload(
        ws, world.supplier, {"broken.pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage"}
    )
    failed = api.analyze(ws, world.supplier)
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "document_error"
    assert "none of the 1 documents could be read (broken.pdf:" in failed["error"]["message"]
    documents = api.get(f"/workspaces/{ws}/documents", world.supplier).json()["data"]
    version = documents[0]["current_version"]
    assert version["parse_status"] == "failed" and version["parse_error"]["message"]
    api.upload(ws, world.supplier, {"QP-CM.md": docs["QP-CM.md"]})
    mixed = api.analyze(ws, world.supplier)
    assert mixed["status"] == "succeeded", mixed
    report = api.get(f"/workspaces/{ws}/analyses/{mixed['id']}/results", world.supplier).json()
    broken = next(d for d in report["documents"] if d["document"] == "broken.pdf")
    assert broken["format"] is None and broken["errors"] and broken["id"] == version["sha256"]


def _crash(api, analysis_id: str, attempts: int) -> None:
    """Leave the row as a process killed mid-analysis would."""
    with api.services.sessions.begin() as session:
        session.execute(
            update(Analysis)
            .where(Analysis.id == analysis_id)
            .values(
                status="running",
                step="retrieve",
                attempts=attempts,
                report=None,
                summary=None,
                finished_at=None,
                started_at=utcnow() - timedelta(minutes=1),
            )
        )


@pytest.mark.parametrize(
    ("server", "attempts", "expected", "message"),
    [
        ({}, 1, "succeeded", None),
        ({"resume_interrupted_jobs": False}, 1, "failed", "server stopped while this analysis"),
        ({"max_job_attempts": 2}, 2, "failed", "during each of 2 attempts"),
    ],
)
def test_a_job_left_running_is_resumed_or_failed_after_a_restart(
    make_api, world_builder, docs, server, attempts, expected, message
) -> None:
    with make_api() as api:
        world = world_builder(api)
        api.upload(world.ws, world.supplier, {"QP-CM.md": docs["QP-CM.md"]})
        done = api.analyze(world.ws, world.supplier)
        _crash(api, done["id"], attempts)
        supplier_token = api.token(world.supplier)
    with make_api(**server) as api:
        api.tokens[world.supplier] = supplier_token
        state = api.wait(world.ws, done["id"], world.supplier)
        assert state["status"] == expected, state
        if message is None:
            assert state["attempts"] == attempts + 1 and state["progress"] == 1.0
            assert api.get(f"/workspaces/{world.ws}/coverage", world.supplier).status_code == 200
        else:
            assert state["error"]["code"] == "interrupted" and message in state["error"]["message"]


def test_a_server_stop_requeues_the_running_job_and_the_next_start_finishes_it(
    make_api, gate_embedder, world_builder, docs
) -> None:
    with make_api(embedder=gate_embedder) as api:
        world = world_builder(api)
        api.upload(world.ws, world.supplier, {"QP-CM.md": docs["QP-CM.md"]})
        gate_embedder.close()
        started = api.post(f"/workspaces/{world.ws}/analyses", world.supplier).json()
        assert gate_embedder.entered.wait(60)
        token = api.token(world.supplier)
        threading.Timer(0.5, gate_embedder.open).start()  # lets the job reach its next step
    with make_api() as api:
        api.tokens[world.supplier] = token
        state = api.wait(world.ws, started["id"], world.supplier)
        assert state["status"] == "succeeded", state
        assert state["attempts"] == 2
