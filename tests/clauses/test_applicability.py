"""Software type rules (Type I / Type II) and tailoring."""

from __future__ import annotations

import pytest

from qmsgap.clauses import Obligation, Tailoring, mandatory_practices, obligation
from qmsgap.clauses.loader import load_builtin_catalog
from qmsgap.clauses.models import Catalog
from qmsgap.errors import CatalogError, NotFound

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def asqms() -> Catalog:
    return load_builtin_catalog("asqms")


@pytest.mark.parametrize(
    ("practice_id", "software_type", "expected"),
    [
        ("6.2.1", "I", Obligation.MANDATORY),  # BP
        ("6.2.1", "II", Obligation.MANDATORY),
        ("6.2.6", "I", Obligation.OPTIONAL),  # AP
        ("6.2.6", "II", Obligation.MANDATORY),
        ("5.2.8", "I", Obligation.OPTIONAL),  # RP
        ("5.2.8", "II", Obligation.OPTIONAL),
    ],
)
def test_asqms_rules(asqms: Catalog, practice_id: str, software_type: str, expected: str) -> None:
    assert obligation(asqms, practice_id, software_type) is expected


@pytest.mark.parametrize("spelling", ["II", "Type II", "type-ii", "2", " type_II "])
def test_software_type_spellings(asqms: Catalog, spelling: str) -> None:
    assert obligation(asqms, asqms.practice("6.11.6"), spelling) is Obligation.MANDATORY


def test_unknown_software_type_and_practice(asqms: Catalog) -> None:
    with pytest.raises(CatalogError, match=r"knows software types \['I', 'II'\]; got 'III'"):
        obligation(asqms, "6.2.1", "III")
    with pytest.raises(NotFound, match=r"no practice '9\.9\.9'"):
        obligation(asqms, "9.9.9", "I")


def test_mandatory_sets_grow_from_type_i_to_type_ii(asqms: Catalog) -> None:
    type_i = {p.id for p in mandatory_practices(asqms, "I")}
    type_ii = {p.id for p in mandatory_practices(asqms, "II")}
    assert type_i < type_ii
    assert type_ii - type_i == {p.id for p in asqms.all_practices() if p.type == "AP"}
    assert not any(asqms.practice(i).type == "RP" for i in type_ii)


def test_other_catalogs_use_their_own_rules() -> None:
    iaf = load_builtin_catalog("iaf-aqms")
    assert obligation(iaf, "D.4", "essential") is Obligation.OPTIONAL  # ADV
    assert obligation(iaf, "D.4", "advanced") is Obligation.MANDATORY
    assert obligation(iaf, "G.5", "advanced") is Obligation.OPTIONAL  # LEAD
    assert obligation(iaf, "G.5", "leading") is Obligation.MANDATORY
    miit = load_builtin_catalog("miit-ota")
    assert obligation(miit, "M2.1", "default") is Obligation.MANDATORY
    assert obligation(miit, "M2.4", "default") is Obligation.OPTIONAL


def test_tailoring_out_deployment(asqms: Catalog) -> None:
    tailoring = Tailoring.for_catalog(
        asqms,
        {
            "6.10": "Tier-2 supplier: we neither deploy nor update software in vehicles.",
            "6.8": "No software is developed by suppliers.",
        },
    )
    assert [c.clause_id for c in tailoring.clauses] == ["6.8", "6.10"]  # catalog order
    assert obligation(asqms, "6.10.1", "II", tailoring) is Obligation.NOT_APPLICABLE
    assert obligation(asqms, "6.9.1", "II", tailoring) is Obligation.MANDATORY
    assert tailoring.justification("6.10") is not None
    assert "6.10.1" not in {p.id for p in mandatory_practices(asqms, "II", tailoring)}


def test_tailoring_rejects_bad_input_with_reasons(asqms: Catalog) -> None:
    with pytest.raises(CatalogError) as info:
        Tailoring.for_catalog(
            asqms,
            {"6.99": "does not exist", "5.5": "we do not do CM", "6.13": "   "},
        )
    message = info.value.message
    assert "clause '6.99': not in catalog 'asqms'" in message
    assert (
        "clause '5.5': cannot be tailored out (Configuration management is fundamental" in message
    )
    assert "clause '6.13': a justification is required" in message


def test_tailoring_of_another_catalog_is_refused(asqms: Catalog) -> None:
    iaf = load_builtin_catalog("iaf-aqms")
    tailoring = Tailoring.for_catalog(iaf, {"E": "No battery products."})
    with pytest.raises(CatalogError, match="tailoring is for catalog 'iaf-aqms'"):
        obligation(asqms, "6.2.1", "I", tailoring)


def test_tailorability_follows_the_published_commentary(asqms: Catalog) -> None:
    fixed = {c.id for c in asqms.clauses if not c.tailorable}
    assert {"4.1", "4.2", "4.3", "4.4", "4.5", "5.5", "6.2"} <= fixed
    assert {"6.10", "6.11", "6.12", "6.13"} <= {c.id for c in asqms.clauses if c.tailorable}
    assert all(c.tailoring_rationale for c in asqms.clauses)
