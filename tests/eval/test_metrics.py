"""Metric values checked against arithmetic done by hand (written next to each expectation)."""

from __future__ import annotations

import math

import pytest

from qmsgap.eval.metrics import (
    Judgement,
    average_precision,
    calibration,
    clause_scores,
    clause_status,
    grouped_set_scores,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    set_scores,
    status_scores,
)

pytestmark = pytest.mark.unit

E = frozenset[int]()


def j(*hits: set[int], n_gold: int) -> Judgement:
    return Judgement(tuple(frozenset(h) for h in hits), n_gold)


# A: two gold spans, found at ranks 2 (span 0) and 4 (span 1).
# B: one gold span, found at rank 1, only one prediction (k larger than the list).
# C: no gold spans (a gap): no score.
# D: one gold span, no predictions at all.
JUDGEMENTS = {
    "A": j(set(), {0}, set(), {1}, set(), n_gold=2),
    "B": j({0}, n_gold=1),
    "C": j({0}, n_gold=0),
    "D": j(n_gold=1),
}


def test_recall_at_k_by_hand() -> None:
    r1 = recall_at_k(JUDGEMENTS, 1)
    r3 = recall_at_k(JUDGEMENTS, 3)
    r5 = recall_at_k(JUDGEMENTS, 5)
    # A: top1 finds nothing -> 0/2; top3 finds span 0 -> 1/2; top5 finds both -> 2/2
    assert r1.per_item == {"A": 0.0, "B": 1.0, "C": None, "D": 0.0}
    assert r3.per_item["A"] == 0.5
    assert r5.per_item["A"] == 1.0
    # means over A, B, D (C has no gold): @1 (0+1+0)/3, @3 (0.5+1+0)/3, @5 (1+1+0)/3
    assert r1.mean == pytest.approx(1 / 3)
    assert r3.mean == pytest.approx(0.5)
    assert r5.mean == pytest.approx(2 / 3)
    assert r5.count == 3


def test_recall_counts_a_gold_span_once_even_when_hit_twice() -> None:
    scores = recall_at_k({"X": j({0}, {0}, {0}, n_gold=2)}, 3)
    assert scores.per_item["X"] == 0.5  # span 0 found three times, span 1 never: 1/2


def test_reciprocal_rank_by_hand() -> None:
    rr = reciprocal_rank(JUDGEMENTS)
    # A: first hit at rank 2 -> 1/2; B: rank 1 -> 1; D: never -> 0; mean (0.5+1+0)/3 = 0.5
    assert rr.per_item == {"A": 0.5, "B": 1.0, "C": None, "D": 0.0}
    assert rr.mean == pytest.approx(0.5)


def test_ndcg_at_5_by_hand() -> None:
    nd = ndcg_at_k(JUDGEMENTS, 5)
    # A: DCG = 1/log2(3) + 1/log2(5) = 0.6309298 + 0.4306766 = 1.0616064
    #    IDCG (2 gold spans) = 1/log2(2) + 1/log2(3) = 1 + 0.6309298 = 1.6309298
    #    nDCG = 1.0616064 / 1.6309298 = 0.6509209
    assert nd.per_item["A"] == pytest.approx(0.6509209, abs=1e-6)
    assert nd.per_item["B"] == 1.0
    assert nd.per_item["C"] is None
    assert nd.per_item["D"] == 0.0
    assert nd.mean == pytest.approx((0.6509209 + 1.0 + 0.0) / 3, abs=1e-6)


def test_ndcg_gives_no_gain_for_a_span_found_again() -> None:
    # without the rule DCG would be 1 + 1/log2(3) > IDCG = 1
    assert ndcg_at_k({"X": j({0}, {0}, n_gold=1)}, 5).per_item["X"] == 1.0
    # the repeated hit at rank 1 does not count; span 1 found at rank 2:
    # DCG = 1 + 1/log2(3); IDCG = 1 + 1/log2(3) -> 1.0
    assert ndcg_at_k({"Y": j({0}, {0, 1}, n_gold=2)}, 5).per_item["Y"] == pytest.approx(1.0)


