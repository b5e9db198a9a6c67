"""Evaluation metrics: pure functions over plain data, numpy only.

Every metric returns the score of each item (practice, clause, process ...) AND the mean, so a
report can show both and a reader can find the items that pull the mean down.

Conventions (the same for every system):

- Ranked retrieval is judged on :class:`Judgement` objects: for each ranked prediction, the set
  of gold spans it hits (the hit rule lives in :mod:`qmsgap.eval.gold`), plus the number of gold
  spans. An item without gold spans has no retrieval score (``None``) and is left out of the
  mean; an item with gold spans but no predictions scores 0.
- A gold span counts once: a later prediction hitting an already-found span earns no gain
  (so nDCG stays within [0, 1] when a system returns two passages of the same paragraph).
- Classification: precision of a class that is never predicted is 0 (not NaN), recall of a
  class absent from gold is not defined and the class is left out of the macro average; F1 is
  0 when precision + recall is 0. Macro-F1 averages over the classes present in gold.
- Calibration: a prediction is correct when its status equals the gold status; ECE uses
  equal-width confidence bins over [0, 1] (the last bin includes 1.0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

STATUSES: tuple[str, ...] = ("covered", "partial", "gap")
"""The gold classes, in report order."""


@dataclass(frozen=True)
class ItemScores:
    """Per-item scores and their mean over the items that have a score.

    ``per_item`` maps an item id to its score, or ``None`` where the metric is undefined for
    that item (e.g. retrieval recall of a gap practice). ``mean`` is ``None`` when no item has
    a score.
    """

    per_item: dict[str, float | None]
    mean: float | None
    count: int

    @classmethod
    def of(cls, per_item: Mapping[str, float | None]) -> ItemScores:
        values = [v for v in per_item.values() if v is not None]
        mean = float(np.mean(values)) if values else None
        return cls(dict(per_item), mean, len(values))


@dataclass(frozen=True)
class Judgement:
    """One item's ranked predictions as judged against its gold spans.

    ``hits[i]`` holds the indices (0 .. ``n_gold`` - 1) of the gold spans that the prediction
    at rank ``i + 1`` hits; an empty set is a miss.
    """

    hits: tuple[frozenset[int], ...]
    n_gold: int


def _first_hits(hits: Sequence[frozenset[int]]) -> list[int]:
    """For each rank, how many gold spans are found there for the first time."""
    seen: set[int] = set()
    gains = []
    for found in hits:
        new = found - seen
        gains.append(len(new))
        seen |= new
    return gains


def recall_at_k(judgements: Mapping[str, Judgement], k: int) -> ItemScores:
    """Fraction of an item's gold spans hit within the top ``k`` predictions.

    Raises:
        ValueError: ``k`` is smaller than 1.
    """
    _check_k(k)
    scores: dict[str, float | None] = {}
    for item, judgement in judgements.items():
        if judgement.n_gold == 0:
            scores[item] = None
            continue
        found = set().union(*judgement.hits[:k]) if judgement.hits[:k] else set()
        scores[item] = len(found) / judgement.n_gold
    return ItemScores.of(scores)


def reciprocal_rank(judgements: Mapping[str, Judgement]) -> ItemScores:
    """1 / rank of the first prediction that hits any gold span (0 if none does); the mean is MRR.

    Ranks run over the whole prediction list the system returned (the evaluation asks every
    system for the same number of evidence items, so this is MRR@that number).
    """
    scores: dict[str, float | None] = {}
    for item, judgement in judgements.items():
        if judgement.n_gold == 0:
            scores[item] = None
            continue
        rank = next((i + 1 for i, found in enumerate(judgement.hits) if found), None)
        scores[item] = 0.0 if rank is None else 1.0 / rank
    return ItemScores.of(scores)


def ndcg_at_k(judgements: Mapping[str, Judgement], k: int = 5) -> ItemScores:
    """nDCG@k with binary gains: a prediction gains 1 for each gold span it finds first.

    DCG = sum(gain_i / log2(i + 1)) over ranks i = 1..k; the ideal DCG places one new gold span
    at each of the first min(n_gold, k) ranks.

    Raises:
        ValueError: ``k`` is smaller than 1.
    """
    _check_k(k)
    scores: dict[str, float | None] = {}
    for item, judgement in judgements.items():
        if judgement.n_gold == 0:
            scores[item] = None
            continue
        gains = _first_hits(judgement.hits[:k])
        dcg = sum(g / np.log2(rank + 1) for rank, g in enumerate(gains, start=1))
        ideal = sum(1.0 / np.log2(rank + 1) for rank in range(1, min(judgement.n_gold, k) + 1))
        scores[item] = float(min(1.0, dcg / ideal))
    return ItemScores.of(scores)


def average_precision(
    ranked: Mapping[str, Sequence[str]], relevant: Mapping[str, Iterable[str]]
) -> ItemScores:
    """Average precision of each ranked list against its relevant set; the mean is MAP.

    AP = (1 / |relevant|) * sum of precision@r over the ranks r holding a relevant entry.
    Relevant entries never ranked contribute 0. Items whose relevant set is empty score
    ``None``. An item missing from ``ranked`` counts as an empty ranking.
    """
    scores: dict[str, float | None] = {}
    for item, rel_iter in relevant.items():
        rel = set(rel_iter)
        if not rel:
            scores[item] = None
            continue
        hits = 0
        total = 0.0
        seen: set[str] = set()
        for rank, entry in enumerate(ranked.get(item, ()), start=1):
            if entry in seen:
                continue
            seen.add(entry)
            if entry in rel:
                hits += 1
                total += hits / rank
        scores[item] = total / len(rel)
    return ItemScores.of(scores)


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall and F1 of one class, with its gold support and prediction count."""

    precision: float
    recall: float | None
    f1: float
    support: int
    predicted: int


