"""Broken catalog and crosswalk files are rejected with a precise message: file, line, id."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from qmsgap.clauses.loader import builtin_themes, load_builtin_catalog, read_catalog, read_crosswalk
from qmsgap.clauses.yamlsource import parse_yaml
from qmsgap.errors import CatalogError

pytestmark = pytest.mark.unit

HEADER = """\
id: tiny
version: "1"
title: Tiny catalog
software_types: ["I", "II"]
practice_types:
  - key: BP
    name: Basic practice
    obligation: {"I": mandatory, "II": mandatory}
chapters:
  - id: "5"
    title: Supporting processes
"""


def write(tmp_path: Path, body: str, name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return path


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    count = 0
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            count += 1
            if count == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def reject(path: Path) -> str:
    with pytest.raises(CatalogError) as info:
        read_catalog(path, themes=builtin_themes())
    return info.value.message


def test_a_valid_tiny_catalog_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        clauses:
          - id: "5.5"
            chapter: "5"
            title: Configuration management
            practices:
              - id: "5.5.1"
                type: BP
                title: Strategy
                requirement: A strategy exists. It is followed.
                themes: [configuration-management]
        """,
    )
    catalog = read_catalog(path, themes=builtin_themes())
    assert catalog.practice("5.5.1").title == "Strategy"


def test_duplicate_practice_id_names_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        clauses:
          - id: "5.5"
            chapter: "5"
            title: Configuration management
            practices:
              - id: "5.5.1"
                type: BP
                title: Strategy
                requirement: A strategy exists.
              - id: "5.5.1"
                type: BP
                title: Items
                requirement: Items are identified.
        """,
    )
    message = reject(path)
    first, second = line_of(path, '- id: "5.5.1"', 1), line_of(path, '- id: "5.5.1"', 2)
    assert f"tiny.yaml:{second}: practice '5.5.1': duplicate id (first at " in message
    assert f"tiny.yaml:{first})" in message


def test_missing_parent_chapter(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        clauses:
          - id: "7.1"
            chapter: "7"
            title: Nowhere
            practices:
              - {id: "7.1.1", type: BP, title: T, requirement: R.}
        """,
    )
    message = reject(path)
    line = line_of(path, 'chapter: "7"')
    assert f"tiny.yaml:{line}: clause '7.1': parent chapter '7'" in message
    assert "does not exist" in message


def test_practice_not_under_its_clause(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        clauses:
          - id: "5.5"
            chapter: "5"
            title: Configuration management
            practices:
              - {id: "5.6.1", type: BP, title: T, requirement: R.}
        """,
    )
    message = reject(path)
    assert f"tiny.yaml:{line_of(path, '5.6.1')}: practice '5.6.1'" in message
    assert "does not belong under its parent clause '5.5'" in message


def test_undeclared_practice_type(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        clauses:
          - id: "5.5"
            chapter: "5"
            title: Configuration management
            practices:
              - id: "5.5.1"
                type: XP
                title: Strategy
                requirement: A strategy exists.
        """,
    )
    message = reject(path)
    assert f"tiny.yaml:{line_of(path, 'type: XP')}: practice '5.5.1': practice type 'XP'" in message
    assert "declared: BP" in message


@pytest.mark.parametrize("requirement", ['""', '"   "'])
def test_empty_paraphrase(tmp_path: Path, requirement: str) -> None:
    path = write(
        tmp_path,
        f"""
        clauses:
          - id: "5.5"
            chapter: "5"
            title: Configuration management
            practices:
              - id: "5.5.1"
                type: BP
                title: Strategy
                requirement: {requirement}
        """,
    )
    message = reject(path)
    assert f"tiny.yaml:{line_of(path, 'requirement:')}: practice '5.5.1'" in message
    assert "requirement (the paraphrase) is empty" in message


def test_missing_required_field_and_unknown_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        clauses:
          - id: "5.5"
            chapter: "5"
            title: Configuration management
            practices:
              - id: "5.5.1"
                type: BP
                titel: Strategy
                requirement: A strategy exists.
        """,
    )
    message = reject(path)
    assert "practice '5.5.1': practices.title: required field is missing" in message
    assert (
        f"tiny.yaml:{line_of(path, 'titel')}: practice '5.5.1': practices.titel: unknown field"
        in (message)
    )


def test_unquoted_number_id_gets_a_hint(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        clauses:
          - id: 5.10
            chapter: "5"
            title: Suppliers
        """,
    )
    message = reject(path)
    assert f"tiny.yaml:{line_of(path, 'id: 5.10')}:" in message
    assert "got the number 5.1" in message and "quote it in YAML" in message


