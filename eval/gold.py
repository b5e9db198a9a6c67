"""Gold labels: loading and validating the two gold sets (format: eval/gold/README.md).

- Sample QMS set: ``labels.jsonl``, one practice per line, expected status plus verbatim
  evidence quotes (located in the ingested text by :mod:`qmsgap.eval.spans`).
- Real-documents set: ``documents.yaml``, which ASQMS processes each public QMS document serves.

Every problem is reported with the file and line, and nothing is silently dropped: a bad line
is an error, not a skipped line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qmsgap.clauses.models import Catalog
from qmsgap.errors import GoldLabelError

GoldStatus = Literal["covered", "partial", "gap"]
QUOTE_WORDS = (8, 60)
"""The recommended length of a quote, in words; outside it is a warning, not an error."""


class GoldEvidence(BaseModel):
    """A span an auditor would cite: a document and a verbatim quote from it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: str = Field(min_length=1, description="Path relative to the corpus root.")
    quote: str = Field(min_length=1, description="Verbatim text; whitespace may differ.")
    section: str | None = None
    page: int | None = Field(default=None, ge=1)

    @field_validator("document")
    @classmethod
    def _relative_path(cls, value: str) -> str:
        path = PurePosixPath(value)
        if path.is_absolute() or ".." in path.parts or "\\" in value:
            raise ValueError(f"document must be a relative path inside the corpus: {value!r}")
        return value

    @field_validator("quote")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("quote is blank")
        return value


class GoldLabel(BaseModel):
    """The expected answer for one practice."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    practice_id: str = Field(min_length=1)
    status: GoldStatus
    evidence: tuple[GoldEvidence, ...] = ()
    rationale: str = Field(min_length=1)
    labeller: str = Field(min_length=1)
    disputed: bool = False


@dataclass(frozen=True)
class GoldSet:
    """The sample-QMS labels by practice id, with the non-fatal remarks found while loading."""

    path: Path
    corpus_root: Path
    labels: dict[str, GoldLabel]
    warnings: tuple[str, ...] = ()

    @property
    def statuses(self) -> dict[str, str]:
        return {pid: label.status for pid, label in self.labels.items()}

    @property
    def documents(self) -> set[str]:
        return {e.document for label in self.labels.values() for e in label.evidence}


def load_labels(path: Path, catalog: Catalog, corpus_root: Path) -> GoldSet:
    """Read and validate ``labels.jsonl`` against the catalog and the corpus folder.

    Raises:
        GoldLabelError: the file is missing or unreadable; a line is not JSON or does not match
            the format (the message names the line); a practice id is unknown to the catalog or
            labelled twice; a gap lists evidence or a covered/partial practice lists none; an
            evidence document does not exist under ``corpus_root``.
    """
    text = _read(path)
    known = {p.id for clause in catalog.clauses for p in clause.practices}
    labels: dict[str, GoldLabel] = {}
    first_line: dict[str, int] = {}
    warnings: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldLabelError(f"{where}: not valid JSON ({exc.msg})") from exc
        try:
            label = GoldLabel.model_validate(raw)
        except ValidationError as exc:
            raise GoldLabelError(f"{where}: {_describe(exc)}") from exc
        if label.practice_id not in known:
            raise GoldLabelError(
                f"{where}: practice {label.practice_id!r} is not in catalog {catalog.id!r}"
            )
        if label.practice_id in labels:
            raise GoldLabelError(
                f"{where}: practice {label.practice_id!r} is already labelled on line "
                f"{first_line[label.practice_id]}"
            )
        if label.status == "gap" and label.evidence:
            raise GoldLabelError(f"{where}: a gap lists no evidence, {label.practice_id} has some")
        if label.status != "gap" and not label.evidence:
            raise GoldLabelError(
                f"{where}: {label.status} practice {label.practice_id} needs at least one "
                "evidence span"
            )
        for item in label.evidence:
            if not (corpus_root / item.document).is_file():
                raise GoldLabelError(
                    f"{where}: evidence document {item.document!r} does not exist under "
                    f"{corpus_root}"
                )
            words = len(item.quote.split())
            if not QUOTE_WORDS[0] <= words <= QUOTE_WORDS[1]:
                warnings.append(
                    f"{where}: quote for {label.practice_id} has {words} words "
                    f"(recommended {QUOTE_WORDS[0]}-{QUOTE_WORDS[1]})"
                )
        labels[label.practice_id] = label
        first_line[label.practice_id] = number
    if not labels:
        raise GoldLabelError(f"{path}: no labels")
    return GoldSet(path, corpus_root, labels, tuple(warnings))


class DocumentLabel(BaseModel):
    """Which ASQMS processes one real document substantively serves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    processes: tuple[str, ...] = ()
    note: str = ""