def test_ndcg_at_1_and_bad_k() -> None:
    assert ndcg_at_k(JUDGEMENTS, 1).per_item["A"] == 0.0
    with pytest.raises(ValueError, match="k must be at least 1"):
        recall_at_k(JUDGEMENTS, 0)


def test_empty_input_has_no_mean() -> None:
    scores = recall_at_k({}, 3)
    assert scores.mean is None
    assert scores.count == 0


GOLD = {"a": "covered", "b": "covered", "c": "partial", "d": "gap", "e": "gap", "f": "partial"}
PRED = {"a": "covered", "b": "gap", "c": "covered", "d": "gap", "e": "not_applicable"}


def test_status_scores_by_hand() -> None:
    s = status_scores(GOLD, PRED)
    # correct: a, d -> 2 of 6
    assert s.accuracy.mean == pytest.approx(2 / 6)
    assert s.accuracy.per_item["a"] == 1.0
    assert s.accuracy.per_item["f"] == 0.0
    # covered: predicted a, c (tp a) -> P 1/2; gold a, b -> R 1/2; F1 0.5
    assert s.per_class["covered"].precision == 0.5
    assert s.per_class["covered"].recall == 0.5
    assert s.per_class["covered"].f1 == 0.5
    # partial: never predicted -> precision 0 by convention (not NaN); recall 0/2; F1 0
    assert s.per_class["partial"].precision == 0.0
    assert s.per_class["partial"].recall == 0.0
    assert s.per_class["partial"].f1 == 0.0
    assert s.per_class["partial"].predicted == 0
    # gap: predicted b, d (tp d) -> P 1/2; gold d, e -> R 1/2
    assert s.per_class["gap"].f1 == 0.5
    # macro over covered, partial, gap: (0.5 + 0 + 0.5) / 3
    assert s.macro_f1 == pytest.approx(1 / 3)
    assert s.missing == ("f",)
    assert s.confusion.labels == ("covered", "partial", "gap", "missing", "not_applicable")
    assert s.confusion.matrix == (
        (1, 0, 1, 0, 0),  # covered: a->covered, b->gap
        (1, 0, 0, 1, 0),  # partial: c->covered, f->missing
        (0, 0, 1, 0, 1),  # gap: d->gap, e->not_applicable
        (0, 0, 0, 0, 0),
        (0, 0, 0, 0, 0),
    )


def test_macro_f1_leaves_out_classes_absent_from_gold() -> None:
    s = status_scores({"a": "covered", "b": "covered"}, {"a": "covered", "b": "gap"})
    # covered: P 1/1, R 1/2, F1 2/3; gap: support 0 -> recall None, not in the macro mean
    assert s.per_class["gap"].recall is None
    assert s.per_class["gap"].precision == 0.0
    assert s.macro_f1 == pytest.approx(2 / 3)


def test_status_scores_reject_unknown_gold_label() -> None:
    with pytest.raises(ValueError, match="not one of"):
        status_scores({"a": "maybe"}, {"a": "gap"})


def test_clause_status_rule() -> None:
    assert clause_status(["covered", "covered"]) == "covered"
    assert clause_status(["gap", "not_applicable", "missing"]) == "gap"
    assert clause_status(["covered", "gap"]) == "partial"
    assert clause_status(["partial"]) == "partial"
    with pytest.raises(ValueError, match="at least one"):
        clause_status([])


def test_clause_scores_by_hand() -> None:
    clause_of = {"a": "4.1", "b": "4.1", "c": "4.2", "d": "4.2", "e": "5.1", "f": "5.1"}
    s = clause_scores(GOLD, PRED, clause_of)
    # gold: 4.1 [cov, cov] covered; 4.2 [part, gap] partial; 5.1 [gap, part] partial
    assert s.gold_status == {"4.1": "covered", "4.2": "partial", "5.1": "partial"}
    # pred: 4.1 [cov, gap] partial; 4.2 [cov, gap] partial; 5.1 [n/a, missing] gap
    assert s.predicted_status == {"4.1": "partial", "4.2": "partial", "5.1": "gap"}
    assert s.status.accuracy.mean == pytest.approx(1 / 3)
    # coverage error: 4.1 |1 - 0.5| = 0.5; 4.2 |0.25 - 0.5| = 0.25; 5.1 |0.25 - 0| = 0.25
    assert s.coverage_error.per_item == {"4.1": 0.5, "4.2": 0.25, "5.1": 0.25}
    assert s.coverage_error.mean == pytest.approx(1 / 3)


