"""Evidence terms: the built-in data, the rules (located errors in YAML, CSV and XLSX), the
table form, round trips, diff and ``catalog show``."""

from __future__ import annotations

import csv
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
import Stemmer

from qmsgap.clauses import diff_catalogs, export_catalog, import_catalog, load_catalog
from qmsgap.clauses.evidence_terms import (
    format_evidence_terms,
    parse_evidence_terms,
    term_problems,
)
from qmsgap.clauses.loader import builtin_themes, load_builtin_catalog, read_catalog
from qmsgap.clauses.models import Catalog, Practice
from qmsgap.clauses.store import read_catalog_file
from qmsgap.errors import CatalogError
from qmsgap.settings import Settings

pytestmark = pytest.mark.unit

TINY = """\
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
clauses:
  - id: "5.2"
    chapter: "5"
    title: Toolchain
    practices:
      - id: "5.2.2"
        type: BP
        title: Tool validation
        requirement: Tools are validated before use. Results are recorded.
"""


def tiny(tmp_path: Path, terms_yaml: str) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY + textwrap.indent(textwrap.dedent(terms_yaml), " " * 8))
    return path


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def rejected(path: Path) -> str:
    with pytest.raises(CatalogError) as info:
        read_catalog(path, themes=builtin_themes())
    return info.value.message


# ----------------------------------------------------------------------------- built-in data


@pytest.fixture(scope="module")
def asqms() -> Catalog:
    return load_builtin_catalog("asqms")


def test_every_asqms_practice_has_one_to_three_groups_of_three_to_twelve_terms(
    asqms: Catalog,
) -> None:
    practices = asqms.all_practices()
    assert len(practices) == 193
    for practice in practices:
        assert 1 <= len(practice.evidence_terms) <= 3, practice.id
        for group in practice.evidence_terms:
            assert 3 <= len(group) <= 12, (practice.id, group)
        assert term_problems(practice.evidence_terms) == [], practice.id


@pytest.mark.parametrize("catalog_id", ["iaf-aqms", "miit-ota"])
def test_other_builtin_catalogs_follow_the_same_shape(catalog_id: str) -> None:
    for practice in load_builtin_catalog(catalog_id).all_practices():
        assert 1 <= len(practice.evidence_terms) <= 3, practice.id
        assert all(3 <= len(group) <= 12 for group in practice.evidence_terms), practice.id


class _Matcher:
    """The matching described in docs/catalog-format.md, for checking the data: stems
    (Porter2), multi-word terms as consecutive words, a trailing '*' as a prefix of the written
    word. Kept here (not imported from the mapping engine) so the data is checked against the
    documented rule."""

    def __init__(self) -> None:
        self._stem = Stemmer.Stemmer("english").stemWord

    def _words(self, text: str) -> list[str]:
        return re.findall(r"[^\W_]+", text.lower())

    def _term(self, term: str) -> list[tuple[str, bool]]:
        words = self._words(term.rstrip("*"))
        compiled = [(self._stem(w), False) for w in words]
        if term.endswith("*"):
            compiled[-1] = (words[-1], True)
        return compiled

    def missing_groups(self, groups: Sequence[Sequence[str]], text: str) -> list[int]:
        words = self._words(text)
        stems = [self._stem(w) for w in words]

        def found(term: str) -> bool:
            parts = self._term(term)
            for i in range(len(words) - len(parts) + 1):
                if all(
                    words[i + j].startswith(w) if star else stems[i + j] == w
                    for j, (w, star) in enumerate(parts)
                ):
                    return True
            return False

        return [gi + 1 for gi, group in enumerate(groups) if not any(found(t) for t in group)]


def _own_text(practice: Practice) -> str:
    return " . ".join(
        [practice.title, practice.requirement, *practice.expected_evidence, *practice.keywords]
    )


@pytest.mark.parametrize("catalog_id", ["asqms", "iaf-aqms", "miit-ota"])
def test_a_practice_s_own_wording_mentions_every_group(catalog_id: str) -> None:
    """Catches typos and terms that drifted away from the practice they belong to."""
    matcher = _Matcher()
    missing = {
        p.id: matcher.missing_groups(p.evidence_terms, _own_text(p))
        for p in load_builtin_catalog(catalog_id).all_practices()
    }
    assert {k: v for k, v in missing.items() if v} == {}


