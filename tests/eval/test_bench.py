"""The benchmark's corpus copies are genuinely distinct (no timings are tested here)."""

from __future__ import annotations

import pytest
import yaml

from qmsgap.eval.bench import summarize, tag_markdown_source, tag_workbook_source

pytestmark = pytest.mark.unit

SOURCE = """---
file: QP-1.pdf
title: Something
---

# 1 Purpose

This procedure says what it does.

- first item
<!-- pagebreak -->

| Role | Task |
|---|---|
| QM | approves |

```
code stays
```
"""


def test_markdown_tag_reaches_every_content_line_but_not_the_structure() -> None:
    tagged = tag_markdown_source(SOURCE, "(copy 2)")
    lines = tagged.split("\n")
    assert lines[:4] == ["---", "file: QP-1.pdf", "title: Something", "---"]
    assert "# 1 Purpose (copy 2)" in lines
    assert "This procedure says what it does. (copy 2)" in lines
    assert "- first item (copy 2)" in lines
    assert "<!-- pagebreak -->" in lines
    assert "| (copy 2) Role | Task |" in lines
    assert "|---|---|" in lines
    assert "| (copy 2) QM | approves |" in lines
    assert "```" in lines


def test_workbook_tag_changes_text_cells_only() -> None:
    source = yaml.safe_dump(
        {"file": "F.xlsx", "sheets": [{"name": "Log", "rows": [["Id", "Text"], [1, "=A1"]]}]}
    )
    data = yaml.safe_load(tag_workbook_source(source, "(copy 3)"))
    assert data["file"] == "F.xlsx"
    assert data["sheets"][0]["name"] == "Log"
    assert data["sheets"][0]["rows"] == [["Id (copy 3)", "Text (copy 3)"], [1, "=A1"]]


def test_summary_ratios() -> None:
    results = {
        "parse": {"pdf_pages": 100, "documents": 10, "characters": 1000, "seconds": 4.0},
        "embed": [
            {"backend": "sentence-transformers", "passages_per_second": 50.0},
            {"backend": "onnx", "passages_per_second": 100.0},
            {"backend": "onnx-int8", "available": False, "reason": "missing"},
        ],
        "analyze_cold": {"seconds": 30.0, "peak_rss_mb": 900.0},
        "analyze_warm": {"seconds": 6.0, "peak_rss_mb": 700.0},
        "naive_rag": {"seconds": 20.0, "peak_rss_mb": 800.0},
        "scaling": [],
    }
    s = summarize(results)
    assert s["pdf_pages_per_second"] == 25.0
    assert s["embed_speed_vs_torch"] == {
        "sentence-transformers": 1.0,
        "onnx": 2.0,
        "onnx-int8": None,
    }
    assert s["cold_vs_naive_rag"] == 1.5
    assert s["warm_vs_naive_rag"] == 0.3
