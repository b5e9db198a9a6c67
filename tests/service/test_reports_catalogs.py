"""Reports in every format (reviews applied, document versions listed) and catalogs (built-in,
licensed imports private to one organisation)."""

from __future__ import annotations

import csv
import io
import json

import pytest

pytestmark = pytest.mark.integration


def test_reports_in_every_format(api, world, docs) -> None:
    ws = world.ws
    api.upload(ws, world.supplier, docs)
    analysis = api.analyze(ws, world.supplier)
    api.put(
        f"/workspaces/{ws}/reviews/practices/T.2.2/status",
        world.consultant,
        json={"status": "covered", "reason": "Monthly trend report seen on site"},
    )
    shas = {d["sha256"] for d in analysis["documents"]}
    base = f"/workspaces/{ws}/analyses/{analysis['id']}/report"

    answer = api.get(f"{base}/json", world.auditor)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.headers["content-disposition"].startswith(
        'attachment; filename="qmsgap-acme-plant-'
    )
    report = json.loads(answer.content)
    assert {d["id"] for d in report["documents"]} == shas
    manual = next(p for c in report["clauses"] for p in c["practices"] if p["id"] == "T.2.2")
    assert manual["status"] == "covered" and manual["status_source"] == "manual"

    rows = list(
        csv.reader(io.StringIO(api.get(f"{base}/csv", world.auditor).content.decode("utf-8-sig")))
    )
    flat = "\n".join(",".join(r) for r in rows)
    assert "T.2.2" in flat and "manual" in flat.lower()

    html = api.get(f"{base}/html", world.auditor)
    assert html.headers["content-type"].startswith("text/html")
    assert all(sha[:16] in html.text for sha in shas)  # the HTML report shows a 16-hex prefix

    from openpyxl import load_workbook

    workbook = load_workbook(
        io.BytesIO(api.get(f"{base}/xlsx", world.auditor).content), read_only=True
    )
    cells = {
        str(c)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if c
    }
    assert shas <= cells or all(any(sha in c for c in cells) for sha in shas)

    from docx import Document as Docx

    docx = Docx(io.BytesIO(api.get(f"{base}/docx", world.auditor).content))
    text = "\n".join(p.text for p in docx.paragraphs) + "\n".join(
        cell.text for table in docx.tables for row in table.rows for cell in row.cells
    )
    assert all(sha in text for sha in shas)

    pdf = api.get(f"{base}/pdf", world.auditor)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    from pypdf import PdfReader

    pdf_text = "".join(
        page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf.content)).pages
    )
    compact = pdf_text.replace("\n", "").replace(" ", "")
    assert all(sha[:16] in compact for sha in shas)

    assert api.get(f"{base}/rtf", world.auditor).status_code == 422
    assert list(api.services.blobs.tmp.iterdir()) == []  # temporary report files are removed


def test_catalogs_builtin_and_private_imports(api, world) -> None:
    listed = api.get("/catalogs", world.supplier).json()
    by_id = {c["id"]: c for c in listed["data"]}
    assert by_id["asqms"]["origin"] == "builtin" and not by_id["asqms"]["private"]
    assert by_id["tiny"]["origin"] == "imported" and by_id["tiny"]["private"]
    assert by_id["tiny"]["practices"] == 6
    asqms = api.get("/catalogs/asqms", world.auditor).json()
    assert asqms["id"] == "asqms" and len(asqms["clauses"]) >= 20
    assert api.get("/catalogs/no-such", world.auditor).status_code == 404

    overlay = "practice_id,requirement\nT.1.1,Licensed text: baselines are frozen at release.\n"
    imported = api.post(
        "/catalogs/import?mode=overlay&catalog_id=tiny",
        world.consultant,
        files=[("files", ("licensed.csv", overlay.encode(), "text/csv"))],
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["updated"] == ["T.1.1"]
    mine = api.get("/catalogs/tiny", world.auditor).json()
    practice = next(p for c in mine["clauses"] for p in c["practices"] if p["id"] == "T.1.1")
    assert practice["requirement"] == "Licensed text: baselines are frozen at release."
    theirs = api.get("/catalogs/tiny", world.other_admin).json()
    other = next(p for c in theirs["clauses"] for p in c["practices"] if p["id"] == "T.1.1")
    assert other["requirement"].startswith("Baselines are created")

    bad = api.post(
        "/catalogs/import?mode=replace",
        world.admin,
        files=[("files", ("broken.yaml", b"id: [unclosed\n", "application/yaml"))],
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "catalog_error"
    wrong_type = api.post(
        "/catalogs/import",
        world.admin,
        files=[("files", ("catalog.json", b"{}", "application/json"))],
    )
    assert wrong_type.status_code == 422 and ".yaml" in wrong_type.json()["error"]["message"]
    assert list(api.services.blobs.tmp.iterdir()) == []
    # only its own organisation sees an imported catalog
    globex_only = api.post(
        "/catalogs/import?mode=replace&catalog_id=globex-internal&base_id=tiny",
        world.other_admin,
        files=[("files", ("tiny.yaml", _tiny(), "application/yaml"))],
    )
    assert globex_only.status_code == 201, globex_only.text
    assert "globex-internal" in {
        c["id"] for c in api.get("/catalogs", world.other_admin).json()["data"]
    }
    assert "globex-internal" not in {
        c["id"] for c in api.get("/catalogs", world.admin).json()["data"]
    }
    assert api.get("/catalogs/globex-internal", world.admin).status_code == 404
    denied = api.post(
        "/workspaces", world.admin, json={"name": "x", "framework": "globex-internal"}
    )
    assert denied.status_code == 422


def _tiny() -> bytes:
    from pathlib import Path

    text = (Path(__file__).parent / "data" / "tiny.yaml").read_text()
    return text.replace("id: tiny", "id: globex-internal", 1).encode()


def test_workspace_scope_is_checked_against_the_catalog(api, world) -> None:
    tailored = api.post(
        "/workspaces",
        world.consultant,
        json={
            "name": "Tailored",
            "framework": "tiny",
            "software_type": "I",
            "tailoring": {"T.3": "No vehicle software deployment"},
        },
    )
    assert tailored.status_code == 201 and tailored.json()["tailoring"] == {
        "T.3": "No vehicle software deployment"
    }
    for body, words in [
        ({"name": "x", "framework": "tiny", "software_type": "III"}, "software type 'III'"),
        (
            {"name": "x", "framework": "tiny", "tailoring": {"T.1": "we do not"}},
            "cannot be tailored out",
        ),
        ({"name": "x", "framework": "tiny", "tailoring": {"T.9": "why"}}, "not in catalog"),
        ({"name": "x", "framework": "nope"}, "unknown framework"),
    ]:
        answer = api.post("/workspaces", world.consultant, json=body)
        assert answer.status_code == 422 and words in answer.json()["error"]["message"], answer.text
    ws = tailored.json()["id"]
    changed = api.patch(
        f"/workspaces/{ws}", world.consultant, json={"tailoring": {}, "name": "Renamed"}
    )
    assert changed.json()["tailoring"] == {} and changed.json()["name"] == "Renamed"
    trail = api.get(f"/workspaces/{ws}/audit?action=workspace.updated", world.consultant).json()[
        "data"
    ]
    assert trail[0]["before"]["tailoring"] == {"T.3": "No vehicle software deployment"}
