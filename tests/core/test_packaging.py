"""The folder -> import mapping in pyproject.toml stays complete and nothing generic leaks out."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def _setuptools_table() -> dict[str, object]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    table: dict[str, object] = data["tool"]["setuptools"]
    return table


def test_every_python_folder_is_a_listed_package() -> None:
    table = _setuptools_table()
    package_dir: dict[str, str] = table["package-dir"]  # type: ignore[assignment]
    listed = set(table["packages"])  # type: ignore[arg-type]
    folder_to_package = {folder: package for package, folder in package_dir.items()}
    found = set()
    for folder, package in folder_to_package.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *relative)))
    assert found == listed, "pyproject [tool.setuptools] packages must list every package folder"


@pytest.mark.parametrize(
    "module",
    [
        "qmsgap.ingest",
        "qmsgap.mapping",
        "qmsgap.clauses",
        "qmsgap.service",
        "qmsgap.frontend",
        "qmsgap.eval",
        "qmsgap.cli",
    ],
)
def test_design_card_folders_import_under_qmsgap(module: str) -> None:
    assert importlib.import_module(module).__name__ == module


@pytest.mark.parametrize("generic", ["service", "mapping", "ingest", "clauses", "frontend"])
def test_no_generic_top_level_module_is_installed(generic: str) -> None:
    spec = importlib.util.find_spec(generic)
    assert spec is None or not str(spec.origin or "").startswith(str(ROOT / ".venv"))
