"""The screening core: the rule and alerts on a model with more outputs than the service's three answers,
the advice, and what people are told (whole percent). The real shipped network, extended to seven outputs."""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest
from seven_classes import SEVEN, write_seven_class_model

from melanoscan.imaging.preprocess import preprocess
from melanoscan.inference.engine import Classifier, softmax
from melanoscan.inference.spec import SERVICE_CLASSES, ModelSpec
from melanoscan.screening.answer import answer
from melanoscan.screening.decision import decide
from melanoscan.screening.pipeline import Screener
from melanoscan.texts import say_percent

THREE = SERVICE_CLASSES


def test_a_three_class_model_keeps_its_numbers():
    probs = [0.2, 0.55, 0.25]
    decision = decide(probs, THREE, alert_threshold=0.3)
    assert decision.probabilities == dict(zip(THREE, probs, strict=True)) == decision.all_probabilities
    assert (decision.status, decision.label, decision.carcinoma_alert, decision.advice) == (
        "ok",
        "nevus",
        False,
        "monitor",
    )


def test_seven_outputs_renormalise_the_three_and_alert_on_carcinoma():
    probs = [0.10, 0.30, 0.10, 0.30, 0.15, 0.03, 0.02]  # the three service classes hold 0.5 of the mass
    carcinoma = probs[3] + probs[4]  # p(bcc) + p(ak) of the full softmax, exactly as decide adds them
    decision = decide(probs, SEVEN, alert_threshold=0.9, carcinoma_alert_threshold=carcinoma)
    assert decision.probabilities == pytest.approx({"melanoma": 0.2, "nevus": 0.6, "seborrheic_keratosis": 0.2})
    assert math.isclose(sum(decision.probabilities.values()), 1.0)
    assert decision.all_probabilities["basal_cell_carcinoma"] == 0.30
    # The 0.5 rule reads the renormalised three: nevus at 0.6 is reported, though it is 0.3 of everything.
    assert (decision.status, decision.label, decision.probability) == ("ok", "nevus", pytest.approx(0.6))
    assert decision.carcinoma_alert is True and decision.melanoma_alert is False
    assert decision.advice == "see_dermatologist"
    below = decide(probs, SEVEN, carcinoma_alert_threshold=float(np.nextafter(carcinoma, 1.0)))
    assert below.carcinoma_alert is False and below.advice == "monitor"
    assert decide(probs, SEVEN).carcinoma_alert is False  # no threshold in the metadata: never
    gated = decide(probs, SEVEN, carcinoma_alert_threshold=0.1, blank=True)
    assert (gated.carcinoma_alert, gated.advice, gated.retake_reason) == (False, "retake", "blank_photo")
    with pytest.raises(ValueError):
        decide(probs, SEVEN, carcinoma_alert_threshold=0.0)


@pytest.mark.parametrize(
    ("probs", "alert_threshold", "advice"),
    [
        ([0.6, 0.3, 0.1], None, "see_dermatologist"),  # melanoma is the label
        ([0.3, 0.6, 0.1], 0.25, "see_dermatologist"),  # a mole, but melanoma not ruled out
        ([0.3, 0.6, 0.1], 0.5, "monitor"),
        ([0.1, 0.2, 0.7], 0.5, "monitor"),
        ([0.2, 0.4, 0.4], 0.5, "retake"),
        ([0.3, 0.4, 0.3], 0.3, "see_dermatologist"),  # sent back, yet melanoma not ruled out
    ],
)
def test_advice(probs, alert_threshold, advice):  # type: ignore[no-untyped-def]
    assert decide(probs, THREE, alert_threshold=alert_threshold).advice == advice


def test_people_read_whole_percent():
    assert [say_percent("en", p) for p in (0.554, 0.998, 0.004, 0.5)] == ["about 55%", ">99%", "<1%", "about 50%"]
    assert [say_percent("ko", p) for p in (0.554, 0.998, 0.004)] == ["약 55%", ">99%", "<1%"]
    spec = ModelSpec(name="m", version="1", melanoma_alert_threshold=0.2)
    for lang in ("en", "ko"):
        for probs in ([0.2345, 0.5432, 0.2223], [0.6789, 0.2, 0.1211], [0.3, 0.4, 0.3]):
            message = answer(decide(probs, THREE, 0.5, 0.2), spec, lang)["message"]
            assert re.search(r"\d[.,]\d", message) is None, message
    assert "about 54%" in answer(decide([0.2345, 0.5432, 0.2223], THREE, 0.5, 0.2), spec, "en")["message"]


