from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from qmsgap.errors import ConfigurationError
from qmsgap.mapping.schema import Status
from qmsgap.mapping.scoring import Calibration, load_calibration, parse_calibration

pytestmark = pytest.mark.unit


def _calibration() -> Calibration:
    return Calibration(
        weights={"terms_dense": 10.0},
        bias=-5.0,
        cut_partial=-1.0,
        cut_covered=1.0,
        evidence_min_score=0.2,
    )


def test_ordinal_probabilities_sum_to_one_and_follow_the_cut_points() -> None:
    cal = _calibration()
    # z = -5 + 10 * 0.5 = 0: P(>=partial) = sigmoid(1) = 0.7311, P(covered) = sigmoid(-1) = 0.2689
    probs = cal.probabilities({"terms_dense": 0.5})
    assert math.isclose(probs[Status.COVERED], 0.268941, rel_tol=1e-5)
    assert math.isclose(probs[Status.PARTIAL], 0.731059 - 0.268941, rel_tol=1e-5)
    assert math.isclose(sum(probs.values()), 1.0)
    status, confidence, score = cal.decide({"terms_dense": 0.5})
    assert status is Status.PARTIAL and math.isclose(confidence, 0.462117, rel_tol=1e-5)
    assert math.isclose(score, 0.268941 + 0.5 * 0.462117, rel_tol=1e-5)
    assert cal.decide({"terms_dense": 0.9})[0] is Status.COVERED
    assert cal.decide({"terms_dense": 0.1})[0] is Status.GAP


def test_the_shipped_calibration_loads_and_round_trips(tmp_path: Path) -> None:
    shipped = load_calibration()
    path = tmp_path / "c.json"
    path.write_text(shipped.to_json())
    assert load_calibration(path) == shipped


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"bias": 0, "cut_partial": 0, "cut_covered": 1}, "weights"),
        ({"weights": {"nonsense": 1}, "bias": 0, "cut_partial": 0, "cut_covered": 1}, "nonsense"),
        ({"weights": {}, "bias": 0, "cut_partial": 1, "cut_covered": 0}, "cut_covered < cut_p"),
    ],
)
def test_invalid_calibrations_are_refused_with_the_reason(payload, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_calibration(json.dumps(payload), "x.json")
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_calibration(Path("/nonexistent/c.json"))
