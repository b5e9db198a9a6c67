"""The built-in ASQMS catalog: structure, counts, official ids and themes."""

from __future__ import annotations

import re

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


# ----------------------------------------------------------------------------- content quality

ISSUE_THEMES = [
    "toolchain-validation",
    "open-source-licences",
    "open-source-vulnerabilities",
    "sbom",
    "machine-learning",
    "ai-assisted-tools",
    "security-monitoring",
    "incident-response",
    "user-information",
    "user-data-disposal",
    "ota-release",
    "ota-deployment",
    "rollback",
    "software-termination",
    "software-type-classification",
]
STANDARD_NAMES = {
    "ISO 9001:2015",
    "IATF 16949:2016",
    "ASPICE 4.0",
    "ISO 26262:2018",
    "ISO/SAE 21434:2021",
    "UNECE R155",
    "UNECE R156",
    "GB 44495-2024",
    "GB 44496-2024",
    "ISO/IEC 5230:2020",
    "ISO/IEC 18974:2023",
    "ISO 21448:2022",
    "PIPL",
    "GDPR",
}
GENERIC_KEYWORDS = {
    "process",
    "document",
    "procedure",
    "quality",
    "management",
    "software",
    "record",
}


@pytest.mark.parametrize("theme", ISSUE_THEMES)
def test_every_issue_theme_is_a_practice_of_its_own(asqms: Catalog, theme: str) -> None:
    leading = [p.id for p in asqms.all_practices() if p.themes and p.themes[0] == theme]
    assert leading, f"no practice is primarily about {theme}"


def test_themes_come_from_the_documented_vocabulary(asqms: Catalog) -> None:
    from pathlib import Path

    from qmsgap.clauses.loader import builtin_themes

    doc = (Path(__file__).resolve().parents[2] / "docs" / "catalog-format.md").read_text()
    used = {t for p in asqms.all_practices() for t in p.themes}
    assert used <= builtin_themes()
    for theme in builtin_themes():
        assert f"`{theme}`" in doc, f"theme {theme} is not documented"


def test_each_practice_is_complete(asqms: Catalog) -> None:
    import re

    for practice in asqms.all_practices():
        sentences = len(re.findall(r"[.!?](?:\s|$)", practice.requirement))
        assert 2 <= sentences <= 5, (practice.id, sentences)
        assert practice.expected_evidence, practice.id
        assert 6 <= len(practice.keywords) <= 16, practice.id
        assert len({k.lower() for k in practice.keywords}) == len(practice.keywords), practice.id
        assert not GENERIC_KEYWORDS & {k.lower() for k in practice.keywords}, practice.id
        assert practice.references and practice.themes, practice.id
        assert practice.source == "builtin"


def test_references_use_exact_standard_names(asqms: Catalog) -> None:
    used = {r.standard for p in asqms.all_practices() for r in p.references}
    used |= {r.standard for c in asqms.clauses for r in c.references}
    assert used <= STANDARD_NAMES, used - STANDARD_NAMES
    aspice = {
        r.clause for p in asqms.all_practices() for r in p.references if r.standard == "ASPICE 4.0"
    }
    assert all(re.fullmatch(r"[A-Z]{3}\.\d{1,2}(\.BP\d{1,2})?", c) for c in aspice), aspice


def test_no_claim_of_official_text(asqms: Catalog) -> None:
    text = " ".join(p.requirement for p in asqms.all_practices()).lower()
    for phrase in ("shall", "asqms states", "the standard says", "verbatim"):
        assert phrase not in text, phrase


def test_ap_practices_are_about_type_ii_rigour(asqms: Catalog) -> None:
    published_ap = {"6.2.6", "6.10.1", "6.11.6"}
    for practice in asqms.all_practices():
        if practice.type == "AP" and practice.id not in published_ap:
            assert "Type II" in practice.requirement, practice.id


# ----------------------------------------------------------------------------- crosswalks


def test_crosswalks_cover_the_clauses_named_in_the_issue() -> None:
    from qmsgap.clauses.loader import load_builtin_crosswalks

    crosswalks = {c.source_standard: c for c in load_builtin_crosswalks("asqms")}
    assert set(crosswalks) == {"ISO 9001:2015", "IATF 16949:2016", "ASPICE 4.0"}
    iatf = {link.source for link in crosswalks["IATF 16949:2016"].links}
    assert {"8.3.2.3", "8.5.6", "7.2", "8.4", "10.2.3"} <= iatf
    aspice = {link.source for link in crosswalks["ASPICE 4.0"].links}
    expected = {"MAN.3", "SUP.1", "SUP.8", "SUP.9", "SUP.10", "ACQ.4", "SPL.2"}
    expected |= {f"SYS.{i}" for i in range(2, 6)} | {f"SWE.{i}" for i in range(1, 7)}
    assert expected <= aspice
    iso = {link.source for link in crosswalks["ISO 9001:2015"].links}
    assert {"4.1", "7.5", "8.5.6", "9.2", "10.2"} <= iso
    for crosswalk in crosswalks.values():
        for link in crosswalk.links:
            assert link.rationale.strip() and link.source_title.strip(), link.source


# ----------------------------------------------------------------------------- other frameworks


def test_iaf_aqms_has_areas_a_to_h_with_maturity_tiers() -> None:
    iaf = load_builtin_catalog("iaf-aqms")
    assert [c.id for c in iaf.clauses] == list("ABCDEFGH")
    assert [t.key for t in iaf.practice_types] == ["ESS", "ADV", "LEAD"]
    assert iaf.software_types == ("essential", "advanced", "leading")
    assert all(len(c.practices) >= 4 for c in iaf.clauses)
    assert not any(p.official for p in iaf.all_practices())


def test_miit_checklist_covers_the_notice_topics() -> None:
    miit = load_builtin_catalog("miit-ota")
    titles = " ".join(p.title.lower() for p in miit.all_practices())
    for topic in (
        "filing",
        "safety assessment",
        "change licensing",
        "disclosure",
        "incident monitoring",
        "reporting",
        "data recording",
    ):
        assert topic in titles, topic
    assert {t.key for t in miit.practice_types} == {"OBL", "SUP"}
