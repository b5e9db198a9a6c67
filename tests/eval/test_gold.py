"""Loading and validating the gold files: good files load, every bad line is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qmsgap.clauses.models import Catalog
from qmsgap.errors import GoldLabelError
from qmsgap.eval.gold import load_document_labels, load_labels

pytestmark = pytest.mark.unit

QUOTE = "Internal audits are planned once a year by the quality manager and cover every process."


def _label(pid: str, status: str, quote: str | None = QUOTE, document: str = "qm.md") -> dict:
    evidence = [] if quote is None else [{"document": document, "quote": quote, "page": None}]
    return {
        "practice_id": pid,
        "status": status,
        "evidence": evidence,
        "rationale": "because",
        "labeller": "tester",
        "disputed": False,
    }


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "qm.md").write_text(QUOTE)
    (root / "sub" / "doc.md").write_text("text")
    return root


def _write(tmp_path: Path, rows: list[object]) -> Path:
    path = tmp_path / "labels.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_valid_labels_load(tmp_path: Path, corpus: Path, tiny_catalog: Catalog) -> None:
    path = _write(
        tmp_path,
        [_label("4.4.1", "covered"), "", _label("5.1.2", "gap", None), _label("5.1.1", "partial")],
    )
    gold = load_labels(path, tiny_catalog, corpus)
    assert gold.statuses == {"4.4.1": "covered", "5.1.2": "gap", "5.1.1": "partial"}
    assert gold.documents == {"qm.md"}
    assert gold.warnings == ()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        (_label("9.9.9", "covered"), "line 2: practice '9.9.9' is not in catalog"),
        (_label("4.4.1", "covered"), "line 2: practice '4.4.1' is already labelled on line 1"),
        (_label("4.4.2", "gap"), "line 2: a gap lists no evidence"),
        (_label("4.4.2", "covered", None), "line 2: covered practice 4.4.2 needs at least one"),
        (_label("4.4.2", "covered", document="nope.md"), "'nope.md' does not exist"),
        (_label("4.4.2", "covered", document="../x.md"), "relative path inside the corpus"),
        (_label("4.4.2", "maybe"), "line 2: status"),
        ({**_label("4.4.2", "covered"), "extra": 1}, "line 2: extra"),
        (_label("4.4.2", "covered", quote="   "), "quote is blank"),
    ],
)
def test_bad_lines_are_named(
    tmp_path: Path, corpus: Path, tiny_catalog: Catalog, row: object, message: str
) -> None:
    path = _write(tmp_path, [_label("4.4.1", "covered"), row])
    with pytest.raises(GoldLabelError, match=message):
        load_labels(path, tiny_catalog, corpus)


def test_missing_and_empty_files(tmp_path: Path, corpus: Path, tiny_catalog: Catalog) -> None:
    with pytest.raises(GoldLabelError, match="not found"):
        load_labels(tmp_path / "absent.jsonl", tiny_catalog, corpus)
    with pytest.raises(GoldLabelError, match="no labels"):
        load_labels(_write(tmp_path, [""]), tiny_catalog, corpus)


def test_short_quote_is_a_warning(tmp_path: Path, corpus: Path, tiny_catalog: Catalog) -> None:
    gold = load_labels(
        _write(tmp_path, [_label("4.4.1", "covered", quote="Internal audits")]),
        tiny_catalog,
        corpus,
    )
    assert len(gold.warnings) == 1
    assert "2 words" in gold.warnings[0]


def _yaml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "documents.yaml"
    path.write_text(body)
    return path


def test_document_labels_load(tmp_path: Path, corpus: Path, tiny_catalog: Catalog) -> None:
    path = _yaml(
        tmp_path,
        "corpus_root: corpus\ndocuments:\n"
        "  qm.md: {processes: ['4.4', '5.1'], note: manual}\n"
        "  sub/doc.md: {processes: []}\n",
    )
    gold = load_document_labels(path, tiny_catalog, repo_root=tmp_path)
    assert gold.corpus_root == corpus.resolve()
    assert gold.documents_of_process() == {"4.4": {"qm.md"}, "5.1": {"qm.md"}}
    assert gold.warnings == ()


def test_document_labels_warn_about_unlabelled_files(
    tmp_path: Path, corpus: Path, tiny_catalog: Catalog
) -> None:
    path = _yaml(tmp_path, "corpus_root: elsewhere\ndocuments:\n  qm.md: {processes: ['4.4']}\n")
    gold = load_document_labels(path, tiny_catalog, repo_root=tmp_path, corpus_root=corpus)
    assert gold.warnings == ("sub/doc.md: on disk but not labelled",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("corpus_root: corpus\ndocuments:\n  qm.md: {processes: ['7.7']}\n", "unknown processes"),
        ("corpus_root: corpus\ndocuments:\n  gone.md: {processes: []}\n", "does not exist"),
        ("corpus_root: nowhere\ndocuments:\n  qm.md: {processes: []}\n", "is not a folder"),
        ("corpus_root: corpus\ndocuments: [\n", "line 3: not valid YAML"),
        ("corpus_root: corpus\n", "documents"),
        ("corpus_root: corpus\ndocuments:\n  qm.md: {process: []}\n", "process"),
    ],
)
def test_bad_document_labels(
    tmp_path: Path, corpus: Path, tiny_catalog: Catalog, body: str, message: str
) -> None:
    with pytest.raises(GoldLabelError, match=message):
        load_document_labels(_yaml(tmp_path, body), tiny_catalog, repo_root=tmp_path)