# Plain words whose stem also stems an unrelated, common word (shown): they must be written
# with '*', which compares the written word.
STEM_TRAPS = {
    "integrity": "integration",
    "performance": "performed",
    "continuity": "continuous",
    "containment": "container",
    "objectivity": "objectives",
    "filing": "file",
    "processing": "process",
    "sourcing": "source",
    "marketing": "market",
    "applicability": "application",
    "coverity": "covered",
    "timing": "time",
    "informed": "information",
    "safe": "safe",  # 'SAFe' (scaled agile) lower-cased
}


def test_stem_traps_are_written_with_a_wildcard() -> None:
    stem = Stemmer.Stemmer("english").stemWord
    assert all(stem(a) == stem(b) for a, b in STEM_TRAPS.items())  # the traps are real
    plain = {
        (catalog_id, p.id, term)
        for catalog_id in ("asqms", "iaf-aqms", "miit-ota")
        for p in load_builtin_catalog(catalog_id).all_practices()
        for group in p.evidence_terms
        for term in group
        if term.casefold() in STEM_TRAPS
    }
    assert plain == set()


@pytest.mark.parametrize(
    ("practice_id", "sentence", "accepted"),
    [
        # the decoys named when the field was introduced, and the evidence they resemble
        ("6.12.5", "Records are disposed of after the retention period.", False),
        ("6.12.5", "Personal data in the head unit is deleted when the vehicle is scrapped.", True),
        ("6.8.3", "Suppliers are evaluated monthly with the scorecard.", False),
        ("6.8.3", "The supplier's software project progress is tracked against milestones.", True),
        ("6.11.9", "Resource consumption is measured at each integration step.", False),
        ("6.11.9", "After OTA updates, fleet telemetry is monitored for CPU load.", True),
        ("5.2.2", "Gauges are calibrated.", False),
        ("5.2.2", "Each compiler is validated for its use cases before productive use.", True),
        # stems joining unrelated words
        ("5.5.8", "The build is followed by integration on the HIL.", False),
        ("5.10.3", "Audits are performed at the supplier before award.", False),
        ("4.3.7", "Software is built by continuous integration.", False),
        ("5.6.4", "Software is built in Docker containers.", False),
    ],
)
def test_decoys_lack_a_required_concept(
    asqms: Catalog, practice_id: str, sentence: str, accepted: bool
) -> None:
    missing = _Matcher().missing_groups(asqms.practice(practice_id).evidence_terms, sentence)
    assert (not missing) is accepted, missing


# ----------------------------------------------------------------------------- rules


def test_rules_name_group_and_term() -> None:
    problems = term_problems(
        [
            ["tool", "", "qual*ify", "Tool", "a|b"],
            [],
            ["*", "validat *", "qualif**", "release; approval", "ok*"],
        ]
    )
    assert [p.describe() for p in problems] == [
        "evidence_terms group 1, term 2: is empty",
        "evidence_terms group 1, term 3: 'qual*ify': '*' may only end a term (e.g. 'qualif*')",
        "evidence_terms group 1, term 4: 'Tool' repeats term 1 of the same group",
        "evidence_terms group 1, term 5: 'a|b' contains '|', which separates terms and groups "
        "in tables",
        "evidence_terms group 2: is empty (a group needs at least one term)",
        "evidence_terms group 3, term 1: '*': '*' must directly follow the start of a word "
        "(e.g. 'validat*')",
        "evidence_terms group 3, term 2: 'validat *': '*' must directly follow the start of a "
        "word (e.g. 'validat*')",
        "evidence_terms group 3, term 3: 'qualif**': '*' may only end a term (e.g. 'qualif*')",
        "evidence_terms group 3, term 4: 'release; approval' contains ';', which separates "
        "terms and groups in tables",
    ]
    assert term_problems([["tool", "tool chain"], ["validat*"]]) == []


def test_terms_are_normalised_on_load() -> None:
    practice = Practice.model_validate(
        {
            "id": "1.1",
            "type": "BP",
            "title": "T",
            "requirement": "R.",
            "evidence_terms": [["  tool\tchain ", "IDE"]],
        }
    )
    assert practice.evidence_terms == (("tool chain", "IDE"),)


