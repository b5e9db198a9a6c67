"""Finding citations of standards in text and routing them to ASQMS ids."""

from __future__ import annotations

import pytest

from qmsgap.clauses import ReferenceRouter, citation_router, find_references
from qmsgap.clauses.loader import load_builtin_catalog, load_builtin_crosswalks

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def router() -> ReferenceRouter:
    return ReferenceRouter(load_builtin_catalog("asqms"), load_builtin_crosswalks("asqms"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("per ISO 9001 8.5.6", [("ISO 9001:2015", "8.5.6")]),
        ("ISO 9001:2015 clause 7.5.3", [("ISO 9001:2015", "7.5.3")]),
        ("DIN EN ISO 9001:2015, Kap. 7", [("ISO 9001:2015", "7")]),
        ("gemäß ISO 9001:2015 Abschnitt 7.5.3", [("ISO 9001:2015", "7.5.3")]),
        (
            "GB/T 19001-2016 第8.5.6条 / GB/T 19001-2016 8.5.6",
            [("ISO 9001:2015", "8.5.6")] * 2,
        ),
        ("GB/T 19001-2008 7.5", [("GB/T 19001-2008", "7.5")]),
        ("ISO 9001:2015 § 8.4", [("ISO 9001:2015", "8.4")]),
        ("IATF 16949 8.3.2.3", [("IATF 16949:2016", "8.3.2.3")]),
        ("clause 10.2.3 of IATF 16949", [("IATF 16949:2016", "10.2.3")]),
        (
            "IATF 16949:2016 sections 7.2 and 8.4",
            [("IATF 16949:2016", "7.2"), ("IATF 16949:2016", "8.4")],
        ),
        ("SUP.8", [("ASPICE 4.0", "SUP.8")]),
        ("ASPICE SWE.4", [("ASPICE 4.0", "SWE.4")]),
        ("see SUP.8 BP3 and SUP.10", [("ASPICE 4.0", "SUP.8.BP3"), ("ASPICE 4.0", "SUP.10")]),
        ("Automotive SPICE v3.1 SUP.8.BP2", [("ASPICE 3.1", "SUP.8.BP2")]),
        ("ISO 26262-8:2018 clause 11", [("ISO 26262:2018", "8-11")]),
        ("ISO 26262-6", [("ISO 26262:2018", "6")]),
        ("ISO/SAE 21434 clause 8.5", [("ISO/SAE 21434:2021", "8.5")]),
        ("UN R155 and UNECE R156", [("UNECE R155", ""), ("UNECE R156", "")]),
        ("UN Regulation No. 156 paragraph 7.1.1", [("UNECE R156", "7.1.1")]),
        ("ISO 9001:2008 4.2.3", [("ISO 9001:2008", "4.2.3")]),
        ("ISO/TS 16949 7.3", [("ISO/TS 16949", "7.3")]),
    ],
)
def test_find_references(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(r.standard, r.clause) for r in find_references(text)] == expected


@pytest.mark.parametrize(
    "text",
    ["The IATF audit is in May", "version 8.5.6 of the tool", "we sell 155 units", "ISO 14001"],
)
def test_text_without_citations(text: str) -> None:
    assert find_references(text) == []


def test_reference_span_points_into_the_text() -> None:
    text = "Baselines follow SUP.8 BP3 strictly."
    (reference,) = find_references(text)
    assert text[reference.start : reference.end] == "SUP.8 BP3"


def test_iso_9001_change_control_routes_to_change_management(router: ReferenceRouter) -> None:
    routes = router.route_text("Changes are controlled per ISO 9001 8.5.6.")
    by_target = {r.target: r for r in routes}
    assert set(by_target) == {"5.7", "6.11.3", "5.7.4"}
    assert by_target["5.7"].via == "iso9001-2015-asqms"
    assert by_target["5.7"].relationship == "subset" and by_target["5.7"].match == "exact"
    assert by_target["5.7.4"].via == "practice-references"


def test_iatf_embedded_software_routes_to_the_development_processes(
    router: ReferenceRouter,
) -> None:
    targets = router("Development of products with embedded software (IATF 16949 8.3.2.3)")
    assert {"6.2", "6.3", "6.4", "6.5", "6.6", "6.7", "5.9"} <= targets


def test_aspice_base_practice_refines_to_the_matching_practice(router: ReferenceRouter) -> None:
    routes = router.route_text("SUP.8 BP3")
    assert [(r.target, r.match) for r in routes] == [("5.5", "parent"), ("5.5.4", "exact")]
    assert routes[0].relationship == "subset"  # BP3 is narrower than SUP.8 == 5.5


def test_aspice_process_keeps_practice_routes_inside_the_crosswalk_target(
    router: ReferenceRouter,
) -> None:
    targets = router("SUP.8")
    assert "5.5" in targets
    assert all(t == "5.5" or t.startswith("5.5.") for t in targets)  # not 5.2.5 (tools under CM)


def test_narrower_citation_uses_the_nearest_parent_link(router: ReferenceRouter) -> None:
    routes = router.route_text("ISO 9001:2015 7.5.3.2")
    assert {r.target for r in routes} == {"5.1.3", "5.1.4", "5.1.5"}
    assert {r.source for r in routes if r.via != "practice-references"} == {"7.5.3"}
    assert all(r.match == "parent" for r in routes if r.via != "practice-references")


def test_broader_citation_uses_the_child_links(router: ReferenceRouter) -> None:
    routes = [r for r in router.route_text("ISO 9001 clause 8.5") if r.via != "practice-references"]
    assert {r.source for r in routes} == {"8.5.1", "8.5.2", "8.5.3", "8.5.4", "8.5.5", "8.5.6"}
    assert all(r.match == "child" for r in routes)


def test_standards_without_crosswalk_route_through_practice_references(
    router: ReferenceRouter,
) -> None:
    targets = router("Tools are qualified per ISO 26262-8:2018 clause 11.4.6")
    assert "5.2.2" in targets and "5.2.3" in targets
    assert all(t.startswith("5.2.") for t in targets)
    assert "6.11.6" in router("our CSMS per UN R155")


def test_other_editions_and_unknown_clauses_do_not_route(router: ReferenceRouter) -> None:
    assert router("ISO 9001:2008 clause 4.2.3") == set()
    assert router("ISO 9001:2015 clause 11.9") == set()
    assert router("ISO 26262") == set()  # the whole standard is too broad to say anything


def test_every_route_target_exists(router: ReferenceRouter) -> None:
    catalog = router.catalog
    text = (
        "ISO 9001 4.4 5.3 7.1.6 8.3 IATF 16949 7.2.3 8.4.2.3.1 10.2.3 SYS.2 SWE.6 MLE.3 ACQ.4 "
        "SPL.2 ISO/SAE 21434 clause 13.3 UNECE R155"
    )
    routes = router.route_text(text)
    assert routes
    assert all(catalog.has_id(r.target) for r in routes)


def test_citation_router_builds_a_router_for_a_catalog() -> None:
    router = citation_router("asqms")
    assert "5.5" in router("SUP.8")
    assert citation_router("miit-ota")("SUP.8") == set()  # no crosswalks onto miit-ota


def test_repeated_citations_keep_their_own_spans(router: ReferenceRouter) -> None:
    text = "SUP.8 first; later again SUP.8"
    routes = [r for r in router.route_text(text) if r.target == "5.5"]
    assert [r.reference.start for r in routes] == [0, text.rindex("SUP.8")]
