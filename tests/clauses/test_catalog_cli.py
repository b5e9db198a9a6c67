"""``qmsgap catalog ...`` through typer's CliRunner, with a temporary data directory."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from qmsgap.cli import app
from qmsgap.errors import CatalogError, NotFound

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "catalogs"
runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Iterator[Path]:
    from qmsgap.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("QMSGAP_DATA_DIR", str(data_dir))
    monkeypatch.setenv("COLUMNS", "200")
    yield data_dir
    get_settings.cache_clear()


def run(*args: str) -> Result:
    return runner.invoke(app, ["catalog", *args])


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.stdout


def test_show_asqms_prints_the_tree_with_counts() -> None:
    out = ok("show", "asqms")
    assert "28 clauses, 193 practices (152 BP, 28 AP, 13 RP), 11 with published ids" in out
    assert re.search(r"5\.5 Configuration management \(8: 7 BP, 1 AP\)", out)
    assert "6.2.6 AP Verification criteria [official id]" in out
    assert "4.3 Personnel management; actions to address risks and opportunities (title not" in out
    assert len(re.findall(r"^\W*\d\.\d+ [A-Z]", out, flags=re.MULTILINE)) == 28


def test_show_one_clause_with_full_text() -> None:
    out = ok("show", "asqms", "5.5")
    assert out.startswith("5.5 Configuration management")
    assert "8 practices (7 BP, 1 AP)" in out
    assert "Baselines are established at defined points" in out
    assert "keywords: baseline, baselining, tag, Git tag, label" in out


def test_show_one_practice_and_json() -> None:
    out = ok("show", "asqms", "6.11.6")
    assert (
        "6.11.6 AP Security monitoring and incident response (official id, qmsgap paraphrase)"
        in out
    )
    payload = json.loads(ok("show", "asqms", "6.2.1", "--json"))
    assert payload["id"] == "6.2.1" and payload["official"] is True


def test_show_unknown_item_and_catalog() -> None:
    result = run("show", "asqms", "9.9")
    assert isinstance(result.exception, NotFound)
    assert "no clause or practice '9.9'" in result.exception.message
    assert isinstance(run("show", "nope").exception, NotFound)


def test_list_shows_builtins_and_imports() -> None:
    out = ok("list")
    for catalog_id in ("asqms", "iaf-aqms", "miit-ota"):
        assert catalog_id in out
    ok("import", str(FIXTURES / "mini.yaml"), "--mode", "replace")
    payload = {i["id"]: i for i in json.loads(ok("list", "--json"))}
    assert payload["mini"]["origin"] == "imported" and payload["mini"]["practices"] == 4
    assert payload["asqms"]["practices"] == 193


def test_import_csv_and_xlsx_overlays_then_diff_against_the_builtin(data_dir: Path) -> None:
    out = ok("import", str(FIXTURES / "asqms-overlay.csv"))
    assert "imported asqms-overlay.csv as overlay of 'asqms'" in out
    assert "4 practices: 3 updated, 1 added, 0 unchanged" in out
    assert str(data_dir) in out
    out = ok("import", str(FIXTURES / "asqms-overlay.xlsx"), "--id", "asqms")
    assert "3 practices: 2 updated, 1 added, 0 unchanged" in out

    tree = ok("show", "asqms")
    assert "195 practices" in tree
    assert "6.2.1 BP Understanding requirement inputs [official id] [licensed text]" in tree

    diff = ok("diff", "builtin:asqms", "asqms")
    assert "2 added, 0 removed, 5 reworded, 0 otherwise changed practices" in diff
    assert "+ 5.10.13 BP Sample licensed practice on SBOM exchange" in diff
    assert "+ 6.13.6 RP Sample licensed practice on archive checks" in diff
    assert "~ 6.2.2 reworded" in diff
    payload = json.loads(ok("diff", "builtin:asqms", "asqms", "--json"))
    reworded = sorted(c["id"] for c in payload["changed"] if c["reworded"])
    assert reworded == ["5.5.4", "6.10.1", "6.11.6", "6.2.1", "6.2.2"]
    (change,) = [c for c in payload["changed"] if c["id"] == "6.10.1"]
    new_text = " ".join(w["text"] for w in change["words"] if w["op"] != "delete")
    old_text = " ".join(w["text"] for w in change["words"] if w["op"] != "insert")
    assert new_text == "Sample licensed text for tests: deployment rules exist for every channel."
    assert old_text.startswith("The organisation establishes rules for deploying software")
    assert {w["op"] for w in change["words"]} == {"equal", "delete", "insert"}


def test_diff_of_two_files() -> None:
    out = ok("diff", str(FIXTURES / "mini.yaml"), str(FIXTURES / "mini-rev2.yaml"))
    assert "mini 1 -> mini 2" in out
    assert "2 added, 1 removed, 1 reworded, 1 otherwise changed practices" in out
    assert "+ clause M.3 Reviews" in out and "- M.2.2 AP Safety relevance" in out
    assert "[-agreed points-] {+every release+}" in out
    assert "type: BP -> AP" in out
    assert "no differences" in ok("diff", "asqms", "asqms")


def test_export_and_check(tmp_path: Path) -> None:
    target = tmp_path / "out" / "asqms.xlsx"
    out = ok("export", "asqms", "--format", "xlsx", "--output", str(target))
    assert f"wrote 193 practices of 'asqms' to {target}" in out
    assert ok("check", str(target)).startswith(
        "ok: 'asqms' 2024-qmsgap.1, 28 clauses, 193 practices"
    )
    yaml_file = tmp_path / "asqms.yaml"
    ok("export", "asqms", "-f", "yaml", "-o", str(yaml_file))
    assert "no differences" in ok("diff", "asqms", str(yaml_file))


def test_check_reports_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nversion: '1'\ntitle: [unclosed\n")
    result = run("check", str(broken))
    assert isinstance(result.exception, CatalogError)
    assert result.exception.message.startswith(f"{broken.name}:")
    assert "YAML syntax error" in result.exception.message


def test_remove_overlay() -> None:
    ok("import", str(FIXTURES / "asqms-overlay.csv"))
    assert "overlay.yaml" in ok("remove", "asqms", "--overlay")
    assert "193 practices" in ok("show", "asqms")
    assert isinstance(run("remove", "asqms").exception, NotFound)


def test_route_shows_targets_and_relationships() -> None:
    out = ok("route", "Configuration management per SUP.8 BP3 and ISO 9001 8.5.6")
    assert "ASPICE 4.0 SUP.8.BP3" in out
    assert re.search(r"5\.5\.4\s+intersect exact\s+via practice-references", out)
    assert re.search(r"5\.7\s+subset\s+exact\s+via iso9001-2015-asqms", out)
    assert "no citation" in ok("route", "nothing to see here")


def test_errors_become_one_line_and_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    qmsgap = Path(sys.executable).with_name("qmsgap")
    missing = tmp_path / "missing.csv"
    done = subprocess.run(
        [qmsgap, "catalog", "import", str(missing)],
        capture_output=True,
        text=True,
        env={"QMSGAP_DATA_DIR": str(tmp_path / "data"), "PATH": ""},
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"error [catalog_error]: {missing}: file not found"
