"""Licensed import (overlay / replace), export round trips and catalog diff."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from qmsgap.clauses import (
    diff_catalogs,
    export_catalog,
    import_catalog,
    list_catalogs,
    load_catalog,
    load_crosswalks,
)
from qmsgap.clauses.diff import render_word_diff, word_diff
from qmsgap.clauses.loader import load_builtin_catalog
from qmsgap.clauses.models import Catalog
from qmsgap.clauses.store import read_catalog_file, remove_import
from qmsgap.errors import CatalogError, NotFound
from qmsgap.settings import Settings

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "catalogs"
REPO = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("catalog_id", ["asqms", "iaf-aqms", "miit-ota"])
@pytest.mark.parametrize("fmt", ["yaml", "csv", "xlsx"])
def test_export_then_read_back_is_equal(
    catalog_id: str, fmt: str, tmp_path: Path, settings: Settings
) -> None:
    catalog = load_builtin_catalog(catalog_id)
    path = export_catalog(catalog, tmp_path / f"{catalog_id}.{fmt}", fmt)  # type: ignore[arg-type]
    assert read_catalog_file(path, settings, catalog_id=catalog_id) == catalog


def test_yaml_round_trip_through_replace_import(tmp_path: Path, settings: Settings) -> None:
    original = load_builtin_catalog("asqms")
    exported = export_catalog(original, tmp_path / "asqms.yaml", "yaml")
    result = import_catalog(exported, settings, mode="replace", catalog_id="asqms-copy")
    assert result.practices == 193
    stored = Path(result.stored_at)
    assert stored.is_relative_to(settings.data_dir)
    copy = load_catalog("asqms-copy", settings)
    assert copy.model_copy(update={"id": "asqms"}) == original
    again = export_catalog(copy, tmp_path / "again.yaml", "yaml")
    assert again.read_text().replace("asqms-copy", "asqms") == exported.read_text()


def test_nothing_is_written_into_the_repository(tmp_path: Path, settings: Settings) -> None:
    import_catalog(FIXTURES / "asqms-overlay.csv", settings)
    written = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert written == [settings.data_dir / "catalogs" / "asqms" / "overlay.yaml"]
    assert not list((REPO / "clauses" / "data").rglob("overlay.yaml"))


def test_export_writes_text_cells_never_formulas(tmp_path: Path) -> None:
    catalog = _catalog_with_formula_like_text()
    path = export_catalog(catalog, tmp_path / "x.xlsx", "xlsx")
    workbook = openpyxl.load_workbook(path)
    cell = next(
        c for row in workbook["practices"].iter_rows() for c in row if c.value == "=SUM(A1:A2)"
    )
    assert cell.data_type == "s"


def _catalog_with_formula_like_text() -> Catalog:
    base = load_builtin_catalog("miit-ota")
    clause = base.clauses[0]
    practice = clause.practices[0].model_copy(update={"title": "=SUM(A1:A2)"})
    clause = clause.model_copy(update={"practices": (practice, *clause.practices[1:])})
    return base.model_copy(update={"clauses": (clause, *base.clauses[1:])})


# ----------------------------------------------------------------------------- overlays


def test_csv_overlay_replaces_texts_practice_by_practice(settings: Settings) -> None:
    builtin = load_builtin_catalog("asqms")
    result = import_catalog(FIXTURES / "asqms-overlay.csv", settings)
    assert result.mode == "overlay" and result.catalog_id == "asqms"
    assert sorted(result.updated) == ["5.5.4", "6.11.6", "6.2.1"]
    assert result.added == ["5.10.13"]

    catalog = load_catalog("asqms", settings)
    practice = catalog.practice("6.2.1")
    assert practice.requirement == (
        "Sample licensed text for tests: all requirement inputs are collected\n"
        "and understood before acceptance."
    )
    assert practice.title == "Understanding requirement inputs"
    assert practice.source == "licensed"
    # everything else stays as built in
    original = builtin.practice("6.2.1")
    assert practice.keywords == original.keywords
    assert practice.expected_evidence == original.expected_evidence
    assert practice.references == original.references and practice.official
    assert catalog.practice("5.5.4").title == builtin.practice("5.5.4").title  # empty title cell
    assert catalog.practice("5.5.3") == builtin.practice("5.5.3")
    added = catalog.practice("5.10.13")
    assert (added.type, added.source) == ("BP", "licensed")
    assert catalog.locate("5.10.13")[0].id == "5.10"
    assert load_catalog("asqms") == builtin  # without settings: built-in only


def test_xlsx_overlay_merges_with_the_stored_overlay(settings: Settings) -> None:
    import_catalog(FIXTURES / "asqms-overlay.csv", settings)
    result = import_catalog(FIXTURES / "asqms-overlay.xlsx", settings)
    assert sorted(result.updated) == ["6.10.1", "6.2.2"] and result.added == ["6.13.6"]
    catalog = load_catalog("asqms", settings)
    licensed = sorted(p.id for p in catalog.all_practices() if p.source == "licensed")
    assert licensed == ["5.10.13", "5.5.4", "6.10.1", "6.11.6", "6.13.6", "6.2.1", "6.2.2"]
    assert catalog.practice("6.13.6").type == "RP"
    assert len(catalog.all_practices()) == 195


def test_reimporting_the_same_overlay_changes_nothing(settings: Settings) -> None:
    import_catalog(FIXTURES / "asqms-overlay.xlsx", settings)
    again = import_catalog(FIXTURES / "asqms-overlay.xlsx", settings)
    assert again.updated == [] and again.added == []
    assert sorted(again.unchanged) == ["6.10.1", "6.13.6", "6.2.2"]


def test_overlays_can_be_switched_off_and_removed(data_dir: Path) -> None:
    on = Settings(environment="test", data_dir=data_dir)
    import_catalog(FIXTURES / "asqms-overlay.csv", on)
    off = Settings(
        environment="test", data_dir=data_dir, catalogs={"apply_licensed_overlays": False}
    )
    assert load_catalog("asqms", off) == load_builtin_catalog("asqms")
    info = next(i for i in list_catalogs(on) if i.id == "asqms")
    assert info.licensed_overlay and info.practices == 194
    remove_import("asqms", on, overlay=True)
    assert load_catalog("asqms", on) == load_builtin_catalog("asqms")
    with pytest.raises(NotFound, match="no overlay stored for 'asqms'"):
        remove_import("asqms", on, overlay=True)


def test_overlay_with_unknown_practice_and_no_clause_is_rejected_and_nothing_stored(
    tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("practice_id,requirement\n6.2.1,Fine text.\n9.9.9,Text for nothing.\n")
    with pytest.raises(CatalogError, match=r"practice '9\.9\.9': not in catalog 'asqms'"):
        import_catalog(path, settings)
    assert not (settings.data_dir / "catalogs").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("practice_id,text\n6.2.1,x\n", r"bad\.csv:1: missing column\(s\) \['requirement'\]"),
        ("practice_id,requirement\n6.2.1,\n", r"bad\.csv:2: practice '6\.2\.1': requirement"),
        ("practice_id,requirement\n,Some text\n", r"bad\.csv:2: practice_id is empty"),
        ("", r"bad\.csv: the file is empty"),
    ],
)
def test_broken_csv_overlays(
    tmp_path: Path, settings: Settings, content: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CatalogError, match=message):
        import_catalog(path, settings)


def test_csv_rows_are_reported_by_their_starting_line(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('practice_id;requirement\n6.2.1;"two\nlines"\n6.2.2;\n')  # ';' detected
    with pytest.raises(CatalogError, match=r"bad\.csv:4: practice '6\.2\.2'"):
        import_catalog(path, settings)


def test_non_utf8_csv_is_rejected(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("practice_id,requirement\n6.2.1,Pr\xfcfung\n".encode("latin-1"))
    with pytest.raises(CatalogError, match=r"not UTF-8 text.*CSV UTF-8"):
        import_catalog(path, settings)


def test_xlsx_with_a_formula_is_rejected(tmp_path: Path, settings: Settings) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["practice_id", "requirement"])
    sheet.append(["6.2.1", '=HYPERLINK("http://example.invalid")'])
    path = tmp_path / "formula.xlsx"
    workbook.save(path)
    with pytest.raises(CatalogError, match=r"formula\.xlsx\[Sheet\]!B2: cell holds a formula"):
        import_catalog(path, settings)


def test_not_a_workbook_and_too_large(tmp_path: Path, data_dir: Path) -> None:
    settings = Settings(environment="test", data_dir=data_dir, catalogs={"max_import_bytes": 2048})
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CatalogError, match=r"fake\.xlsx: not a readable XLSX workbook"):
        import_catalog(fake, settings)
    big = tmp_path / "big.csv"
    big.write_text("practice_id,requirement\n" + "6.2.1,x\n" * 500)
    with pytest.raises(CatalogError, match=r"big\.csv: file is \d+ bytes, the limit is 2048"):
        import_catalog(big, settings)
    with pytest.raises(CatalogError, match=r"unsupported file type '\.txt'"):
        import_catalog(tmp_path / "x.txt", settings)


# ----------------------------------------------------------------------------- replace


def test_replace_import_of_a_new_catalog(settings: Settings) -> None:
    result = import_catalog(FIXTURES / "mini.yaml", settings, mode="replace")
    assert (result.catalog_id, result.practices) == ("mini", 4)
    mini = load_catalog("mini", settings)
    assert mini.source == "licensed" and all(p.source == "licensed" for p in mini.all_practices())
    info = next(i for i in list_catalogs(settings) if i.id == "mini")
    assert (info.origin, info.shadows_builtin, info.clauses) == ("imported", False, 2)
    assert load_crosswalks("mini", settings) == []
    with pytest.raises(NotFound):
        load_catalog("mini")  # without settings only built-ins exist


def test_replace_shadows_the_builtin_and_crosswalks_follow(
    tmp_path: Path, settings: Settings
) -> None:
    builtin = load_builtin_catalog("asqms")
    reduced = builtin.model_copy(update={"clauses": builtin.clauses[:5]})  # chapter 4 only
    path = export_catalog(reduced, tmp_path / "reduced.yaml", "yaml")
    import_catalog(path, settings, mode="replace")
    assert [c.id for c in load_catalog("asqms", settings).clauses] == [
        "4.1",
        "4.2",
        "4.3",
        "4.4",
        "4.5",
    ]
    info = next(i for i in list_catalogs(settings) if i.id == "asqms")
    assert info.origin == "imported" and info.shadows_builtin
    for crosswalk in load_crosswalks("asqms", settings):
        for link in crosswalk.links:
            assert all(t.startswith("4.") for t in link.targets)


def test_replace_refuses_to_drop_a_stored_overlay(settings: Settings) -> None:
    import_catalog(FIXTURES / "asqms-overlay.csv", settings)
    with pytest.raises(CatalogError, match="a licensed overlay is stored for 'asqms'"):
        import_catalog(FIXTURES / "mini.yaml", settings, mode="replace", catalog_id="asqms")


def test_csv_replace_needs_metadata_from_a_base(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "new.csv"
    path.write_text(
        "clause_id,practice_id,type,title,requirement\nM.1,M.1.1,BP,T,Some text. More text.\n"
    )
    with pytest.raises(NotFound, match="no catalog 'newcat'"):
        import_catalog(path, settings, mode="replace", catalog_id="newcat")
    import_catalog(FIXTURES / "mini.yaml", settings, mode="replace")
    path.write_text(
        "chapter,clause_id,clause_title,practice_id,type,title,requirement\n"
        "1,M.1,Configuration,M.1.1,BP,T,Some text. More text.\n"
    )
    result = import_catalog(path, settings, mode="replace", catalog_id="newcat", base_id="mini")
    assert load_catalog(result.catalog_id, settings).practice("M.1.1").type == "BP"


def test_csv_replace_reports_rows(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "new.csv"
    path.write_text(
        "chapter,clause_id,clause_title,practice_id,type,title,requirement,official\n"
        "4,4.1,Context,4.1.1,XX,T,Text.,maybe\n"
        "4,4.1,Context,4.2.1,BP,T,Text.,false\n"
    )
    with pytest.raises(CatalogError) as info:
        import_catalog(path, settings, mode="replace", catalog_id="asqms2", base_id="asqms")
    message = info.value.message
    assert "new.csv:2: practice '4.1.1': official: 'maybe' is not true/false" in message
    assert (
        "new.csv:2: practice '4.1.1': practice type 'XX' is not declared" not in message
    )  # first pass
    path.write_text(path.read_text().replace("maybe", "true"))
    with pytest.raises(CatalogError) as info:
        import_catalog(path, settings, mode="replace", catalog_id="asqms2", base_id="asqms")
    message = info.value.message
    assert "new.csv:2: practice '4.1.1': practice type 'XX' is not declared" in message
    assert (
        "new.csv:3: practice '4.2.1': id does not belong under its parent clause '4.1'" in message
    )


def test_a_yaml_overlay_file_is_not_a_full_catalog(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "overlay.yaml"
    path.write_text('practices:\n  - {id: "6.2.1", requirement: "Licensed."}\n')
    with pytest.raises(CatalogError, match="this is an overlay"):
        import_catalog(path, settings, mode="replace", catalog_id="x")
    result = import_catalog(path, settings, mode="overlay")
    assert result.updated == ["6.2.1"]


def test_tampered_stored_overlay_is_reported_with_its_line(settings: Settings) -> None:
    import_catalog(FIXTURES / "asqms-overlay.csv", settings)
    stored = settings.data_dir / "catalogs" / "asqms" / "overlay.yaml"
    stored.write_text(stored.read_text().replace("id: 5.5.4", "id: 5.5.4\n  colour: red"))
    with pytest.raises(CatalogError, match=r"overlay\.yaml:\d+: .*unknown field"):
        load_catalog("asqms", settings)


# ----------------------------------------------------------------------------- diff


def test_diff_of_two_revisions(settings: Settings) -> None:
    old = read_catalog_file(FIXTURES / "mini.yaml", settings)
    new = read_catalog_file(FIXTURES / "mini-rev2.yaml", settings)
    diff = diff_catalogs(old, new)
    assert (diff.old, diff.new) == ("mini 1", "mini 2")
    assert [c.id for c in diff.added_clauses] == ["M.3"] and diff.removed_clauses == []
    assert [p.id for p in diff.added] == ["M.2.3", "M.3.1"]
    assert [p.id for p in diff.removed] == ["M.2.2"]
    assert [c.id for c in diff.reworded] == ["M.1.1"]
    assert render_word_diff(diff.reworded[0].words) == (
        "Baselines are created at [-agreed points-] {+every release+} and [-labelled.-] "
        "{+tagged.+} They are never changed."
    )
    retyped = next(c for c in diff.changed if c.id == "M.1.2")
    assert not retyped.reworded
    assert [(f.field, f.old, f.new) for f in retyped.fields] == [("type", "BP", "AP")]
    assert diff_catalogs(old, old).is_empty


def test_diff_reports_exactly_the_overlaid_practices(settings: Settings) -> None:
    import_catalog(FIXTURES / "asqms-overlay.csv", settings)
    import_catalog(FIXTURES / "asqms-overlay.xlsx", settings)
    diff = diff_catalogs(load_builtin_catalog("asqms"), load_catalog("asqms", settings))
    assert sorted(c.id for c in diff.reworded) == ["5.5.4", "6.10.1", "6.11.6", "6.2.1", "6.2.2"]
    assert sorted(p.id for p in diff.added) == ["5.10.13", "6.13.6"]
    assert diff.removed == []
    retitled = next(c for c in diff.changed if c.id == "6.2.1")
    assert {f.field for f in retitled.fields} == {"title", "source"}


def test_word_diff_ignores_whitespace_changes() -> None:
    assert [w.op for w in word_diff("a  b\nc", "a b c")] == ["equal"]


def test_fixture_files_are_unchanged_by_imports(settings: Settings, tmp_path: Path) -> None:
    copy = tmp_path / "asqms-overlay.csv"
    shutil.copy(FIXTURES / "asqms-overlay.csv", copy)
    before = copy.read_bytes()
    import_catalog(copy, settings)
    assert copy.read_bytes() == before


def test_xlsx_that_unpacks_too_far_is_refused(tmp_path: Path, data_dir: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["practice_id", "requirement"])
    for _ in range(2000):
        sheet.append(["6.2.1", "x" * 200])  # compresses extremely well
    path = tmp_path / "bomb.xlsx"
    workbook.save(path)
    settings = Settings(environment="test", data_dir=data_dir, limits={"max_archive_ratio": 5})
    with pytest.raises(CatalogError, match=r"bomb\.xlsx: the workbook unpacks to \d+ bytes"):
        import_catalog(path, settings)
