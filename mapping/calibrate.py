"""Fitting the status model on labelled practices, and estimating how well it generalises.

The ordinal logistic model of :mod:`qmsgap.mapping.scoring` is fitted by maximum likelihood with
an L2 penalty (scipy), on standardised features, with class weights that balance covered /
partial / gap (the product is judged on macro-F1, and gaps are the rarer, costlier class to
miss). The penalty strength is chosen by cross-validated macro-F1 from a small grid. Reported
accuracy always comes from out-of-fold predictions: a practice's status is predicted by a model
that never saw its label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from qmsgap.mapping.schema import Status
from qmsgap.mapping.scoring import FEATURES, Calibration

ORDER = (Status.GAP, Status.PARTIAL, Status.COVERED)
PENALTIES = (0.1, 1.0, 3.0, 10.0, 30.0)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Example:
    """One labelled practice: its engine features and the gold status."""

    practice_id: str
    features: dict[str, float]
    status: Status


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-fold predictions and their quality."""

    predictions: dict[str, Status]
    confidences: dict[str, float]
    accuracy: float
    macro_f1: float
    penalty: float
    folds: int


def _matrix(examples: Sequence[Example]) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    x = np.array([[e.features.get(f, 0.0) for f in FEATURES] for e in examples], dtype=float)
    y = np.array([ORDER.index(e.status) for e in examples], dtype=np.int64)
    return x, y


def _log_sigmoid(z: FloatArray) -> FloatArray:
    return -np.logaddexp(0.0, -z)


def _fit_standardised(
    x: FloatArray, y: npt.NDArray[np.int64], penalty: float
) -> tuple[FloatArray, float, float]:
    """Weights and two cut points maximising the class-balanced penalised likelihood."""
    from scipy.optimize import minimize

    counts = np.bincount(y, minlength=3).astype(float)
    class_weight = np.where(counts > 0, len(y) / (3 * np.maximum(counts, 1)), 0.0)
    sample_weight = class_weight[y]
    n_features = x.shape[1]

    def loss(theta: FloatArray) -> float:
        w, c1, log_gap = theta[:n_features], theta[n_features], theta[n_features + 1]
        c2 = c1 + math.exp(log_gap)
        z = x @ w
        ge_partial = _log_sigmoid(z - c1)  # log P(y >= partial)
        lt_partial = _log_sigmoid(c1 - z)  # log P(y = gap)
        ge_covered = _log_sigmoid(z - c2)
        # log P(partial) = log(sigmoid(z-c1) - sigmoid(z-c2)), computed stably
        p_partial = np.clip(np.exp(ge_partial) - np.exp(ge_covered), 1e-12, 1.0)
        log_p = np.choose(y, [lt_partial, np.log(p_partial), ge_covered])
        return float(-(sample_weight * log_p).sum() + penalty * (w @ w))

    theta0 = np.zeros(n_features + 2)
    theta0[n_features + 1] = 0.0
    result = minimize(loss, theta0, method="L-BFGS-B")
    theta = result.x
    return (
        theta[:n_features],
        float(theta[n_features]),
        float(theta[n_features] + math.exp(theta[n_features + 1])),
    )


def fit(examples: Sequence[Example], penalty: float = 1.0, **provenance: Any) -> Calibration:
    """A calibration fitted on ``examples`` (raw-feature weights, bias and cut points)."""
    x, y = _matrix(examples)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    w, c1, c2 = _fit_standardised((x - mean) / scale, y, penalty)
    raw = w / scale
    return Calibration(
        weights={f: round(float(v), 6) for f, v in zip(FEATURES, raw, strict=True)},
        bias=round(float(-(raw @ mean)), 6),
        cut_partial=round(c1, 6),
        cut_covered=round(c2, 6),
        evidence_min_score=float(provenance.pop("evidence_min_score", 0.25)),
        aspect_min_score=float(provenance.pop("aspect_min_score", 0.45)),
        provenance={"penalty": penalty, "examples": len(examples), **provenance},
    )


def _folds(y: npt.NDArray[np.int64], folds: int, seed: int) -> list[npt.NDArray[np.int64]]:
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [test for _, test in splitter.split(np.zeros(len(y)), y)]


def _macro_f1(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    scores = []
    for cls in sorted(set(y_true)):
        tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == cls and p == cls)
        fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t != cls and p == cls)
        fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == cls and p != cls)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def cross_validate(
    examples: Sequence[Example], folds: int = 5, penalty: float = 1.0, seed: int = 13
) -> CrossValidation:
    """Out-of-fold statuses: each fold is predicted by a model fitted on the other folds."""
    _, y = _matrix(examples)
    smallest_class = min(int(c) for c in np.bincount(y) if c)
    folds = max(2, min(folds, smallest_class))
    predictions: dict[str, Status] = {}
    confidences: dict[str, float] = {}
    for test in _folds(y, folds, seed):
        train = [examples[i] for i in range(len(examples)) if i not in set(test.tolist())]
        model = fit(train, penalty)
        for i in test.tolist():
            status, confidence, _ = model.decide(examples[i].features)
            predictions[examples[i].practice_id] = status
            confidences[examples[i].practice_id] = confidence
    true = [ORDER.index(e.status) for e in examples]
    pred = [ORDER.index(predictions[e.practice_id]) for e in examples]
    accuracy = float(np.mean([t == p for t, p in zip(true, pred, strict=True)]))
    return CrossValidation(
        predictions, confidences, accuracy, _macro_f1(true, pred), penalty, folds
    )


def choose_and_fit(
    examples: Sequence[Example], folds: int = 5, seed: int = 13, **provenance: Any
) -> tuple[Calibration, CrossValidation]:
    """Pick the penalty with the best cross-validated macro-F1, then fit on all examples.

    The returned cross-validation is the honest estimate of the fitted model's quality.
    """
    if len({e.status for e in examples}) < 2:
        raise ValueError("fitting needs examples of at least two statuses")
    trials = [cross_validate(examples, folds, p, seed) for p in PENALTIES]
    best = max(trials, key=lambda cv: (round(cv.macro_f1, 6), -cv.penalty))
    calibration = fit(
        examples,
        best.penalty,
        method="ordinal logistic regression, class-balanced, L2; penalty by "
        f"{best.folds}-fold cross-validated macro-F1 over {list(PENALTIES)}",
        cv_macro_f1=round(best.macro_f1, 4),
        cv_accuracy=round(best.accuracy, 4),
        fitted_at=datetime.now(UTC).date().isoformat(),
        **provenance,
    )
    return calibration, best
