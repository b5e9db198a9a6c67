"""Catalog validation with precise messages: ``file:line: practice '5.5.3': what is wrong``.

Two layers: :func:`validate_model` turns pydantic errors into located problems, and
:func:`check_catalog` / :func:`check_crosswalk` do the checks pydantic cannot (unique ids, parents
exist, practice types declared, themes known, crosswalk targets exist). Problems are collected
and raised together in one :class:`~qmsgap.errors.CatalogError`, so a broken file is fixed in one
pass rather than one error at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from qmsgap.clauses.evidence_terms import term_problems
from qmsgap.clauses.models import Catalog, Crosswalk, Practice
from qmsgap.clauses.yamlsource import DataPath, Location, SourceDocument
from qmsgap.errors import CatalogError

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_REPORTED_PROBLEMS = 50


class OriginMap(Protocol):
    """Where a value of a catalog came from, addressed by its path in the catalog structure
    (``("clauses", 3, "practices", 2, "type")``)."""

    def location(self, path: DataPath) -> Location:
        """The file and line of ``path`` (or of its nearest known ancestor)."""
        ...


@dataclass
class DocumentOrigins:
    """Origins for a catalog assembled from YAML documents (a root file plus included files)."""

    root: SourceDocument
    clause_sources: list[tuple[SourceDocument, DataPath]] = field(default_factory=list)

    def location(self, path: DataPath) -> Location:
        if (
            len(path) >= 2
            and path[0] == "clauses"
            and isinstance(path[1], int)
            and path[1] < len(self.clause_sources)
        ):
            document, prefix = self.clause_sources[path[1]]
            return document.location((*prefix, *path[2:]))
        return self.root.location(path)


@dataclass
class Problems:
    """Collected validation problems, raised together."""

    items: list[str] = field(default_factory=list)

    def add(self, location: Location, subject: str | None, message: str) -> None:
        """Record a problem; the same problem at the same place is recorded once."""
        prefix = f"{location}: {subject}: " if subject else f"{location}: "
        if prefix + message not in self.items:
            self.items.append(prefix + message)

    def raise_if_any(self, what: str) -> None:
        """Raises CatalogError listing every problem, if there is at least one."""
        if not self.items:
            return
        shown = self.items[:MAX_REPORTED_PROBLEMS]
        more = len(self.items) - len(shown)
        lines = [f"{what} is invalid ({len(self.items)} problem(s)):", *shown]
        if more:
            lines.append(f"... and {more} more")
        raise CatalogError("\n".join(lines))


def subject_at(raw: Any, path: Sequence[str | int], kind_of_root: str = "catalog") -> str | None:
    """A readable name of the item that holds ``path``: "practice '5.5.3'", "clause '5.5'"..."""
    subject: str | None = None
    current = raw
    kind = kind_of_root
    if isinstance(current, Mapping) and isinstance(current.get("id"), str):
        subject = f"{kind} '{current['id']}'"
    for step in path:
        if isinstance(current, Mapping) and isinstance(step, str):
            kind = {
                "clauses": "clause",
                "practices": "practice",
                "chapters": "chapter",
                "practice_types": "practice type",
                "links": "link",
            }.get(step, kind)
            current = current.get(step)
        elif (
            isinstance(current, Sequence) and not isinstance(current, str) and isinstance(step, int)
        ):
            current = current[step] if 0 <= step < len(current) else None
        else:
            break
        if isinstance(current, Mapping):
            for key in ("id", "key", "source"):
                if isinstance(current.get(key), str):
                    subject = f"{kind} '{current[key]}'"
                    break
    return subject


def _describe(error: Mapping[str, Any]) -> str:
    loc = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
    field_name = loc.rsplit(".", 1)[-1] if loc else ""
    message = str(error["msg"])
    kind = error.get("type", "")
    value = error.get("input")
    if kind == "string_too_short" and field_name == "requirement":
        return "requirement (the paraphrase) is empty"
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if field_name == "evidence_terms":
        return _describe_terms(message, value if kind == "string_type" and number else None)
    if kind == "string_type" and number:
        return (
            f"{loc}: {message}, got the number {value!r} (quote it in YAML, e.g. '5.10', "
            "or 5.10 is read as 5.1)"
        )
    if kind == "missing":
        return f"{loc}: required field is missing"
    if kind == "extra_forbidden":
        return f"{loc}: unknown field"
    return f"{loc}: {message}" if loc else message


def _describe_terms(message: str, number: object) -> str:
    if number is not None:
        return f"evidence_terms: the term {number!r} is a number; quote it in YAML ('{number}')"
    return (
        f"evidence_terms: {message}; expected a list of groups, each a list of terms, "
        "e.g. [[tool, compiler], [validation, qualif*]]"
    )


def validate_model(
    model: type[ModelT],
    raw: Any,
    origins: OriginMap,
    prefix: DataPath,
    problems: Problems,
    *,
    subject_root: Any = None,
    kind_of_root: str = "catalog",
) -> ModelT | None:
    """Validate ``raw`` as ``model``; record located problems and return None on failure."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            path = (*prefix, *loc)
            subject = subject_at(
                subject_root if subject_root is not None else raw,
                path if subject_root is not None else loc,
                kind_of_root,
            )
            problems.add(origins.location(path), subject, _describe(error))
        return None


