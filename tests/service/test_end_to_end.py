"""End to end through HTTP: upload the sample supplier QMS, analyze it against ASQMS, review two
practices, update a document and re-analyze, export every report format; the review decisions
are still applied after the re-analysis, in the coverage and in every report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[2] / "eval" / "corpus" / "sample-supplier-qms"
FORMATS = ("json", "csv", "xlsx", "html", "docx", "pdf")


@pytest.mark.parametrize("database_url", [None])
def test_sample_qms_upload_analyze_review_reanalyze_export(api, world) -> None:
    files = {p.name: p.read_bytes() for p in sorted(SAMPLE.iterdir()) if p.is_file()}
    assert len(files) >= 10, f"the sample QMS is missing from {SAMPLE}"
    workspace = api.post(
        "/workspaces",
        world.consultant,
        json={"name": "Sample supplier", "framework": "asqms", "software_type": "II"},
    )
    assert workspace.status_code == 201, workspace.text
    ws = workspace.json()["id"]
    for member in (world.supplier, world.auditor):
        api.post(f"/workspaces/{ws}/members", world.admin, json={"user_id": world.ids[member]})

    uploaded = api.upload(ws, world.supplier, files)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["count"] == len(files)
    first = api.analyze(ws, world.supplier, timeout=600)
    assert first["status"] == "succeeded", first
    assert len(first["documents"]) == len(files)

    coverage = api.get(f"/workspaces/{ws}/coverage", world.consultant).json()
    practices = {p["id"]: p for c in coverage["clauses"] for p in c["practices"]}
    assert len(practices) >= 150
    # practice 1: reject its best evidence item; practice 2: the consultant rates it by hand
    reviewed = next(p for p in practices.values() if len(p["evidence"]) >= 2)
    rejected = reviewed["evidence"][0]
    decision = api.put(
        f"/workspaces/{ws}/reviews/evidence",
        world.consultant,
        json={
            "practice_id": reviewed["id"],
            "document_id": rejected["document_id"],
            "start": rejected["start"],
            "end": rejected["end"],
            "decision": "rejected",
            "reason": "Generic statement, not specific to software",
        },
    )
    assert decision.status_code == 200, decision.text
    rated = next(p for p in practices.values() if p["id"] != reviewed["id"] and p["mandatory"])
    target = "gap" if rated["status"] != "gap" else "partial"
    manual = api.put(
        f"/workspaces/{ws}/reviews/practices/{rated['id']}/status",
        world.consultant,
        json={"status": target, "reason": "Checked on site: the procedure is only a draft"},
    )
    assert manual.status_code == 200, manual.text
    api.post(
        f"/workspaces/{ws}/reviews/practices/{rated['id']}/comments",
        world.auditor,
        json={"body": "To be verified at Stage 2."},
    )

    # update one document (a new version) and analyze again
    markdown = next(name for name in files if name.endswith(".md") and name != rejected["document"])
    changed = api.upload(
        ws, world.supplier, {markdown: files[markdown] + b"\n\n## Annex\nRevised.\n"}
    )
    assert changed.json()["data"][0]["outcome"] == "new_version"
    second = api.analyze(ws, world.supplier, timeout=600)
    assert second["status"] == "succeeded", second
    assert 0 < second["embedded_passages"] < first["embedded_passages"]

    def check(practices_now: dict[str, dict]) -> None:
        spans = {
            (e["document_id"], e["start"], e["end"])
            for e in practices_now[reviewed["id"]]["evidence"]
        }
        assert (rejected["document_id"], rejected["start"], rejected["end"]) not in spans
        assert practices_now[rated["id"]]["status"] == target
        assert practices_now[rated["id"]]["status_source"] == "manual"

    after = api.get(f"/workspaces/{ws}/coverage", world.auditor).json()
    assert after["analysis_id"] == second["id"]
    check({p["id"]: p for c in after["clauses"] for p in c["practices"]})

    base = f"/workspaces/{ws}/analyses/{second['id']}/report"
    exported: dict[str, bytes] = {}
    for fmt in FORMATS:
        answer = api.get(f"{base}/{fmt}", world.auditor)
        assert answer.status_code == 200, (fmt, answer.text[:300])
        assert len(answer.content) > 1000, fmt
        exported[fmt] = answer.content
    report = json.loads(exported["json"])
    check({p["id"]: p for c in report["clauses"] for p in c["practices"]})
    versions = {d["sha256"] for d in second["documents"]}
    assert {d["id"] for d in report["documents"]} == versions
    assert exported["pdf"].startswith(b"%PDF-")
    from docx import Document as Docx

    docx_text = "\n".join(
        cell.text
        for table in Docx(io.BytesIO(exported["docx"])).tables
        for row in table.rows
        for cell in row.cells
    )
    assert all(sha in docx_text for sha in versions)
    assert rated["id"] in exported["csv"].decode("utf-8-sig")

    diff = api.get(f"/workspaces/{ws}/diff", world.auditor).json()
    assert [(d["document"], d["change"]) for d in diff["documents"]] == [(markdown, "updated")]
