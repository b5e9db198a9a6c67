"""Smoke test on the 104 public Markdown QMS documents in /work/shared/corpus/real-qms (read in
place, never copied): all of them are read, with sane sections and exact passages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qmsgap.ingest import DocumentParser, discover
from qmsgap.ingest.models import DocumentFormat, ParsedDocument
from qmsgap.settings import Settings

pytestmark = pytest.mark.integration
REAL = Path("/work/shared/corpus/real-qms/docs")


@pytest.mark.skipif(not REAL.is_dir(), reason="the shared real-qms corpus is not mounted")
def test_real_markdown_qms_documents(
    settings: Settings, invariants: Callable[[ParsedDocument], None]
) -> None:
    files = discover([REAL])
    assert len(files) == 104
    parser = DocumentParser(settings)
    documents = [parser.parse_file(f, display_path=f.relative_to(REAL).as_posix()) for f in files]
    passages = [p for d in documents for p in d.passages]
    assert all(d.format is DocumentFormat.MARKDOWN for d in documents)
    for document in documents:
        invariants(document)
        assert document.passages, document.path
        for passage in document.passages:
            assert all(0 < len(title) <= 200 and "#" not in title for title in passage.section)
    # nearly every passage is inside a heading; the rest is text above the first heading
    assert sum(1 for p in passages if p.section) / len(passages) > 0.97
    by_path = {d.path: d for d in documents}
    capa = by_path["openregulatory/qms/sop-capa.md"]
    assert capa.metadata.title == "SOP Corrective and Preventive Action (CAPA)"
    assert (
        "SOP Corrective and Preventive Action (CAPA)",
        "Process Steps",
        "3. Root Cause Analysis",
    ) in {p.section for p in capa.passages}
    incident = by_path["strongdm-comply/incident.md"]  # YAML front matter without opening rule
    assert incident.metadata.title == "Security Incident Response Policy"
    assert incident.metadata.issue_date is not None
    assert not incident.canonical_text.startswith("name:")