def test_spec_needs_the_service_classes():
    with pytest.raises(ValueError):
        ModelSpec(name="m", version="1", classes=("melanoma", "nevus"))
    with pytest.raises(ValueError):
        ModelSpec(name="m", version="1", carcinoma_alert_threshold=1.5)
    assert ModelSpec(name="m", version="1", classes=SEVEN).classes == SEVEN


@pytest.fixture(scope="module")
def seven(tmp_path_factory, tiny_images):  # type: ignore[no-untyped-def]
    """A real seven-output model whose carcinoma outputs make p(bcc) + p(ak) a known, mid-range number."""
    path = write_seven_class_model(tmp_path_factory.mktemp("seven"), (1.0, 0.5, -3.0, -3.0))
    screener = Screener(Classifier(path, threads=1))
    probs = screener.probabilities([screener.decode(tiny_images[0].read_bytes()).image])[0]
    return path, probs


def test_a_seven_output_model_through_the_screener(seven, tiny_images, classifier):  # type: ignore[no-untyped-def]
    path, probs = seven
    three = Classifier(classifier.model_path, threads=1)
    image = Screener(three).decode(tiny_images[0].read_bytes()).image
    logits = three.logits(preprocess(image, three.spec)[None])
    expected = softmax(np.concatenate([logits[0], [1.0, 0.5, -3.0, -3.0]]), three.spec.temperature)
    assert probs == pytest.approx(expected, abs=1e-5)
    carcinoma = float(probs[3] + probs[4])
    for threshold, alert in ((carcinoma - 1e-4, True), (carcinoma + 1e-4, False)):
        folder = path.parent / f"t{threshold:.6f}"
        model = write_seven_class_model(folder, (1.0, 0.5, -3.0, -3.0), carcinoma_alert_threshold=threshold)
        outcome = Screener(Classifier(model, threads=1)).screen(tiny_images[0].read_bytes())
        assert outcome.decision.carcinoma_alert is alert
        three_answer = Screener(three).screen(tiny_images[0].read_bytes()).decision
        # The service's three answers are the shipped model's, renormalised: the extra outputs change no ranking.
        assert outcome.decision.probabilities == pytest.approx(three_answer.probabilities, abs=1e-5)


def test_api_cli_metrics_and_storage_say_carcinoma(seven, tiny_images, app_factory, tmp_path):  # type: ignore[no-untyped-def]
    _, probs = seven
    threshold = float(probs[3] + probs[4]) - 1e-4
    model = write_seven_class_model(tmp_path / "model", (1.0, 0.5, -3.0, -3.0), carcinoma_alert_threshold=threshold)
    app = app_factory(model_path=str(model), data_dir=str(tmp_path / "data"), load_hospitals=False)
    client = app.test_client()
    data = tiny_images[0].read_bytes()
    bodies = {}
    for lang in ("en", "ko"):
        response = client.post(f"/api/v1/screenings?lang={lang}", data={"image": (io.BytesIO(data), "a.jpg")})
        assert response.status_code == 200
        bodies[lang] = response.get_json()
    body = bodies["en"]
    assert body["carcinoma_alert"] is True and body["advice"] == "see_dermatologist"
    assert body["hospitals_url"] == "/hospitals"
    assert set(body["probabilities"]) == set(SERVICE_CLASSES)
    assert math.isclose(sum(body["probabilities"].values()), 1.0, abs_tol=1e-6)
    assert "another kind of skin cancer" in body["message"] and "dermatologist" in body["message"]
    assert "피부암" in bodies["ko"]["message"] and "피부과" in bodies["ko"]["message"]
    assert "melanoscan_carcinoma_alerts_total 2.0" in client.get("/metrics").get_data(as_text=True)
    row = app.extensions["melanoscan"].repository.get(body["screening_id"])
    assert row.carcinoma_alert is True

    cli = subprocess.run(
        [sys.executable, "-m", "melanoscan.cli", "classify", "--json", "--model", str(model), str(tiny_images[0])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    (row_json,) = [json.loads(line) for line in cli.stdout.splitlines()]
    assert row_json["carcinoma_alert"] is True and row_json["advice"] == "see_dermatologist"
    assert row_json["probabilities"] == pytest.approx(body["probabilities"])
