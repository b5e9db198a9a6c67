"""The web app in a real headless chromium (Debian's package, driven by Playwright).

The main story runs as a consultant on part of the sample supplier QMS: sign in, create a
workspace with tailoring, upload (picker and drag and drop, one rejected file), follow the
analysis, open a gap and a covered clause, accept and reject evidence, set a status by hand,
comment, attach a missed passage and open its PDF at the page, upload a new version and
analyze again, see the decisions still applied and the change in the comparison, and export
every report format. Screenshots of the dashboard and a clause view go to test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from qmsgap.service.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PDF = "QM-01_Quality_Management_Manual.pdf"
UPLOADS = [
    PDF,
    "QP-8.3-06_Software_Release.pdf",
    "QP-8.3-05_Software_Configuration_Management.docx",
    "F-5.3-01_RACI_Matrix.xlsx",
]
DROPPED = "WI-8.3-08_Build_and_Continuous_Integration.md"
ANALYSIS_TIMEOUT = 120_000

UNLABELLED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.type !== 'hidden' && !el.closest('[hidden]'))
  .filter((el) => {
    const byLabel = el.labels && [...el.labels].some((l) => l.textContent.trim());
    const byAria = (el.getAttribute('aria-label') || '').trim();
    const byRef = (el.getAttribute('aria-labelledby') || '').split(/\\s+/)
      .some((id) => id && document.getElementById(id)?.textContent.trim());
    const byText = el.tagName === 'BUTTON' && el.textContent.trim();
    return !(byLabel || byAria || byRef || byText);
  })
  .map((el) => el.outerHTML.slice(0, 160))"""


COVERED_CLAUSE = """() => {
  const rows = [...document.querySelectorAll('table.heatmap tbody tr')];
  const covered = rows.find((row) => row.querySelector('.badge.status-covered'));
  if (covered) return covered.dataset.clause;
  const count = (row) => Number(row.querySelector('td.cell[data-status=covered]').textContent);
  const best = rows.reduce((a, b) => (count(b) > count(a) ? b : a));
  return count(best) > 0 ? best.dataset.clause : null;
}"""


def assert_accessible_basics(page: Page) -> None:
    """Every control has an accessible name, images have alt text, the page has one h1."""
    assert page.evaluate(UNLABELLED_CONTROLS) == [], page.url
    assert page.locator("img:not([alt])").count() == 0
    expect(page.locator("main h1")).to_have_count(1)


def assert_clean(problems: Any) -> None:
    assert problems.errors == [], problems.errors
    assert problems.csp == [], problems.csp


def sign_in(page: Page, live: Any, email: str) -> None:
    page.goto(f"{live.url}/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(live.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Workspaces", level=1)).to_be_visible()


def drop_file(page: Page, name: str, data: bytes) -> None:
    """A real drop event on the drop zone carrying one file."""
    transfer = page.evaluate_handle(
        """([name, bytes]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name));
            return transfer;
        }""",
        [name, list(data)],
    )
    page.dispatch_event("#dropzone", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})


def wait_for_analysis(page: Page, previous: str | None = None) -> str:
    """Waits until the analysis shown (not ``previous``) succeeded; returns its id."""
    status = page.locator("#analysis-status")
    if previous is not None:
        expect(status).not_to_have_attribute("data-analysis", previous)
    expect(status).to_have_attribute("data-status", "succeeded", timeout=ANALYSIS_TIMEOUT)
    analysis = status.get_attribute("data-analysis")
    assert analysis
    return analysis


def evidence_item(practice: Any, key: tuple[str | None, str | None]) -> Any:
    """The evidence list item of ``practice`` citing (document, start)."""
    document, start = key
    return practice.locator(
        f"ul.evidence-list > li[data-document='{document}'][data-start='{start}']"
    )