class _DocumentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    corpus_root: str = Field(min_length=1)
    documents: dict[str, DocumentLabel | None]


@dataclass(frozen=True)
class DocumentGoldSet:
    """The real-documents labels: document path (relative to ``corpus_root``) -> processes."""

    path: Path
    corpus_root: Path
    documents: dict[str, DocumentLabel]
    warnings: tuple[str, ...] = field(default=())

    def documents_of_process(self) -> dict[str, set[str]]:
        """process id -> the documents labelled as serving it."""
        out: dict[str, set[str]] = {}
        for doc, label in self.documents.items():
            for process in label.processes:
                out.setdefault(process, set()).add(doc)
        return out


def load_document_labels(
    path: Path, catalog: Catalog, repo_root: Path, corpus_root: Path | None = None
) -> DocumentGoldSet:
    """Read and validate ``documents.yaml``.

    ``corpus_root`` in the file is relative to ``repo_root``; pass ``corpus_root`` to override
    it (e.g. when the package is installed outside the repository).

    Raises:
        GoldLabelError: the file is missing, not YAML, or not in the format; the corpus folder
            does not exist; a listed document does not exist; a process id is not a clause of
            the catalog.
    """
    text = _read(path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise GoldLabelError(f"{path.name}{line}: not valid YAML ({exc})") from exc
    try:
        parsed = _DocumentsFile.model_validate(raw)
    except ValidationError as exc:
        raise GoldLabelError(f"{path.name}: {_describe(exc)}") from exc
    root = corpus_root if corpus_root is not None else (repo_root / parsed.corpus_root).resolve()
    if not root.is_dir():
        raise GoldLabelError(
            f"{path.name}: corpus_root {root} is not a folder (pass the corpus location explicitly "
            "when qmsgap is installed outside its repository)"
        )
    processes = {clause.id for clause in catalog.clauses}
    documents: dict[str, DocumentLabel] = {}
    for name, label in parsed.documents.items():
        entry = label if label is not None else DocumentLabel()
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise GoldLabelError(f"{path.name}: document {name!r} must be relative to corpus_root")
        if not (root / name).is_file():
            raise GoldLabelError(f"{path.name}: document {name!r} does not exist under {root}")
        unknown = sorted(set(entry.processes) - processes)
        if unknown:
            raise GoldLabelError(
                f"{path.name}: document {name!r} names unknown processes {unknown} "
                f"(catalog {catalog.id!r} has {sorted(processes)})"
            )
        documents[name] = entry
    labelled = set(documents)
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    warnings = tuple(f"{name}: on disk but not labelled" for name in sorted(on_disk - labelled))
    if not documents:
        raise GoldLabelError(f"{path}: no documents")
    return DocumentGoldSet(path, root, documents, warnings)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise GoldLabelError(f"gold file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldLabelError(f"cannot read gold file {path}: {exc}") from exc


def _describe(exc: ValidationError) -> str:
    parts: Iterable[str] = (
        f"{'.'.join(str(x) for x in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors()
    )
    return "; ".join(parts)
