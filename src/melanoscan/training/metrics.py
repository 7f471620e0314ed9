"""Evaluation metrics, as the ISIC 2017 challenge scored Part 3, plus calibration and the 0.5 rule.

AUCs come from scikit-learn; ECE is ours; the retake and alert figures come from the service's own rule
(melanoscan.screening.decision), applied image by image. All are tested against
hand-checked inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, log_loss, roc_auc_score

from melanoscan.inference.spec import CLASSES
from melanoscan.screening.decision import DEFAULT_THRESHOLD, Decision, decide

MELANOMA, NEVUS, SK = 0, 1, 2


def roc_auc_or_nan(positives: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC, or NaN where one side is empty (a fold or source without that class)."""
    if positives.all() or not positives.any():
        return float("nan")
    return float(roc_auc_score(positives, scores))


def one_vs_rest_auc(labels: np.ndarray, probs: np.ndarray, cls: int) -> float:
    return roc_auc_or_nan(labels == cls, probs[:, cls])


def expected_calibration_error(labels: np.ndarray, probs: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE with equal-width confidence bins (Guo et al., 2017)."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for low, high in pairwise(edges):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def reliability_curve(labels: np.ndarray, probs: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Per confidence bin: mean confidence, accuracy and count (for the reliability diagram)."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for low, high in pairwise(edges):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            rows.append(
                {
                    "low": float(low),
                    "high": float(high),
                    "confidence": float(confidence[in_bin].mean()),
                    "accuracy": float(correct[in_bin].mean()),
                    "count": int(in_bin.sum()),
                }
            )
    return rows


def decisions(
    probs: np.ndarray,
    threshold: float,
    alert_threshold: float | None,
    classes: Sequence[str] = CLASSES,
    carcinoma_alert_threshold: float | None = None,
) -> list[Decision]:
    """The service's own `decide`, image by image, so evaluation cannot drift from what users are told."""
    return [
        decide(row, classes, threshold, alert_threshold, carcinoma_alert_threshold=carcinoma_alert_threshold)
        for row in np.asarray(probs, dtype=np.float64)
    ]


def alert_figures(
    labels: np.ndarray,
    probs: np.ndarray,
    alert_threshold: float,
    threshold: float,
    decided: Sequence[Decision] | None = None,
) -> dict[str, float]:
    """Melanoma sensitivity and specificity of the melanoma alert, and the share of photos it fires on."""
    is_mel = np.asarray(labels) == MELANOMA
    if decided is None:
        decided = decisions(probs, threshold, alert_threshold)
    alert = np.array([decision.melanoma_alert for decision in decided], dtype=bool)
    return {
        "melanoma_alert_threshold": alert_threshold,
        "melanoma_alert_sensitivity": float(alert[is_mel].mean()) if is_mel.any() else float("nan"),
        "melanoma_alert_specificity": float((~alert)[~is_mel].mean()) if (~is_mel).any() else float("nan"),
        "melanoma_alert_fraction": float(alert.mean()),
    }


def summarize(
    labels: np.ndarray,
    probs: np.ndarray,
    classes: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    alert_threshold: float | None = None,
    carcinoma_alert_threshold: float | None = None,
) -> dict[str, Any]:
    """Every figure the model card reports, for one set labelled with the service's three classes (the
    alerts' only when the model has them). `probs` are the model's, over its `classes`: a model with more
    outputs is scored on the three service probabilities the user is shown (renormalised)."""
    labels = np.asarray(labels)
    full = np.asarray(probs, dtype=np.float64)
    decided = decisions(full, threshold, alert_threshold, classes, carcinoma_alert_threshold)
    probs = np.array([[d.probabilities[name] for name in CLASSES] for d in decided]).reshape(-1, len(CLASSES))
    classes = CLASSES
    predicted = probs.argmax(axis=1)
    mel_auc = one_vs_rest_auc(labels, probs, MELANOMA)
    sk_auc = one_vs_rest_auc(labels, probs, SK)
    is_mel, said_mel = labels == MELANOMA, predicted == MELANOMA
    reported = np.array([decision.status == "ok" for decision in decided], dtype=bool)
    carcinoma = np.array([decision.carcinoma_alert for decision in decided], dtype=bool)
    return {
        "n": len(labels),
        "class_counts": {name: int((labels == i).sum()) for i, name in enumerate(classes)},
        "melanoma_auc": mel_auc,
        "seborrheic_keratosis_auc": sk_auc,
        "nevus_auc": one_vs_rest_auc(labels, probs, NEVUS),
        "mean_auc_mel_sk": float((mel_auc + sk_auc) / 2),
        "accuracy": float(accuracy_score(labels, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(labels, predicted)),
        # Operating point: the class with the highest probability (argmax), as the service reports it.
        "melanoma_sensitivity": float(said_mel[is_mel].mean()) if is_mel.any() else float("nan"),
        "melanoma_specificity": float((~said_mel)[~is_mel].mean()) if (~is_mel).any() else float("nan"),
        "threshold": threshold,
        "retake_fraction": float(1 - reported.mean()),
        "accuracy_when_reported": float((predicted == labels)[reported].mean()) if reported.any() else float("nan"),
        "ece": expected_calibration_error(labels, probs),
        # Proper scoring rules: unlike ECE they do not depend on binning, so they compare models more stably.
        "log_loss": float(log_loss(labels, probs, labels=list(range(len(classes))))),
        "brier": float(((probs - np.eye(len(classes))[labels]) ** 2).sum(axis=1).mean()),
        "confusion_matrix": confusion_matrix(labels, predicted, labels=list(range(len(classes)))).tolist(),
        **(alert_figures(labels, probs, alert_threshold, threshold, decided) if alert_threshold is not None else {}),
        # These sets hold no carcinoma: the share of their lesions that the carcinoma alert sends to a doctor.
        **(
            {
                "carcinoma_alert_threshold": carcinoma_alert_threshold,
                "carcinoma_alert_fraction": float(carcinoma.mean()),
            }
            if carcinoma_alert_threshold is not None
            else {}
        ),
    }