def check_catalog(
    catalog: Catalog,
    origins: OriginMap,
    problems: Problems,
    *,
    themes: frozenset[str] | None = None,
) -> None:
    """Checks pydantic cannot do alone; records located problems.

    Unique chapter/clause/practice ids and practice type keys, chapter of every clause exists,
    practice ids under their clause id, practice types declared, non-blank titles and
    paraphrases, obligation rules covering the declared software types, known themes, evidence
    terms following the rules of :func:`~qmsgap.clauses.evidence_terms.term_problems`.
    """
    seen_chapters, type_keys = _check_header(catalog, origins, problems)
    ids: dict[str, Location] = {}
    for ci, clause in enumerate(catalog.clauses):
        where = origins.location(("clauses", ci, "id"))
        if clause.id in ids:
            problems.add(
                where, f"clause '{clause.id}'", f"duplicate id (first at {ids[clause.id]})"
            )
        ids.setdefault(clause.id, where)
        if clause.chapter not in seen_chapters:
            problems.add(
                origins.location(("clauses", ci, "chapter")),
                f"clause '{clause.id}'",
                f"parent chapter '{clause.chapter}' does not exist "
                f"(chapters: {', '.join(seen_chapters) or 'none'})",
            )
        if not clause.title.strip():
            problems.add(
                origins.location(("clauses", ci, "title")), f"clause '{clause.id}'", "empty title"
            )
        for pi, practice in enumerate(clause.practices):
            _check_practice(
                practice,
                clause.id,
                ("clauses", ci, "practices", pi),
                ids,
                _Context(origins, problems, type_keys, themes),
            )


def _check_header(
    catalog: Catalog, origins: OriginMap, problems: Problems
) -> tuple[dict[str, Location], dict[str, Location]]:
    subject = f"catalog '{catalog.id}'"
    seen_chapters: dict[str, Location] = {}
    for index, chapter in enumerate(catalog.chapters):
        where = origins.location(("chapters", index, "id"))
        if chapter.id in seen_chapters:
            problems.add(
                where,
                f"chapter '{chapter.id}'",
                f"duplicate chapter id (first at {seen_chapters[chapter.id]})",
            )
        seen_chapters.setdefault(chapter.id, where)

    type_keys: dict[str, Location] = {}
    for index, rule in enumerate(catalog.practice_types):
        where = origins.location(("practice_types", index, "key"))
        if rule.key in type_keys:
            problems.add(
                where,
                f"practice type '{rule.key}'",
                f"duplicate practice type (first at {type_keys[rule.key]})",
            )
        type_keys.setdefault(rule.key, where)
        unknown = sorted(set(rule.obligation) - set(catalog.software_types) - {"default"})
        if unknown:
            problems.add(
                origins.location(("practice_types", index, "obligation")),
                f"practice type '{rule.key}'",
                f"obligation names software types {unknown} that the catalog does not declare "
                f"(declared: {list(catalog.software_types)})",
            )
        missing = [t for t in catalog.software_types if t not in rule.obligation]
        if missing and "default" not in rule.obligation:
            problems.add(
                origins.location(("practice_types", index, "obligation")),
                f"practice type '{rule.key}'",
                f"no obligation for software type(s) {missing} and no 'default'",
            )
    if not catalog.practice_types:
        problems.add(origins.location(("practice_types",)), subject, "no practice types declared")
    return seen_chapters, type_keys