def downloaded(page: Page, format_: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.locator(f"button[data-format='{format_}']").click()
    download = info.value
    path = download.path()
    return download.suggested_filename, Path(path).read_bytes()


def test_consultant_story_upload_analyze_review_reanalyze_export(
    open_page: Any, live_app: Any, artifacts: Path, sample_qms: Path, tmp_path: Path
) -> None:
    page, problems = open_page()
    sign_in(page, live_app, "consultant@hme.example")
    assert_accessible_basics(page)

    # ---- create a workspace: software type II, clause 6.10 tailored out
    page.get_by_role("link", name="New workspace").first.click()
    page.get_by_label("Name").fill("HME sample supplier")
    page.get_by_label("Software type").select_option("II")
    page.get_by_role("button", name="Add a tailored clause").click()
    page.get_by_label("Clause", exact=True).select_option("6.10")
    page.get_by_label("Justification").fill("Tier-2 supplier: no over-the-air deployment")
    assert_accessible_basics(page)
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("heading", name="HME sample supplier", level=1)).to_be_visible()
    expect(page.get_by_text("tailored out: 6.10")).to_be_visible()
    workspace_id = page.url.rsplit("/", 1)[-1]
    assert re.fullmatch(r"[0-9a-f]{32}", workspace_id)

    # ---- upload: four files by the picker (with a rejected one), one by drag and drop
    rejected = tmp_path / "scan.png"
    rejected.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    page.get_by_label("Choose files to upload").set_input_files(
        [sample_qms / name for name in UPLOADS] + [rejected]
    )
    uploads = page.locator(".upload-list li")
    expect(uploads.filter(has_text="Uploaded: new document")).to_have_count(len(UPLOADS))
    refused = uploads.filter(has_text="scan.png")
    expect(refused).to_have_class("rejected")
    expect(refused).to_contain_text("Rejected: scan.png: the file is a PNG image")
    drop_file(page, DROPPED, (sample_qms / DROPPED).read_bytes())
    expect(uploads.filter(has_text=DROPPED)).to_contain_text("Uploaded: new document")
    documents = page.get_by_role("region", name=re.compile(r"^Documents \(5\)"))
    expect(documents).to_be_visible()
    assert_accessible_basics(page)

    # ---- analyze, with live progress
    page.get_by_role("button", name="Start analysis").click()
    expect(page.get_by_role("progressbar", name="Analysis progress")).to_be_attached()
    first = wait_for_analysis(page)
    expect(documents).to_contain_text("passages")
    page.get_by_role("link", name="Open the dashboard").click()

    # ---- dashboard
    expect(page.get_by_role("heading", name="Stage 1 readiness")).to_be_visible()
    expect(page.locator("#readiness-score")).to_have_text(re.compile(r"^\d+\.\d %$"))
    chart = page.get_by_role("img", name=re.compile("Practices per status, by chapter"))
    expect(chart).to_be_visible()
    heatmap = page.locator("table.heatmap tbody tr")
    expect(heatmap).to_have_count(28)
    expect(heatmap.filter(has_text="6.10")).to_contain_text("Not applicable")
    expect(page.locator("#gap-list tbody tr").first).to_be_visible()
    assert_accessible_basics(page)
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)

    # ---- open a gap: a manual status with a reason, a comment, a missed passage attached
    first_gap = page.locator("#gap-list tbody tr").first
    gap_id = first_gap.locator("th a").inner_text()
    first_gap.locator("th a").click()
    card = page.locator(f"article.practice[data-practice='{gap_id}']")
    expect(card).to_have_attribute("data-status", re.compile("gap|partial"))
    page.get_by_label("Status", exact=True).select_option("covered")
    page.get_by_label("Reason", exact=True).fill("Checked on site: procedure approved last week")
    page.get_by_role("button", name="Set status").click()
    expect(page.locator("#manual-status")).to_contain_text("Covered (manual decision)")
    expect(card).to_have_attribute("data-status", "covered")
    expect(card.get_by_text("Manual decision")).to_be_visible()
    page.get_by_label("Add a comment").fill("To be verified at Stage 2.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("ul.comments")).to_contain_text("To be verified at Stage 2.")
    page.get_by_label("Search the documents for a passage the engine missed").fill(
        "quality policy management manual"
    )
    page.get_by_role("button", name="Search", exact=True).click()
    hit = page.locator(".search-results li").filter(has_text=PDF).first
    hit.get_by_role("button", name=re.compile("^Attach this passage")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(re.compile("Reason")).fill("The quality policy covers it")
    dialog.get_by_role("button", name="Attach").click()
    attached = card.locator("li.evidence").filter(has_text="Added by a reviewer")
    expect(attached).to_have_count(1)
    expect(attached).to_contain_text(PDF)
    audit = page.get_by_role("region", name=re.compile("events, oldest first"))
    for action in ("Set the status", "Commented", "Attached a passage"):
        expect(audit).to_contain_text(action)
    assert_accessible_basics(page)
    # the original opens in the browser's PDF viewer at the quoted page (token never in a URL)
    open_pdf = attached.get_by_role("button", name=re.compile(r"^Open QM-01.* at page \d+$"))
    page_number = re.search(r"page (\d+)", open_pdf.inner_text())
    assert page_number
    with page.expect_popup() as popup_info:
        open_pdf.click()
    popup = popup_info.value
    assert re.fullmatch(
        rf"blob:{re.escape(live_app.url)}/[0-9a-f-]+#page={page_number.group(1)}", popup.url
    )
    popup.close()

    # ---- open a covered clause (or, if the engine rated none covered, the clause with the
    # most covered practices): accept one evidence item of a covered practice, reject another
    page.get_by_role("link", name="Dashboard", exact=True).first.click()
    expect(heatmap).to_have_count(28)
    clause_id = page.evaluate(COVERED_CLAUSE)
    assert clause_id, "the engine rated no practice covered"
    heatmap.filter(has=page.locator(f"th a[href$='/clause/{clause_id}']")).locator("th a").click()
    expect(page.locator("#clause-status")).to_be_visible()
    expect(page.locator("blockquote[data-context='loaded'] mark").first).to_be_visible()
    practice_id = page.evaluate(
        """() => [...document.querySelectorAll('article.practice[data-status=covered]')].find(
            (a) => a.querySelectorAll('ul.evidence-list > li [data-action=reject]').length >= 2
        )?.dataset.practice"""
    )
    assert practice_id, f"clause {clause_id} has no covered practice with two evidence items"
    practice = page.locator(f"article.practice[data-practice='{practice_id}']")
    items = practice.locator("ul.evidence-list > li")
    kept = items.nth(0)
    kept_key = (kept.get_attribute("data-document"), kept.get_attribute("data-start"))
    kept.locator("[data-action=accept]").click()
    expect(evidence_item(practice, kept_key).get_by_text("Accepted", exact=True)).to_be_visible()
    dropped = items.nth(1)
    dropped_key = (dropped.get_attribute("data-document"), dropped.get_attribute("data-start"))
    dropped_quote = dropped.locator("mark").inner_text()
    dropped.locator("[data-action=reject]").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")  # Escape closes the dialog; nothing is decided
    expect(page.get_by_role("dialog")).to_have_count(0)
    dropped.locator("[data-action=reject]").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(re.compile("Reason")).fill("Generic statement, not about software")
    dialog.get_by_role("button", name="Reject").click()
    expect(evidence_item(practice, dropped_key)).to_have_count(0)
    expect(practice.locator(".rejected-evidence")).to_contain_text(dropped_quote[:40])

    # ---- a new version of one document, analyzed again
    page.get_by_role("link", name="Documents and analyses").click()
    revised = tmp_path / DROPPED
    original = (sample_qms / DROPPED).read_bytes()
    revised.write_bytes(original + b"\n\n## Annex\nRevised build rules.\n")
    page.get_by_label("Choose files to upload").set_input_files(revised)
    expect(page.locator(".upload-list li").first).to_contain_text(
        f"Uploaded: version 2 of {DROPPED}"
    )
    page.get_by_role("button", name="Start analysis").click()
    second = wait_for_analysis(page, previous=first)

    # the comparison shows what changed
    page.get_by_role("link", name="Compare", exact=True).click()
    diff_documents = page.get_by_role("region", name="Changed documents")
    expect(diff_documents).to_contain_text(DROPPED)
    expect(diff_documents).to_contain_text("updated")
    expect(page.locator("#diff")).to_contain_text("readiness")
    assert_accessible_basics(page)

    # the decisions still apply to the new analysis
    page.goto(f"{live_app.url}/#/w/{workspace_id}/clause/{clause_id}")
    practice = page.locator(f"article.practice[data-practice='{practice_id}']")
    expect(practice).to_be_visible()
    expect(evidence_item(practice, kept_key).get_by_text("Accepted", exact=True)).to_be_visible()
    expect(evidence_item(practice, dropped_key)).to_have_count(0)
    expect(practice.locator(".rejected-evidence")).to_contain_text(dropped_quote[:40])
    expect(page.locator("#analysis-picker option")).to_have_count(2)
    assert_accessible_basics(page)
    page.screenshot(path=str(artifacts / "clause-view.png"), full_page=True)

    # ---- export every report format (the JSON has the decisions applied)
    page.get_by_role("link", name="Back to the dashboard").click()
    name, data = downloaded(page, "json")
    assert re.fullmatch(r"qmsgap-hme-sample-supplier-[0-9a-f]{8}\.json", name)
    assert name.split("-")[-1].startswith(second[:8])
    report = json.loads(data)
    assert report["schema"] == "qmsgap.coverage/1"
    practices = {p["id"]: p for c in report["clauses"] for p in c["practices"]}
    assert practices[gap_id]["status"] == "covered"
    assert practices[gap_id]["status_source"] == "manual"
    assert dropped_quote not in [e["quote"] for e in practices[practice_id]["evidence"]]
    assert report["tailoring"] == {"6.10": "Tier-2 supplier: no over-the-air deployment"}
    name, data = downloaded(page, "html")
    assert name.endswith(".html")
    text = data.decode("utf-8")
    assert "<html" in text.lower()
    assert gap_id in text
    name, data = downloaded(page, "csv")
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert any("practice" in column.lower() for column in header), header
    for format_, magic in (("xlsx", b"PK\x03\x04"), ("docx", b"PK\x03\x04"), ("pdf", b"%PDF")):
        name, data = downloaded(page, format_)
        assert name.endswith(f".{format_}")
        assert data.startswith(magic), format_

    assert_clean(problems)


def test_keyboard_only_sign_in_with_token_in_session_storage(open_page: Any, live_app: Any) -> None:
    page, problems = open_page()
    page.goto(f"{live_app.url}/")
    expect(page.get_by_role("heading", name="Sign in to qmsgap")).to_be_focused()
    assert_accessible_basics(page)
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.keyboard.type("consultant@hme.example")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(live_app.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Workspaces", level=1)).to_be_focused()
    token = page.evaluate("() => sessionStorage.getItem('qmsgap.token')")
    assert token and len(token) >= 40
    assert page.evaluate("() => localStorage.length") == 0
    assert token not in page.url

    # links and buttons work from the keyboard: Enter follows a link, Space presses a button
    page.get_by_role("link", name="New workspace").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New workspace", level=1)).to_be_focused()
    page.get_by_role("button", name="Add a tailored clause").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Clause", exact=True)).to_be_focused()
    assert_accessible_basics(page)
    page.get_by_label("Name").focus()
    page.keyboard.type("Keyboard workspace")
    page.get_by_role("button", name="Remove").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".tailoring-row")).to_have_count(0)
    page.get_by_role("button", name="Create workspace").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard workspace", level=1)).to_be_focused()

    # signing out forgets the token; a reload lands on the sign-in page
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to qmsgap")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('qmsgap.token')") is None
    assert_clean(problems)


