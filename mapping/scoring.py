"""From evidence features to a practice status and a confidence.

An ordinal logistic model: a linear score ``z = w . features + b``, and two cut points on it,
``P(status >= partial) = sigmoid(z - cut_partial)`` and ``P(covered) = sigmoid(z - cut_covered)``.
The weights and cut points are data (``mapping/calibration/default.json``), fitted on the gold
set by ``qmsgap calibrate`` with cross-validation; the file records how they were chosen.
A settings value can point to another calibration file. Nothing here is tuned by hand in code.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from qmsgap.errors import ConfigurationError
from qmsgap.mapping.schema import Status

#: The features the engine computes for every practice, in a fixed order.
FEATURES: tuple[str, ...] = (
    "terms_dense",
    "dense_top3",
    "keyword_coverage",
    "deferral",
    "supporting_documents",
    "exclusivity",
    "clause_support",
)


@dataclass(frozen=True)
class Calibration:
    """Weights, bias and cut points of the ordinal model, with their provenance."""

    weights: dict[str, float]
    bias: float
    cut_partial: float
    cut_covered: float
    evidence_min_score: float
    aspect_min_score: float = 0.45
    provenance: dict[str, Any] = field(default_factory=dict)

    def linear(self, features: dict[str, float]) -> float:
        return self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())

    def probabilities(self, features: dict[str, float]) -> dict[Status, float]:
        z = self.linear(features)
        at_least_partial = _sigmoid(z - self.cut_partial)
        covered = min(_sigmoid(z - self.cut_covered), at_least_partial)
        return {
            Status.GAP: 1.0 - at_least_partial,
            Status.PARTIAL: at_least_partial - covered,
            Status.COVERED: covered,
        }

    def decide(self, features: dict[str, float]) -> tuple[Status, float, float]:
        """``(status, confidence, score)``: the most probable status, its probability, and the
        expected credit (covered 1, partial 0.5) as a 0-1 evidence strength."""
        probs = self.probabilities(features)
        status = max(probs, key=lambda s: probs[s])
        score = probs[Status.COVERED] + 0.5 * probs[Status.PARTIAL]
        return status, probs[status], score

    def to_json(self) -> str:
        return json.dumps(
            {
                "weights": self.weights,
                "bias": self.bias,
                "cut_partial": self.cut_partial,
                "cut_covered": self.cut_covered,
                "evidence_min_score": self.evidence_min_score,
                "aspect_min_score": self.aspect_min_score,
                "provenance": self.provenance,
            },
            indent=2,
        )


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def parse_calibration(text: str, origin: str) -> Calibration:
    """Read a calibration JSON document. Raises ConfigurationError naming ``origin``."""
    try:
        data = json.loads(text)
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features {sorted(unknown)}")
        calibration = Calibration(
            weights=weights,
            bias=float(data["bias"]),
            cut_partial=float(data["cut_partial"]),
            cut_covered=float(data["cut_covered"]),
            evidence_min_score=float(data.get("evidence_min_score", 0.0)),
            aspect_min_score=float(data.get("aspect_min_score", 0.45)),
            provenance=dict(data.get("provenance", {})),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigurationError(f"invalid calibration file {origin}: {exc}") from exc
    if calibration.cut_covered < calibration.cut_partial:
        raise ConfigurationError(f"invalid calibration file {origin}: cut_covered < cut_partial")
    return calibration


def load_calibration(path: Path | None = None) -> Calibration:
    """The calibration at ``path``, or the one shipped with qmsgap."""
    if path is not None:
        try:
            return parse_calibration(path.read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            raise ConfigurationError(f"cannot read calibration file {path}: {exc}") from exc
    shipped = resources.files("qmsgap.mapping").joinpath("calibration/default.json")
    return parse_calibration(shipped.read_text(encoding="utf-8"), "qmsgap.mapping/default.json")
