"""The reporting rule at its edges: `decide` itself, then the real model behind the real app."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from contract import check_screening
from PIL import Image

from melanoscan.imaging.decode import decode_image
from melanoscan.inference.spec import spec_path_for
from melanoscan.screening.decision import decide

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


@pytest.mark.parametrize(
    ("probs", "alert_threshold", "status", "alert"),
    [
        ([0.3, 0.6, 0.1], 0.25, "ok", True),  # a mole is reported, but melanoma is not ruled out
        ([0.3, 0.6, 0.1], 0.31, "ok", False),
        ([0.25, 0.4, 0.35], 0.25, "retake", True),  # exactly at the alert threshold, under the 0.5 rule
        ([np.nextafter(0.25, 0), 0.4, 0.35], 0.25, "retake", False),
        ([0.6, 0.3, 0.1], 0.9, "ok", True),  # a melanoma label always alerts, whatever the alert threshold
        ([0.6, 0.3, 0.1], None, "ok", True),
        ([0.45, 0.3, 0.25], None, "retake", False),  # a model without an alert threshold: only the label alerts
    ],
)
def test_melanoma_alert_at_its_edges(probs, alert_threshold, status, alert):  # type: ignore[no-untyped-def]
    decision = decide(probs, CLASSES, alert_threshold=alert_threshold)
    assert (decision.status, decision.melanoma_alert) == (status, alert)


def test_a_blank_photo_is_sent_back_whatever_the_model_says():
    for probs in ([0.9, 0.05, 0.05], [0.02, 0.97, 0.01]):
        decision = decide(probs, CLASSES, alert_threshold=0.2, blank=True)
        assert (decision.status, decision.label, decision.retake_reason) == ("retake", None, "blank_photo")
        assert decision.melanoma_alert is False
    assert decide([0.4, 0.35, 0.25], CLASSES).retake_reason == "uncertain"
    assert decide([0.6, 0.3, 0.1], CLASSES).retake_reason is None


def test_alert_threshold_is_validated():
    for bad in (0.0, -0.1, 1.01):
        with pytest.raises(ValueError):
            decide([0.4, 0.35, 0.25], CLASSES, alert_threshold=bad)


def test_real_model_melanoma_alert_at_its_own_probability(classifier, tiny_images, app_factory, tmp_path):
    """A real photo whose top class is not melanoma: alert threshold at its melanoma probability -> alert,
    hospitals and the dermatologist advice; one ulp above -> none of them. The model file is the shipped one,
    with a metadata copy that differs only in the alert threshold."""
    images = [decode_image(path.read_bytes(), draft_size=classifier.spec.resize_size) for path in tiny_images]
    probs = classifier.predict_proba(images)
    index = next(i for i, row in enumerate(probs) if classifier.classes[int(row.argmax())] != "melanoma")
    p_mel = float(probs[index][classifier.classes.index("melanoma")])
    metadata = json.loads(spec_path_for(classifier.model_path).read_text(encoding="utf-8"))
    data = tiny_images[index].read_bytes()
    answers = {}
    for name, alert_threshold in (("at", p_mel), ("above", float(np.nextafter(p_mel, 1.0)))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "model.onnx").symlink_to(classifier.model_path)
        (folder / "model.json").write_text(json.dumps({**metadata, "melanoma_alert_threshold": alert_threshold}))
        app = app_factory(model_path=str(folder / "model.onnx"), data_dir=str(folder))
        response = app.test_client().post(
            "/api/v1/screenings?lang=en", data={"image": (io.BytesIO(data), "lesion.jpg")}
        )
        assert response.status_code == 200
        answers[name] = response.get_json()
        check_screening(answers[name], alert_threshold=alert_threshold)
    assert answers["at"]["melanoma_alert"] is True and answers["at"]["hospitals_url"] == "/hospitals"
    assert "dermatologist" in answers["at"]["message"]
    assert answers["above"]["melanoma_alert"] is False and answers["above"]["hospitals_url"] is None
    assert "dermatologist" not in answers["above"]["message"]


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


def test_threshold_outside_0_1_is_refused_at_start(app_factory, tmp_path):
    with pytest.raises(ValueError):
        app_factory(threshold=1.5, data_dir=str(tmp_path))


@pytest.mark.parametrize(
    ("name", "color"), [("black", (0, 0, 0)), ("white", (255, 255, 255)), ("skin", (224, 172, 150))]
)
def test_blank_frames_are_sent_back_real_photos_are_not(client, tiny_images, name, color):
    """A covered lens or a blank wall got 'a mole, 99%' before; now it is a retake that says why."""
    rng = np.random.default_rng(0)
    frame = np.clip(np.full((480, 640, 3), color, dtype=np.float64) + rng.normal(0, 3, (480, 640, 3)), 0, 255)
    photo = io.BytesIO()
    Image.fromarray(frame.astype(np.uint8)).save(photo, "JPEG", quality=90)
    body = client.post("/api/v1/screenings?lang=en", data={"image": (io.BytesIO(photo.getvalue()), f"{name}.jpg")})
    answer = body.get_json()
    check_screening(answer)
    assert (answer["status"], answer["retake_reason"]) == ("retake", "blank_photo")
    assert "looks blank" in answer["message"]
    for path in tiny_images:  # every committed lesion photo is screened, not sent back as blank
        real = client.post("/api/v1/screenings", data={"image": (io.BytesIO(path.read_bytes()), path.name)})
        assert real.get_json()["retake_reason"] != "blank_photo", path.name
