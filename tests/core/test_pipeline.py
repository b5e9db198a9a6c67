from __future__ import annotations

from pathlib import Path

import pytest

from qmsgap.errors import DocumentError, NotFound
from qmsgap.pipeline import Analyzer, analysis_root

pytestmark = pytest.mark.integration


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def qms(tmp_path: Path) -> Path:
    root = tmp_path / "qms"
    _write(
        root,
        "procedures/configuration.md",
        "# Configuration Management Procedure\n\n## 4 Baselines\n\n"
        "A baseline of all configuration items is created for every software release and "
        "tagged in Git. The configuration manager approves each baseline.\n",
    )
    _write(
        root,
        "procedures/calibration.md",
        "# Calibration Procedure\n\n## 3 Calibration\n\nGauges are calibrated every year.\n",
    )
    _write(root, "copy-of-calibration.md", (root / "procedures/calibration.md").read_text())
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\n garbage")
    return root


def test_analysis_root_is_the_folder_or_the_common_parent(tmp_path: Path) -> None:
    a = _write(tmp_path, "x/a.md", "a")
    b = _write(tmp_path, "x/y/b.md", "b")
    assert analysis_root([tmp_path / "x"]) == (tmp_path / "x").resolve()
    assert analysis_root([a]) == (tmp_path / "x").resolve()
    assert analysis_root([a, b]) == (tmp_path / "x").resolve()


def test_a_folder_is_analyzed_with_relative_paths_failures_and_duplicates(
    settings, fake_embedder, qms: Path
) -> None:
    run = Analyzer(settings, embedder=fake_embedder).run([qms], software_type="I")
    paths = sorted(d.path for d in run.documents)
    assert paths == ["copy-of-calibration.md", "procedures/configuration.md"] or paths == [
        "procedures/calibration.md",
        "procedures/configuration.md",
    ]
    assert [f.path for f in run.failures] == ["broken.pdf"]
    assert len(run.duplicates) == 1
    report = run.analysis.report
    assert {d.document for d in report.documents} >= {"broken.pdf", "procedures/configuration.md"}
    assert report.framework.id == "asqms" and report.software_type == "I"
    by_id = {d.document_id: d for d in run.documents}
    for practice in report.practices():
        for e in practice.evidence:
            assert by_id[e.document_id].canonical_text[e.start : e.end] == e.quote


def test_a_second_run_parses_and_embeds_nothing_new(settings, fake_embedder, qms: Path) -> None:
    analyzer = Analyzer(settings, embedder=fake_embedder)
    first = analyzer.run([qms])
    assert first.ingest.parsed == 3 and first.analysis.embedded_passages > 0
    second = analyzer.run([qms])
    assert second.ingest.parsed == 0 and second.ingest.from_cache == 3
    assert second.analysis.embedded_passages == 0
    _write(qms, "procedures/oss.md", "# Open Source\n\nLicences of open source are reviewed.\n")
    third = analyzer.run([qms])
    assert third.ingest.parsed == 1
    assert 0 < third.analysis.embedded_passages < first.analysis.embedded_passages


def test_bad_inputs_get_clear_errors(settings, fake_embedder, tmp_path: Path) -> None:
    analyzer = Analyzer(settings, embedder=fake_embedder)
    with pytest.raises(NotFound, match="no such file or folder"):
        analyzer.run([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DocumentError, match="no documents found"):
        analyzer.run([tmp_path / "empty"])
    _write(tmp_path, "bad/x.pdf", "%PDF-1.7\n truncated")
    with pytest.raises(DocumentError, match="none of the 1 files could be read"):
        analyzer.run([tmp_path / "bad"])
    with pytest.raises(NotFound):
        analyzer.run([tmp_path / "bad"], catalog_id="no-such-catalog")