@dataclass(frozen=True)
class Confusion:
    """Rows: gold label; columns: predicted label; both in ``labels`` order."""

    labels: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class StatusScores:
    """Status classification scores. ``accuracy.per_item`` is 1.0 / 0.0 per item."""

    accuracy: ItemScores
    per_class: dict[str, ClassScores]
    macro_f1: float | None
    confusion: Confusion
    missing: tuple[str, ...] = field(default=())


def status_scores(
    gold: Mapping[str, str],
    predicted: Mapping[str, str],
    classes: Sequence[str] = STATUSES,
) -> StatusScores:
    """Accuracy, per-class P/R/F1, macro-F1 and the confusion matrix of status predictions.

    Items are those in ``gold``; an item without a prediction is wrong and listed in
    ``missing`` (its predicted label is ``"missing"`` in the confusion matrix). Predicted labels
    outside ``classes`` (e.g. ``not_applicable``) are wrong for every gold class and get their
    own confusion column.

    Raises:
        ValueError: a gold label is not one of ``classes``.
    """
    for item, label in gold.items():
        if label not in classes:
            raise ValueError(f"gold label {label!r} of {item!r} is not one of {list(classes)}")
    missing = tuple(item for item in gold if item not in predicted)
    pairs = [(gold[item], predicted.get(item, "missing")) for item in gold]
    correct = {item: float(predicted.get(item) == gold[item]) for item in gold}

    extra = sorted({p for _, p in pairs if p not in classes})
    labels = (*classes, *extra)
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for g, p in pairs:
        matrix[index[g], index[p]] += 1

    per_class: dict[str, ClassScores] = {}
    for label in classes:
        i = index[label]
        tp = int(matrix[i, i])
        predicted_n = int(matrix[:, i].sum())
        support = int(matrix[i, :].sum())
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else None
        f1 = _f1(precision, recall or 0.0)
        per_class[label] = ClassScores(precision, recall, f1, support, predicted_n)
    present = [c.f1 for c in per_class.values() if c.support > 0]
    macro = float(np.mean(present)) if present else None
    confusion = Confusion(labels, tuple(tuple(int(v) for v in row) for row in matrix))
    return StatusScores(ItemScores.of(correct), per_class, macro, confusion, missing)


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def clause_status(practice_statuses: Sequence[str]) -> str:
    """The status of a clause derived from its practices' statuses.

    ``covered`` when every practice is covered, ``gap`` when every practice is a gap (or none
    is labelled covered/partial), ``partial`` otherwise. Statuses outside covered/partial
    (``gap``, ``not_applicable``, ``missing``) count as not covered.

    Raises:
        ValueError: the clause has no practices.
    """
    if not practice_statuses:
        raise ValueError("a clause needs at least one practice")
    if all(s == "covered" for s in practice_statuses):
        return "covered"
    if not any(s in ("covered", "partial") for s in practice_statuses):
        return "gap"
    return "partial"


_COVERAGE_VALUE = {"covered": 1.0, "partial": 0.5}


def coverage_value(status: str) -> float:
    """covered = 1, partial = 0.5, anything else (gap, not applicable, missing) = 0."""
    return _COVERAGE_VALUE.get(status, 0.0)


@dataclass(frozen=True)
class ClauseScores:
    """Clause-level status scores and the absolute error of each clause's coverage fraction."""

    status: StatusScores
    coverage_error: ItemScores
    gold_status: dict[str, str]
    predicted_status: dict[str, str]


def clause_scores(
    gold: Mapping[str, str],
    predicted: Mapping[str, str],
    clause_of: Mapping[str, str],
) -> ClauseScores:
    """Scores per clause, both sides derived from practice statuses by :func:`clause_status`.

    Only practices labelled in ``gold`` count, for gold and prediction alike; a practice the
    system did not predict counts as ``missing`` (not covered). ``coverage_error`` per clause is
    |mean coverage value of gold - mean coverage value of prediction| (see
    :func:`coverage_value`).

    Raises:
        KeyError: a gold practice has no entry in ``clause_of``.
    """
    members: dict[str, list[str]] = {}
    for practice in gold:
        members.setdefault(clause_of[practice], []).append(practice)
    gold_clause: dict[str, str] = {}
    pred_clause: dict[str, str] = {}
    errors: dict[str, float | None] = {}
    for clause, practices in members.items():
        g = [gold[p] for p in practices]
        p = [predicted.get(x, "missing") for x in practices]
        gold_clause[clause] = clause_status(g)
        pred_clause[clause] = clause_status(p)
        g_cov = float(np.mean([coverage_value(s) for s in g]))
        p_cov = float(np.mean([coverage_value(s) for s in p]))
        errors[clause] = abs(g_cov - p_cov)
    return ClauseScores(
        status_scores(gold_clause, pred_clause),
        ItemScores.of(errors),
        gold_clause,
        pred_clause,
    )


