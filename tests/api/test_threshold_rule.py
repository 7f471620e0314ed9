"""The reporting rule at its edges: `decide` itself, then the real model behind the real app."""

from __future__ import annotations

import io

import numpy as np
import pytest
from contract import check_screening

from melanoscan.imaging.decode import decode_image
from melanoscan.inference.decision import decide

CLASSES = ("melanoma", "nevus", "seborrheic_keratosis")


@pytest.mark.parametrize(
    ("probs", "status", "label"),
    [
        ([0.5, 0.3, 0.2], "ok", "melanoma"),  # exactly 0.5 is reported
        ([0.2, 0.5, 0.3], "ok", "nevus"),
        ([0.4999, 0.3, 0.2001], "retake", None),
        ([np.nextafter(0.5, 0), 0.3, 0.2], "retake", None),
        ([1 / 3, 1 / 3, 1 / 3], "retake", None),  # a three-way tie is never sure enough
        ([0.5, 0.5, 0.0], "ok", "melanoma"),  # a 0.5/0.5 tie: the first class in the model's order
        ([0.0, 0.0, 1.0], "ok", "seborrheic_keratosis"),
    ],
)
def test_decide_at_the_edges(probs, status, label):  # type: ignore[no-untyped-def]
    decision = decide(probs, CLASSES)
    assert (decision.status, decision.label) == (status, label)
    assert decision.probabilities == {name: float(p) for name, p in zip(CLASSES, probs, strict=True)}
    assert decision.probability == (None if status == "retake" else max(probs))


def test_decide_threshold_is_configurable_and_validated():
    assert decide([0.4, 0.35, 0.25], CLASSES, threshold=0.4).status == "ok"
    assert decide([0.4, 0.35, 0.25], CLASSES, threshold=0.41).status == "retake"
    for bad in (0.0, -0.1, 1.01):
        with pytest.raises(ValueError):
            decide([0.4, 0.35, 0.25], CLASSES, threshold=bad)
    with pytest.raises(ValueError):
        decide([0.5, 0.5], CLASSES)


def test_real_model_just_above_and_at_its_own_probability(classifier, tiny_images, app_factory, tmp_path):
    """Pick a real photo, take the real model's top probability p; threshold p+ulp -> retake, p -> ok."""
    data = tiny_images[0].read_bytes()
    image = decode_image(data, draft_size=classifier.spec.resize_size)
    probs = classifier.predict_proba([image])[0]
    p = float(probs.max())
    top = classifier.classes[int(probs.argmax())]

    above = app_factory(threshold=float(np.nextafter(p, 1.0)), data_dir=str(tmp_path / "above"))
    at = app_factory(threshold=p, data_dir=str(tmp_path / "at"))
    answers = {}
    for name, app in (("above", above), ("at", at)):
        response = app.test_client().post(
            "/api/v1/screenings",
            data={"image": (io.BytesIO(data), "lesion.jpg")},
        )
        assert response.status_code == 200
        answers[name] = response.get_json()
        assert answers[name]["probabilities"][top] == p  # the app computes exactly what we computed
    check_screening(answers["above"], threshold=float(np.nextafter(p, 1.0)))
    check_screening(answers["at"], threshold=p)
    assert answers["above"]["status"] == "retake" and answers["above"]["label"] is None
    assert answers["at"]["status"] == "ok" and answers["at"]["label"] == top
    assert answers["at"]["probability"] == p
    assert answers["at"]["hospitals_url"] == ("/hospitals" if top == "melanoma" else None)


def test_threshold_outside_0_1_is_refused_at_start(app_factory, tmp_path):
    with pytest.raises(ValueError):
        app_factory(threshold=1.5, data_dir=str(tmp_path))