def test_valid_yaml_terms_load(tmp_path: Path) -> None:
    path = tiny(
        tmp_path,
        """
        evidence_terms:
          - [tool, compiler, tool chain]
          - [validat*, qualif*, "release for use"]
        """,
    )
    practice = read_catalog(path, themes=builtin_themes()).practice("5.2.2")
    assert practice.evidence_terms == (
        ("tool", "compiler", "tool chain"),
        ("validat*", "qualif*", "release for use"),
    )


def test_broken_yaml_groups_are_located(tmp_path: Path) -> None:
    path = tiny(
        tmp_path,
        """
        evidence_terms:
          - [tool, compiler, Tool]
          - []
          - [validat*, "", qual*ify]
        """,
    )
    message = rejected(path)
    where = f"tiny.yaml:{line_of(path, '[tool, compiler, Tool]')}: practice '5.2.2': "
    assert where + "evidence_terms group 1, term 3: 'Tool' repeats term 1" in message
    where = f"tiny.yaml:{line_of(path, '- []')}: practice '5.2.2': "
    assert where + "evidence_terms group 2: is empty" in message
    where = f"tiny.yaml:{line_of(path, 'qual*ify')}: practice '5.2.2': "
    assert where + "evidence_terms group 3, term 2: is empty" in message
    assert where + "evidence_terms group 3, term 3: 'qual*ify': '*' may only end a term" in message


@pytest.mark.parametrize(
    ("terms_yaml", "needle", "expected"),
    [
        (
            "evidence_terms: [tool, compiler]",
            "evidence_terms",
            "expected a list of groups, each a list of terms",
        ),
        ("evidence_terms: tool", "evidence_terms", "expected a list of groups, each a list"),
        ("evidence_terms:\n  - [ISO, 26262]", "26262", "the term 26262 is a number; quote it"),
    ],
)
def test_wrong_shapes_are_explained(
    tmp_path: Path, terms_yaml: str, needle: str, expected: str
) -> None:
    path = tiny(tmp_path, terms_yaml)
    message = rejected(path)
    assert f"tiny.yaml:{line_of(path, needle)}: practice '5.2.2': " in message
    assert expected in message
    assert "(1 problem(s))" in message  # one message per place, not one per list item


# ----------------------------------------------------------------------------- table form


def test_cell_form_round_trips() -> None:
    groups = (("tool", "compiler", "tool chain"), ("validation", "qualif*"))
    cell = format_evidence_terms(groups)
    assert cell == "tool | compiler | tool chain ; validation | qualif*"
    assert parse_evidence_terms(cell) == groups
    assert parse_evidence_terms("tool|compiler\n validation |qualif* ") == (
        ("tool", "compiler"),
        ("validation", "qualif*"),
    )
    assert parse_evidence_terms("  ") == ()
    assert format_evidence_terms(()) == ""
    # empty parts are kept so that validation can say where they are
    assert parse_evidence_terms("tool | ; ; x") == (("tool", ""), (), ("x",))


def _csv(tmp_path: Path, cell: str) -> Path:
    path = tmp_path / "tools.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "chapter",
                "clause_id",
                "clause_title",
                "practice_id",
                "type",
                "title",
                "requirement",
                "evidence_terms",
            ]
        )
        writer.writerow(["5", "5.2", "Toolchain", "5.2.1", "BP", "Tools", "Listed.", "tool ; x"])
        writer.writerow(["5", "5.2", "Toolchain", "5.2.2", "BP", "Validation", "Done.", cell])
    return path


def test_csv_import_reads_the_column(tmp_path: Path, settings: Settings) -> None:
    path = _csv(tmp_path, "tool | compiler ; validat* | qualif*")
    catalog = read_catalog_file(path, settings, catalog_id="tools", base_id="asqms")
    assert catalog.practice("5.2.2").evidence_terms == (
        ("tool", "compiler"),
        ("validat*", "qualif*"),
    )
    assert catalog.practice("5.2.1").evidence_terms == (("tool",), ("x",))