def test_unknown_theme(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        clauses:
          - id: "5.5"
            chapter: "5"
            title: Configuration management
            practices:
              - id: "5.5.1"
                type: BP
                title: Strategy
                requirement: A strategy exists.
                themes: [configuration-management, astrology]
        """,
    )
    message = reject(path)
    assert (
        f"tiny.yaml:{line_of(path, 'astrology')}: practice '5.5.1': unknown theme 'astrology'"
        in (message)
    )


def test_yaml_syntax_error_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text('id: x\nversion: "1"\nchapters: [\n  {id: "5", title: a\n', encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        read_catalog(path)
    assert info.value.message.startswith(f"{path}:5:1: YAML syntax error")


def test_duplicate_mapping_key_is_refused() -> None:
    with pytest.raises(
        CatalogError, match=r"doc.yaml:3: duplicate key 'title' \(first at line 2\)"
    ):
        parse_yaml("id: a\ntitle: one\ntitle: two\n", "doc.yaml")


def test_aliases_and_python_tags_are_refused() -> None:
    with pytest.raises(CatalogError, match=r"doc.yaml:2: YAML aliases"):
        parse_yaml("a: &x [1, 2]\nb: *x\n", "doc.yaml")
    with pytest.raises(CatalogError, match=r"doc.yaml:1:\d+: YAML syntax error"):
        parse_yaml("a: !!python/object/apply:os.system ['true']\n", "doc.yaml")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        clauses:
          - id: "5.5"
            chapter: "9"
            title: Configuration management
            practices:
              - {id: "5.5.1", type: ZZ, title: T, requirement: R.}
              - {id: "5.5.1", type: BP, title: T, requirement: R.}
        """,
    )
    message = reject(path)
    assert "(3 problem(s))" in message
    assert "parent chapter '9'" in message and "'ZZ'" in message and "duplicate id" in message


def test_included_file_problems_name_the_included_file(tmp_path: Path) -> None:
    root = tmp_path / "catalog.yaml"
    root.write_text(HEADER + "include: [part.yaml]\n", encoding="utf-8")
    part = tmp_path / "part.yaml"
    part.write_text(
        'clauses:\n  - id: "5.5"\n    chapter: "5"\n    title: CM\n    practices:\n'
        '      - {id: "5.5.1", type: QQ, title: T, requirement: R.}\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as info:
        read_catalog(tmp_path)
    assert f"{part}:6: practice '5.5.1': practice type 'QQ'" in info.value.message


def test_include_outside_the_catalog_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "catalog.yaml"
    root.write_text(HEADER + "include: [../elsewhere.yaml]\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="must sit next to the catalog file"):
        read_catalog(tmp_path)


def test_dangling_crosswalk_target(tmp_path: Path) -> None:
    path = tmp_path / "cw.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            id: test-cw
            source_standard: "ISO 9001:2015"
            target_catalog: asqms
            version: "1"
            links:
              - source: "7.5"
                targets: ["5.1", "5.99.1"]
                relationship: subset
                rationale: Documented information.
              - source: "7.5"
                targets: ["5.1.1"]
                relationship: equal
                rationale: Again.
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as info:
        read_crosswalk(path, load_builtin_catalog("asqms"))
    message = info.value.message
    assert f"{path}:7: link '7.5': target '5.99.1' does not exist in catalog 'asqms'" in message
    assert f"{path}:10: link '7.5': duplicate source (first at {path}:6)" in message


def test_crosswalk_with_bad_relationship_and_empty_rationale(tmp_path: Path) -> None:
    path = tmp_path / "cw.yaml"
    path.write_text(
        'id: c\nsource_standard: "X"\ntarget_catalog: asqms\nversion: "1"\nlinks:\n'
        '  - {source: "1", targets: ["5.1"], relationship: same, rationale: ""}\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as info:
        read_crosswalk(path, load_builtin_catalog("asqms"))
    message = info.value.message
    assert f"{path}:6: link '1': links.relationship: Input should be 'equal'" in message
    assert "links.rationale: String should have at least 1 character" in message
