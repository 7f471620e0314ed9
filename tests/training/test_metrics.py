"""Metric code against scikit-learn and hand-checked values."""

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("scipy")

from sklearn.metrics import balanced_accuracy_score, log_loss, recall_score, roc_auc_score

from melanoscan.inference.engine import softmax
from melanoscan.inference.spec import CLASSES
from melanoscan.training.calibrate import fit_temperature
from melanoscan.training.metrics import expected_calibration_error, summarize


def random_problem(seed: int = 0, n: int = 300):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + 2.0 * np.eye(3)[labels]
    return labels, softmax(logits)


def test_summary_matches_sklearn():
    labels, probs = random_problem()
    result = summarize(labels, probs, CLASSES)
    assert result["melanoma_auc"] == pytest.approx(roc_auc_score(labels == 0, probs[:, 0]))
    assert result["seborrheic_keratosis_auc"] == pytest.approx(roc_auc_score(labels == 2, probs[:, 2]))
    assert result["mean_auc_mel_sk"] == pytest.approx((result["melanoma_auc"] + result["seborrheic_keratosis_auc"]) / 2)
    assert result["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(labels, probs.argmax(1)))
    predicted_mel = probs.argmax(1) == 0
    assert result["melanoma_sensitivity"] == pytest.approx(recall_score(labels == 0, predicted_mel))
    assert result["melanoma_specificity"] == pytest.approx(recall_score(labels != 0, ~predicted_mel))
    assert sum(map(sum, result["confusion_matrix"])) == len(labels)
    assert result["log_loss"] == pytest.approx(log_loss(labels, probs))


def test_brier_score_by_hand():
    labels = np.array([0, 2])
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.2, 0.6]])
    # (0.2² + 0.1² + 0.1²) and (0.2² + 0.2² + 0.4²), averaged
    assert summarize(labels, probs, CLASSES)["brier"] == pytest.approx((0.06 + 0.24) / 2)


def test_retake_fraction_and_reported_accuracy_by_hand():
    labels = np.array([0, 1, 2, 1])
    probs = np.array([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    result = summarize(labels, probs, CLASSES, threshold=0.5)
    # rows 0, 2 and 3 reach 0.5 (>= is reported); row 3 is a tie resolved to melanoma, which is wrong
    assert result["retake_fraction"] == pytest.approx(0.25)
    assert result["accuracy_when_reported"] == pytest.approx(2 / 3)


def test_ece_by_hand():
    labels = np.array([0, 0, 1, 1])
    probs = np.array([[0.9, 0.1, 0.0], [0.9, 0.1, 0.0], [0.6, 0.4, 0.0], [0.2, 0.8, 0.0]])
    # bins: conf 0.9 (2 images, both right: |1-0.9|), 0.6 (wrong: |0-0.6|), 0.8 (right: |1-0.8|)
    expected = 0.5 * 0.1 + 0.25 * 0.6 + 0.25 * 0.2
    assert expected_calibration_error(labels, probs) == pytest.approx(expected)


def test_temperature_recovers_known_value():
    rng = np.random.default_rng(1)
    true_logits = rng.normal(size=(4000, 3)) * 2
    labels = np.array([rng.choice(3, p=p) for p in softmax(true_logits)])
    fitted = fit_temperature(true_logits * 3.0, labels)  # overconfident by a factor 3
    assert fitted == pytest.approx(3.0, rel=0.1)
    assert expected_calibration_error(labels, softmax(true_logits * 3.0, fitted)) < 0.03


def test_alert_threshold_catches_the_target_share_of_melanomas():
    from melanoscan.training.operating_point import alert_threshold_for_sensitivity

    mel_probs = np.array([0.9, 0.7, 0.45, 0.31, 0.12, 0.6, 0.2, 0.05])
    is_mel = np.array([True, True, True, True, True, False, False, False])
    # 5 melanomas: 0.8 needs 4 of them -> the 4th highest, 0.31; 0.6 needs 3 -> 0.45; 1.0 needs all -> 0.12.
    assert alert_threshold_for_sensitivity(mel_probs, is_mel, 0.8) == 0.31
    assert alert_threshold_for_sensitivity(mel_probs, is_mel, 0.6) == 0.45
    assert alert_threshold_for_sensitivity(mel_probs, is_mel, 1.0) == 0.12
    # Rounded down to 0.001, so the melanoma that sets it is still caught.
    assert alert_threshold_for_sensitivity(np.array([0.12345]), np.array([True]), 1.0) == 0.123
    with pytest.raises(ValueError):
        alert_threshold_for_sensitivity(mel_probs, np.zeros(8, dtype=bool), 0.8)
    with pytest.raises(ValueError):
        alert_threshold_for_sensitivity(mel_probs, is_mel, 0.0)


def test_alert_figures_follow_the_service_rule():
    from melanoscan.training.metrics import alert_figures

    labels = np.array([0, 0, 0, 1, 1, 2])
    probs = np.array(
        [
            [0.30, 0.60, 0.10],  # melanoma, alert by probability
            [0.10, 0.80, 0.10],  # melanoma, missed
            [0.55, 0.25, 0.20],  # melanoma, reported as such
            [0.25, 0.70, 0.05],  # nevus, false alarm
            [0.05, 0.90, 0.05],  # nevus, quiet
            [0.10, 0.10, 0.80],  # SK, quiet
        ]
    )
    figures = alert_figures(labels, probs, alert_threshold=0.25, threshold=0.5)
    assert figures["melanoma_alert_sensitivity"] == pytest.approx(2 / 3)
    assert figures["melanoma_alert_specificity"] == pytest.approx(2 / 3)
    assert figures["melanoma_alert_fraction"] == pytest.approx(3 / 6)
    # A melanoma label alerts even above a high alert threshold, as `decide` does.
    high = alert_figures(labels, probs, alert_threshold=0.9, threshold=0.5)
    assert high["melanoma_alert_sensitivity"] == pytest.approx(1 / 3)
    assert high["melanoma_alert_fraction"] == pytest.approx(1 / 6)