def _analyzed_workspace(live: Any, sample: Path) -> str:
    """A workspace with two Markdown documents and one finished analysis, made through the
    API, and an auditor of the organisation who is not a member yet."""
    live.add_user("auditor@hme.example", Role.AUDITOR)
    with live.client("consultant@hme.example") as consultant:
        workspace = consultant.post("/workspaces", json={"name": "Narrow screen supplier"})
        workspace.raise_for_status()
        ws = workspace.json()["id"]
        files = [
            ("files", (name, (sample / name).read_bytes(), "application/octet-stream"))
            for name in (DROPPED, "WI-8.3-10_Review_Guideline.md")
        ]
        consultant.post(f"/workspaces/{ws}/documents", files=files).raise_for_status()
        analysis = consultant.post(f"/workspaces/{ws}/analyses")
        analysis.raise_for_status()
        deadline = time.monotonic() + ANALYSIS_TIMEOUT / 1000
        while True:
            state = consultant.get(f"/workspaces/{ws}/analyses/{analysis.json()['id']}").json()
            if state["status"] not in ("queued", "running") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert state["status"] == "succeeded", state
    return ws


def test_auditor_on_a_narrow_screen_reads_and_comments_but_cannot_change(
    open_page: Any, live_app: Any, artifacts: Path, sample_qms: Path
) -> None:
    ws = _analyzed_workspace(live_app, sample_qms)
    # the administrator makes the auditor a member
    admin, admin_problems = open_page()
    sign_in(admin, live_app, "admin@hme.example")
    admin.get_by_role("link", name="Narrow screen supplier").click()
    members = admin.get_by_role("region", name=re.compile(r"^Members \("))
    expect(members).to_contain_text("consultant@hme.example")
    admin.get_by_label("User of the organisation").select_option(
        label="Auditor (auditor@hme.example, auditor)"
    )
    admin.get_by_role("button", name="Add member").click()
    expect(members).to_contain_text("auditor@hme.example")
    assert_accessible_basics(admin)
    assert_clean(admin_problems)

    page, problems = open_page(width=390, height=844)
    sign_in(page, live_app, "auditor@hme.example")
    page.get_by_role("link", name="Narrow screen supplier").click()
    expect(page.get_by_role("heading", name="Narrow screen supplier", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Upload documents")).to_have_count(0)
    expect(page.get_by_role("button", name="Start analysis")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Delete"))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Download"))).to_have_count(2)
    expect(page.get_by_role("button", name="Add member")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
    assert_accessible_basics(page)

    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="Stage 1 readiness")).to_be_visible()
    expect(page.locator(".chart svg")).to_be_visible()
    # nothing wider than the screen: wide tables scroll inside their own region
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible_basics(page)
    page.screenshot(path=str(artifacts / "dashboard-narrow.png"), full_page=True)

    page.locator("table.heatmap tbody tr th a").first.click()
    expect(page.locator("#clause-status")).to_be_visible()
    expect(page.locator("[data-action=accept], [data-action=reject]")).to_have_count(0)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("article.practice h2 a").first.click()
    expect(page.get_by_role("heading", name="Manual status")).to_be_visible()
    expect(page.get_by_role("button", name="Set status")).to_have_count(0)
    expect(page.get_by_role("heading", name="Add a missed passage")).to_have_count(0)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_label("Add a comment").fill("Evidence to be sampled at Stage 2.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("ul.comments")).to_contain_text("auditor@hme.example")
    assert_accessible_basics(page)
    assert f"/w/{ws}/practice/" in page.url
    assert_clean(problems)