def test_calibration_by_hand() -> None:
    conf = {"a": 0.2, "b": 0.4, "c": 0.9, "d": 1.0}
    correct = {"a": False, "b": True, "c": True, "d": False}
    cal = calibration(conf, correct, n_bins=2)
    # bin [0, .5): a, b -> mean conf 0.3, accuracy 0.5, weight 2/4 -> 0.5 * 0.2 = 0.1
    # bin [.5, 1]: c, d -> mean conf 0.95, accuracy 0.5, weight 2/4 -> 0.5 * 0.45 = 0.225
    assert cal.ece == pytest.approx(0.325)
    assert [b.count for b in cal.bins] == [2, 2]
    assert cal.bins[1].mean_confidence == pytest.approx(0.95)
    # Brier: (0.2-0)^2 + (0.4-1)^2 + (0.9-1)^2 + (1-0)^2 = 0.04 + 0.36 + 0.01 + 1 = 1.41 -> /4
    assert cal.brier.mean == pytest.approx(0.3525)
    assert cal.brier.per_item["b"] == pytest.approx(0.36)


def test_calibration_edges() -> None:
    assert calibration({}, {}).ece is None
    perfect = calibration({"a": 1.0, "b": 0.0}, {"a": True, "b": False}, n_bins=10)
    assert perfect.ece == 0.0  # bin 10 holds 1.0 (closed last bin), bin 1 holds 0.0
    assert perfect.bins[9].count == 1
    with pytest.raises(ValueError, match="outside"):
        calibration({"a": 1.5}, {"a": True})
    with pytest.raises(ValueError, match="no correctness"):
        calibration({"a": 0.5}, {})


def test_average_precision_by_hand() -> None:
    ranked = {"P1": ["d1", "x", "d2", "y"], "P2": []}
    relevant = {"P1": {"d1", "d2", "d3"}, "P2": {"d1"}, "P3": set()}
    ap = average_precision(ranked, relevant)
    # P1: hits at ranks 1 and 3 -> (1/1 + 2/3) / 3 relevant = 0.5555...; d3 never ranked
    assert ap.per_item["P1"] == pytest.approx((1 + 2 / 3) / 3)
    assert ap.per_item["P2"] == 0.0
    assert ap.per_item["P3"] is None
    assert ap.mean == pytest.approx((1 + 2 / 3) / 3 / 2)


def test_set_scores_and_grouped_by_hand() -> None:
    assert set_scores([], []).precision == 0.0
    assert set_scores([], []).recall is None
    gold = {"P1": ["a", "b"], "P2": ["c"]}
    predicted = {"P1": ["a", "x"], "P3": ["c"]}
    g = grouped_set_scores(gold, predicted)
    # pairs: gold (P1,a) (P1,b) (P2,c); predicted (P1,a) (P1,x) (P3,c); tp 1 -> 1/3, 1/3
    assert g.micro.precision == pytest.approx(1 / 3)
    assert g.micro.recall == pytest.approx(1 / 3)
    assert g.micro.f1 == pytest.approx(1 / 3)
    # per process: P1 P 1/2 R 1/2 F1 1/2; P2 nothing predicted -> 0/0/0; P3 no gold -> not in macro
    assert g.per_group["P1"].f1 == 0.5
    assert g.per_group["P2"].f1 == 0.0
    assert g.per_group["P3"].recall is None
    assert g.macro_precision == pytest.approx(0.25)
    assert g.macro_recall == pytest.approx(0.25)
    assert g.macro_f1 == pytest.approx(0.25)
    assert not math.isnan(g.macro_f1 or 0.0)