def test_csv_import_locates_broken_terms_by_row(tmp_path: Path, settings: Settings) -> None:
    path = _csv(tmp_path, "tool | | compiler ; ; qual*if")
    with pytest.raises(CatalogError) as info:
        import_catalog(path, settings, mode="replace", catalog_id="tools", base_id="asqms")
    message = info.value.message
    assert "tools.csv:3: practice '5.2.2': evidence_terms group 1, term 2: is empty" in message
    assert "tools.csv:3: practice '5.2.2': evidence_terms group 2: is empty" in message
    assert "tools.csv:3: practice '5.2.2': evidence_terms group 3, term 1: 'qual*if'" in message
    assert not (settings.data_dir / "catalogs" / "tools").exists()  # nothing stored


def test_xlsx_import_locates_broken_terms_by_row(tmp_path: Path, settings: Settings) -> None:
    catalog = load_builtin_catalog("miit-ota")
    path = export_catalog(catalog, tmp_path / "miit.xlsx", "xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["practices"]
    column = [c.value for c in sheet[1]].index("evidence_terms") + 1
    sheet.cell(row=4, column=column, value="OTA | OTA ; filing")
    workbook.save(path)
    with pytest.raises(CatalogError) as info:
        read_catalog_file(path, settings, catalog_id="miit-ota")
    practice_id = sheet.cell(row=4, column=[c.value for c in sheet[1]].index("practice_id") + 1)
    assert (
        f"miit.xlsx[practices]:4: practice '{practice_id.value}': evidence_terms group 1, "
        "term 2: 'OTA' repeats term 1" in info.value.message
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_writes_the_cell_form_and_reads_it_back(
    fmt: str, tmp_path: Path, settings: Settings
) -> None:
    catalog = load_builtin_catalog("asqms")
    path = export_catalog(catalog, tmp_path / f"asqms.{fmt}", fmt)  # type: ignore[arg-type]
    if fmt == "csv":
        with path.open(encoding="utf-8", newline="") as handle:
            rows = {r["practice_id"]: r for r in csv.DictReader(handle)}
    else:
        sheet = openpyxl.load_workbook(path)["practices"]
        header = [c.value for c in sheet[1]]
        rows = {
            str(values[header.index("practice_id")]): dict(zip(header, values, strict=True))
            for values in sheet.iter_rows(min_row=2, values_only=True)
        }
    assert rows["5.2.2"]["evidence_terms"] == format_evidence_terms(
        catalog.practice("5.2.2").evidence_terms
    )
    assert " ; " in str(rows["5.2.2"]["evidence_terms"])
    back = read_catalog_file(path, settings, catalog_id="asqms")
    assert [p.evidence_terms for p in back.all_practices()] == [
        p.evidence_terms for p in catalog.all_practices()
    ]


# ----------------------------------------------------------------------------- diff and show


def test_diff_reports_changed_evidence_terms(asqms: Catalog) -> None:
    clause, practice = asqms.locate("5.2.2")
    changed = practice.model_copy(
        update={"evidence_terms": (*practice.evidence_terms[:1], ("validat*",))}
    )
    practices = tuple(changed if p.id == "5.2.2" else p for p in clause.practices)
    clauses = tuple(
        c.model_copy(update={"practices": practices}) if c.id == clause.id else c
        for c in asqms.clauses
    )
    diff = diff_catalogs(asqms, asqms.model_copy(update={"clauses": clauses}))
    assert [c.id for c in diff.changed] == ["5.2.2"]
    (field,) = diff.changed[0].fields
    assert field.field == "evidence_terms" and not diff.changed[0].reworded
    assert field.old == format_evidence_terms(practice.evidence_terms)
    assert field.new.endswith(" ; validat*")


def test_overlay_keeps_the_evidence_terms(settings: Settings) -> None:
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "catalogs"
    import_catalog(fixtures / "asqms-overlay.csv", settings)
    overlaid = load_catalog("asqms", settings).practice("6.2.1")
    assert overlaid.source == "licensed"
    assert overlaid.evidence_terms == load_builtin_catalog("asqms").practice("6.2.1").evidence_terms


def test_catalog_show_prints_the_terms(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    from typer.testing import CliRunner

    from qmsgap.cli import app
    from qmsgap.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("QMSGAP_DATA_DIR", str(data_dir))
    monkeypatch.setenv("COLUMNS", "400")
    try:
        result = CliRunner().invoke(app, ["catalog", "show", "asqms", "5.2.2"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    expected = format_evidence_terms(load_builtin_catalog("asqms").practice("5.2.2").evidence_terms)
    assert "evidence terms: " + expected in " ".join(result.stdout.split())