@dataclass(frozen=True)
class CalibrationBin:
    """One equal-width confidence bin: [lower, upper), the last one closed."""

    lower: float
    upper: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


@dataclass(frozen=True)
class Calibration:
    """Expected calibration error, the reliability bins, and the Brier score per item."""

    ece: float | None
    bins: tuple[CalibrationBin, ...]
    brier: ItemScores


def calibration(
    confidence: Mapping[str, float], correct: Mapping[str, bool], n_bins: int = 10
) -> Calibration:
    """ECE over ``n_bins`` equal-width bins of [0, 1], plus per-item Brier scores.

    ECE = sum over bins of (n_bin / N) * |accuracy_bin - mean confidence_bin|. The Brier
    score of an item is (confidence - correct)^2; its mean is the Brier score.

    Raises:
        ValueError: ``n_bins`` < 1, a confidence outside [0, 1], or an item of ``confidence``
            missing from ``correct``.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    items = list(confidence)
    for item in items:
        if item not in correct:
            raise ValueError(f"no correctness value for {item!r}")
        if not 0.0 <= confidence[item] <= 1.0:
            raise ValueError(f"confidence of {item!r} is {confidence[item]}, outside [0, 1]")
    conf = np.array([confidence[i] for i in items], dtype=np.float64)
    hit = np.array([float(correct[i]) for i in items], dtype=np.float64)
    brier = ItemScores.of(
        {i: float((c - h) ** 2) for i, c, h in zip(items, conf, hit, strict=True)}
    )
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.minimum((conf * n_bins).astype(np.int64), n_bins - 1) if items else conf
    bins = []
    ece = 0.0
    for b in range(n_bins):
        mask = which == b
        count = int(mask.sum())
        if count:
            mean_conf = float(conf[mask].mean())
            acc = float(hit[mask].mean())
            ece += count / len(items) * abs(acc - mean_conf)
            bins.append(CalibrationBin(float(edges[b]), float(edges[b + 1]), count, mean_conf, acc))
        else:
            bins.append(CalibrationBin(float(edges[b]), float(edges[b + 1]), 0, None, None))
    return Calibration(float(ece) if items else None, tuple(bins), brier)


@dataclass(frozen=True)
class SetScores:
    """Precision, recall and F1 of a predicted set of pairs against a gold set."""

    precision: float
    recall: float | None
    f1: float
    true_positives: int
    predicted: int
    gold: int


def set_scores(gold: Iterable[object], predicted: Iterable[object]) -> SetScores:
    """P/R/F1 of ``predicted`` against ``gold`` (same conventions: precision 0 on an empty
    prediction, recall ``None`` on an empty gold set, F1 0 when both are 0)."""
    g = set(gold)
    p = set(predicted)
    tp = len(g & p)
    precision = tp / len(p) if p else 0.0
    recall = tp / len(g) if g else None
    return SetScores(precision, recall, _f1(precision, recall or 0.0), tp, len(p), len(g))


@dataclass(frozen=True)
class GroupedSetScores:
    """Micro scores over all pairs, and per-group scores with their macro means."""

    micro: SetScores
    per_group: dict[str, SetScores]
    macro_precision: float | None
    macro_recall: float | None
    macro_f1: float | None


def grouped_set_scores(
    gold: Mapping[str, Iterable[str]], predicted: Mapping[str, Iterable[str]]
) -> GroupedSetScores:
    """Set scores of (group, member) pairs: micro over all pairs, macro over groups with gold.

    Used for the document-level evaluation: group = process, members = documents. Groups
    without gold members are left out of the macro means (but their false positives still count
    in the micro scores).
    """
    gold_pairs = {(g, m) for g, members in gold.items() for m in members}
    pred_pairs = {(g, m) for g, members in predicted.items() for m in members}
    micro = set_scores(gold_pairs, pred_pairs)
    per_group = {
        group: set_scores(gold.get(group, ()), predicted.get(group, ()))
        for group in sorted(set(gold) | set(predicted))
    }
    with_gold = [s for s in per_group.values() if s.gold > 0]

    def _mean(values: list[float]) -> float | None:
        return float(np.mean(values)) if values else None

    return GroupedSetScores(
        micro,
        per_group,
        _mean([s.precision for s in with_gold]),
        _mean([s.recall or 0.0 for s in with_gold]),
        _mean([s.f1 for s in with_gold]),
    )
