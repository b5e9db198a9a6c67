"""The built-in ASQMS catalog: structure, counts, official ids and themes."""

from __future__ import annotations

import pytest

from qmsgap.clauses.loader import load_builtin_catalog
from qmsgap.clauses.models import Catalog

pytestmark = pytest.mark.unit

PROCESSES = (
    [f"4.{i}" for i in range(1, 6)]
    + [f"5.{i}" for i in range(1, 11)]
    + [f"6.{i}" for i in range(1, 14)]
)
OFFICIAL = {f"6.2.{i}": "BP" for i in range(1, 10)}
OFFICIAL |= {"6.2.6": "AP", "6.10.1": "AP", "6.11.6": "AP"}


@pytest.fixture(scope="module")
def asqms() -> Catalog:
    return load_builtin_catalog("asqms")


def test_all_28_processes_in_order(asqms: Catalog) -> None:
    assert [c.id for c in asqms.clauses] == PROCESSES


def test_practice_counts(asqms: Catalog) -> None:
    assert len(asqms.all_practices()) >= 150
    for clause in asqms.clauses:
        assert len(clause.practices) >= 4, clause.id


def test_official_ids_present_typed_and_flagged(asqms: Catalog) -> None:
    for practice_id, practice_type in OFFICIAL.items():
        practice = asqms.practice(practice_id)
        assert practice.official, practice_id
        assert practice.type == practice_type, practice_id
    flagged = {p.id for p in asqms.all_practices() if p.official}
    assert flagged == set(OFFICIAL)


def test_clause_4_3_title_is_marked_unknown(asqms: Catalog) -> None:
    clause = asqms.clause("4.3")
    assert clause.title_known is False
    assert all(c.title_known for c in asqms.clauses if c.id != "4.3")


def test_practice_type_balance(asqms: Catalog) -> None:
    types = [p.type for p in asqms.all_practices()]
    assert types.count("BP") > types.count("AP") > types.count("RP") > 0
