from __future__ import annotations

import random

import pytest

from qmsgap.mapping.calibrate import Example, choose_and_fit, cross_validate, fit
from qmsgap.mapping.schema import Status

pytestmark = pytest.mark.unit


def _examples(n: int = 90, noise: float = 0.03, seed: int = 1) -> list[Example]:
    """terms_dense around 0.3 for gaps, 0.5 for partials, 0.7 for covered."""
    rng = random.Random(seed)
    centre = {Status.GAP: 0.3, Status.PARTIAL: 0.5, Status.COVERED: 0.7}
    out = []
    for i in range(n):
        status = (Status.GAP, Status.PARTIAL, Status.COVERED)[i % 3]
        features = {"terms_dense": centre[status] + rng.gauss(0, noise), "deferral": 0.0}
        out.append(Example(f"p{i}", features, status))
    return out


def test_fit_separates_three_well_separated_classes() -> None:
    examples = _examples()
    calibration = fit(examples, penalty=0.01)
    predicted = [calibration.decide(e.features)[0] for e in examples]
    assert predicted == [e.status for e in examples]
    assert calibration.weights["terms_dense"] > 0
    assert calibration.cut_partial < calibration.cut_covered
    assert calibration.weights["deferral"] == 0.0  # a constant feature carries no weight


def test_cross_validation_predicts_every_example_out_of_fold() -> None:
    examples = _examples(noise=0.12)
    cv = cross_validate(examples, folds=5, penalty=0.1)
    assert set(cv.predictions) == {e.practice_id for e in examples}
    assert 0.5 < cv.macro_f1 <= 1.0
    assert all(0.0 < c <= 1.0 for c in cv.confidences.values())
    perfect = cross_validate(_examples(noise=0.01), folds=3, penalty=0.01)
    assert perfect.accuracy == 1.0 and perfect.macro_f1 == 1.0


def test_choose_and_fit_records_how_it_was_chosen() -> None:
    calibration, cv = choose_and_fit(_examples(noise=0.08), folds=3, gold="synthetic")
    provenance = calibration.provenance
    assert provenance["gold"] == "synthetic" and provenance["penalty"] == cv.penalty
    assert provenance["cv_macro_f1"] == round(cv.macro_f1, 4)
    with pytest.raises(ValueError, match="two statuses"):
        choose_and_fit([Example("a", {"terms_dense": 0.1}, Status.GAP)] * 4)