@dataclass
class _Context:
    origins: OriginMap
    problems: Problems
    type_keys: dict[str, Location]
    themes: frozenset[str] | None


def _check_practice(
    practice: Practice,
    clause_id: str,
    base: DataPath,
    ids: dict[str, Location],
    ctx: _Context,
) -> None:
    origins, problems = ctx.origins, ctx.problems
    subject = f"practice '{practice.id}'"
    where = origins.location((*base, "id"))
    if practice.id in ids:
        problems.add(where, subject, f"duplicate id (first at {ids[practice.id]})")
    ids.setdefault(practice.id, where)
    if not practice.id.startswith(clause_id + "."):
        problems.add(
            where,
            subject,
            f"id does not belong under its parent clause '{clause_id}' "
            f"(expected '{clause_id}.<n>')",
        )
    if practice.type not in ctx.type_keys:
        problems.add(
            origins.location((*base, "type")),
            subject,
            f"practice type '{practice.type}' is not declared by the catalog "
            f"(declared: {', '.join(ctx.type_keys) or 'none'})",
        )
    if not practice.requirement.strip():
        problems.add(
            origins.location((*base, "requirement")),
            subject,
            "requirement (the paraphrase) is empty",
        )
    if not practice.title.strip():
        problems.add(origins.location((*base, "title")), subject, "empty title")
    for problem in term_problems(practice.evidence_terms):
        path: DataPath = (*base, "evidence_terms", problem.group)
        if problem.term is not None:
            path = (*path, problem.term)
        problems.add(origins.location(path), subject, problem.describe())
    if ctx.themes is not None:
        for ti, theme in enumerate(practice.themes):
            if theme not in ctx.themes:
                problems.add(
                    origins.location((*base, "themes", ti)),
                    subject,
                    f"unknown theme '{theme}' (see docs/catalog-format.md for the list)",
                )


def check_crosswalk(
    crosswalk: Crosswalk, target: Catalog, origins: OriginMap, problems: Problems
) -> None:
    """Unique sources and every target id present in the target catalog."""
    if crosswalk.target_catalog != target.id:
        problems.add(
            origins.location(("target_catalog",)),
            f"crosswalk '{crosswalk.id}'",
            f"target catalog '{crosswalk.target_catalog}' is not '{target.id}'",
        )
        return
    known = {c.id for c in target.clauses} | {p.id for _, p in target.iter_practices()}
    seen: dict[str, Location] = {}
    for li, link in enumerate(crosswalk.links):
        subject = f"link '{link.source}'"
        where = origins.location(("links", li, "source"))
        if link.source in seen:
            problems.add(where, subject, f"duplicate source (first at {seen[link.source]})")
        seen.setdefault(link.source, where)
        if not link.rationale.strip():
            problems.add(origins.location(("links", li, "rationale")), subject, "empty rationale")
        for ti, target_id in enumerate(link.targets):
            if target_id not in known:
                problems.add(
                    origins.location(("links", li, "targets", ti)),
                    subject,
                    f"target '{target_id}' does not exist in catalog '{target.id}'",
                )
