"""Coverage filters, review decisions, attachments, manual statuses, comments, the audit trail,
and decisions that survive re-analysis; the diff between two analyses."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

pytestmark = pytest.mark.integration


def _practices(coverage: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for c in coverage["clauses"] for p in c["practices"]}


def _decide(
    api, ws: str, user: str, practice: str, item: dict[str, Any], decision: str, **extra: Any
):
    return api.put(
        f"/workspaces/{ws}/reviews/evidence",
        user,
        json={
            "practice_id": practice,
            "document_id": item["document_id"],
            "start": item["start"],
            "end": item["end"],
            "decision": decision,
            **extra,
        },
    )


def test_coverage_filters(api, world, docs) -> None:
    ws = world.ws
    api.upload(ws, world.supplier, docs)
    analysis = api.analyze(ws, world.supplier)
    full = api.get(f"/workspaces/{ws}/coverage", world.auditor).json()
    assert full["analysis_id"] == analysis["id"] and full["count"] == 6
    assert full["framework"]["id"] == "tiny" and len(full["documents"]) == 3
    chapter = api.get(f"/workspaces/{ws}/coverage?chapter=6", world.auditor).json()
    assert [c["id"] for c in chapter["clauses"]] == ["T.3"] and chapter["count"] == 2
    advanced = api.get(f"/workspaces/{ws}/coverage?type=AP", world.auditor).json()
    assert sorted(_practices(advanced)) == ["T.1.2", "T.2.2"]
    assert api.get(f"/workspaces/{ws}/coverage?mandatory=false", world.auditor).json()["count"] == 0
    for status in ("covered", "partial", "gap"):
        part = api.get(f"/workspaces/{ws}/coverage?status={status}", world.auditor).json()
        assert all(p["status"] == status for p in _practices(part).values())
    one = api.get(
        f"/workspaces/{ws}/coverage?clause=T.2&status=gap&analysis_id={analysis['id']}",
        world.auditor,
    )
    assert one.status_code == 200
    assert api.get(f"/workspaces/{ws}/coverage?status=great", world.auditor).status_code == 422
    assert (
        api.get(f"/workspaces/{ws}/coverage?analysis_id={'f' * 32}", world.auditor).status_code
        == 404
    )


def test_decisions_survive_reanalysis(api, world, docs) -> None:
    ws = world.ws
    api.upload(ws, world.supplier, docs)
    first = api.analyze(ws, world.supplier)
    practices = _practices(api.get(f"/workspaces/{ws}/coverage", world.consultant).json())
    with_two = [p for p in practices.values() if len(p["evidence"]) >= 2]
    assert len(with_two) >= 2, {k: len(v["evidence"]) for k, v in practices.items()}
    rejected_practice, accepted_practice = with_two[0], with_two[1]
    rejected_item = rejected_practice["evidence"][0]
    accepted_item = accepted_practice["evidence"][-1]  # not the best: dropped when k = 1

    rejected = _decide(
        api,
        ws,
        world.consultant,
        rejected_practice["id"],
        rejected_item,
        "rejected",
        reason="generic text",
    )
    assert rejected.status_code == 200, rejected.text
    assert (
        rejected.json()["quote"] == rejected_item["quote"]
        and rejected.json()["updated_by"] == world.consultant
    )
    accepted = _decide(
        api, ws, world.consultant, accepted_practice["id"], accepted_item, "accepted"
    )
    assert accepted.status_code == 200, accepted.text
    unknown = _decide(
        api,
        ws,
        world.consultant,
        rejected_practice["id"],
        {**rejected_item, "start": 0, "end": 1},
        "accepted",
    )
    assert unknown.status_code == 404

    # attach a passage of the OTA instruction to T.3.2, by passage id and by offsets
    ota = next(
        d
        for d in api.get(f"/workspaces/{ws}/documents", world.consultant).json()["data"]
        if d["name"] == "WI-OTA.md"
    )
    passages = api.get(f"/workspaces/{ws}/documents/{ota['id']}/passages", world.consultant).json()[
        "data"
    ]
    record = next(p for p in passages if "deployment record" in p["text"].lower())
    missed = next(
        pid
        for pid, p in practices.items()
        if pid not in {rejected_practice["id"], accepted_practice["id"], "T.1.1", "T.3.1"}
        and all(e["passage_id"] != record["id"] for e in p["evidence"])
    )
    by_id = api.post(
        f"/workspaces/{ws}/reviews/attachments",
        world.consultant,
        json={"practice_id": missed, "passage_id": record["id"], "reason": "the engine missed it"},
    )
    assert by_id.status_code == 201, by_id.text
    assert by_id.json()["quote"] == record["text"] and by_id.json()["origin"] == "reviewer"
    start = record["start"] + record["text"].index("VIN")
    by_offsets = api.post(
        f"/workspaces/{ws}/reviews/attachments",
        world.consultant,
        json={
            "practice_id": "T.1.1",
            "document_id": ota["current_version"]["sha256"],
            "start": start,
            "end": start + 3,
        },
    )
    assert by_offsets.status_code == 201 and by_offsets.json()["quote"] == "VIN"
    forged = api.post(
        f"/workspaces/{ws}/reviews/attachments",
        world.consultant,
        json={"practice_id": "T.1.1", "passage_id": record["id"], "quote": "made up text"},
    )
    assert forged.status_code == 422
    assert (
        api.post(
            f"/workspaces/{ws}/reviews/attachments",
            world.consultant,
            json={"practice_id": "X.9", "passage_id": record["id"]},
        ).status_code
        == 422
    )

    status = api.put(
        f"/workspaces/{ws}/reviews/practices/T.3.1/status",
        world.consultant,
        json={"status": "not_applicable", "reason": "No OTA: flashing at end of line only"},
    )
    assert status.status_code == 200 and status.json()["set_by"] == world.consultant
    note = api.post(
        f"/workspaces/{ws}/reviews/practices/T.3.1/comments",
        world.auditor,
        json={"body": "Agreed."},
    )
    assert note.status_code == 201 and note.json()["author"] == world.auditor

    def check(analysis_id: str) -> dict[str, dict[str, Any]]:
        shown = _practices(
            api.get(f"/workspaces/{ws}/coverage?analysis_id={analysis_id}", world.auditor).json()
        )
        keys = lambda p: {(e["document_id"], e["start"], e["end"]) for e in p["evidence"]}  # noqa: E731
        assert (
            rejected_item["document_id"],
            rejected_item["start"],
            rejected_item["end"],
        ) not in keys(shown[rejected_practice["id"]])
        mine = next(
            e
            for e in shown[accepted_practice["id"]]["evidence"]
            if e["start"] == accepted_item["start"]
            and e["document_id"] == accepted_item["document_id"]
        )
        assert mine["review"] == "accepted"
        attached = [e for e in shown[missed]["evidence"] if e["passage_id"] == record["id"]]
        assert (
            attached and attached[0]["origin"] == "reviewer" and attached[0]["review"] == "accepted"
        )
        assert [e["quote"] for e in shown["T.1.1"]["evidence"] if e["origin"] == "reviewer"] == [
            "VIN"
        ]
        manual = shown["T.3.1"]
        assert manual["status"] == "not_applicable" and manual["status_source"] == "manual"
        assert "No OTA: flashing at end of line only" in manual["rationale"]
        return shown

    check(first["id"])
    # a new version of another document, one evidence item per practice: decisions still apply
    updated = next(n for n in ("QP-CM.md", "QP-PR.md") if n != accepted_item["document"])
    old_doc = next(
        d
        for d in api.get(f"/workspaces/{ws}/documents", world.consultant).json()["data"]
        if d["name"] == updated
    )
    old_passage = api.get(
        f"/workspaces/{ws}/documents/{old_doc['id']}/passages", world.consultant
    ).json()["data"][0]
    pinned = api.post(
        f"/workspaces/{ws}/reviews/attachments",
        world.consultant,
        json={"practice_id": "T.3.1", "passage_id": old_passage["id"]},
    )
    assert pinned.status_code == 201
    api.upload(
        ws, world.supplier, {updated: docs[updated] + b"\n## 3 Records\nRecords are kept.\n"}
    )
    started = api.post(f"/workspaces/{ws}/analyses", world.supplier, json={"evidence_k": 1})
    second = api.wait(ws, started.json()["id"], world.supplier)
    assert second["status"] == "succeeded", second
    shown = check(second["id"])
    items = shown[accepted_practice["id"]]["evidence"]
    mine = next(e for e in items if e["start"] == accepted_item["start"])
    assert mine["origin"] == "reviewer" or mine is items[0]  # k = 1: at most one engine item
    # evidence pinned on the replaced version shows in the first analysis only
    pinned_key = (old_doc["current_version"]["sha256"], old_passage["start"])
    for analysis_id, expected in ((first["id"], True), (second["id"], False)):
        coverage = api.get(
            f"/workspaces/{ws}/coverage?analysis_id={analysis_id}", world.auditor
        ).json()
        evidence = _practices(coverage)["T.3.1"]["evidence"]
        assert (pinned_key in {(e["document_id"], e["start"]) for e in evidence}) is expected
    results = api.get(f"/workspaces/{ws}/analyses/{second['id']}/results", world.auditor).json()
    assert results["schema"] == "qmsgap.coverage/1"
    assert results["summary"]["not_applicable"] == 1

    everything = api.get(f"/workspaces/{ws}/reviews/practices/T.3.1", world.auditor).json()
    assert everything["coverage"]["status_source"] == "manual" and everything["clause_id"] == "T.3"
    assert [c["body"] for c in everything["comments"]] == ["Agreed."]
    assert [e["action"] for e in everything["audit"]] == [
        "status.set",
        "comment.added",
        "evidence.attached",
    ]
    assert everything["audit"][0]["before"]["source"] == "engine"
    assert everything["audit"][0]["after"] == {
        "status": "not_applicable",
        "reason": "No OTA: flashing at end of line only",
        "source": "manual",
    }

    # withdrawing the manual status gives the engine its say again
    assert (
        api.delete(f"/workspaces/{ws}/reviews/practices/T.3.1/status", world.consultant).status_code
        == 204
    )
    back = _practices(api.get(f"/workspaces/{ws}/coverage", world.auditor).json())["T.3.1"]
    assert back["status_source"] == "engine"
    assert (
        api.delete(f"/workspaces/{ws}/reviews/practices/T.3.1/status", world.consultant).status_code
        == 404
    )
    withdrawn = api.delete(
        f"/workspaces/{ws}/reviews/evidence/{rejected.json()['id']}", world.consultant
    )
    assert withdrawn.status_code == 204
    standing = api.get(f"/workspaces/{ws}/reviews", world.auditor).json()
    assert standing["statuses"] == [] and len(standing["evidence"]) == 4

    trail = api.get(f"/workspaces/{ws}/audit?limit=500", world.auditor).json()
    actions = [e["action"] for e in trail["data"]]
    for expected in (
        "evidence.rejected",
        "evidence.accepted",
        "evidence.attached",
        "status.set",
        "comment.added",
        "status.cleared",
        "evidence.withdrawn",
        "analysis.started",
    ):
        assert expected in actions
    assert all(e["actor"] and e["at"] for e in trail["data"])
    assert [e["id"] for e in trail["data"]] == sorted(e["id"] for e in trail["data"])

    # the diff between the two analyses, reviews applied to both
    diff = api.get(f"/workspaces/{ws}/diff", world.auditor)
    assert diff.status_code == 200, diff.text
    body = diff.json()
    assert (body["base_analysis_id"], body["head_analysis_id"]) == (first["id"], second["id"])
    assert [(d["document"], d["change"]) for d in body["documents"]] == [(updated, "updated")]
    assert (
        body["summary"]["improved"]
        + body["summary"]["regressed"]
        + body["summary"]["changed"]
        + body["summary"]["unchanged"]
        == 6
    )
    full = api.get(
        f"/workspaces/{ws}/diff?all=true&base={first['id']}&head={second['id']}", world.auditor
    ).json()
    assert sum(len(c["practices"]) for c in full["clauses"]) == 6


def test_the_audit_trail_is_append_only_in_the_database(api, world) -> None:
    api.post(
        f"/workspaces/{world.ws}/reviews/practices/T.1.1/comments",
        world.auditor,
        json={"body": "x"},
    )
    for statement in ("UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError), api.services.database.begin() as connection:
            connection.execute(text(statement))
    trail = api.get(f"/workspaces/{world.ws}/audit", world.auditor).json()
    assert trail["count"] >= 2 and {e["actor"] for e in trail["data"]} >= {world.auditor}


def test_reviews_need_an_analysis_and_known_practices(api, world, docs) -> None:
    ws = world.ws
    missing = api.put(
        f"/workspaces/{ws}/reviews/evidence",
        world.consultant,
        json={
            "practice_id": "T.1.1",
            "document_id": "a" * 64,
            "start": 0,
            "end": 5,
            "decision": "accepted",
        },
    )
    assert missing.status_code == 404
    unknown = api.put(
        f"/workspaces/{ws}/reviews/practices/Z.9.9/status",
        world.consultant,
        json={"status": "gap", "reason": "x"},
    )
    assert unknown.status_code == 404
    empty_reason = api.put(
        f"/workspaces/{ws}/reviews/practices/T.1.1/status",
        world.consultant,
        json={"status": "gap", "reason": ""},
    )
    assert empty_reason.status_code == 422
    assert api.get(f"/workspaces/{ws}/diff", world.consultant).status_code == 409
    api.upload(ws, world.supplier, {"QP-CM.md": docs["QP-CM.md"]})
    api.analyze(ws, world.supplier)
    only_one = api.get(f"/workspaces/{ws}/diff", world.consultant)
    assert only_one.status_code == 409 and "no earlier" in only_one.json()["error"]["message"]
    practice = api.get(f"/workspaces/{ws}/reviews/practices/T.2.1", world.auditor).json()
    assert practice["title"] == "Record problems" and practice["coverage"]["id"] == "T.2.1"
