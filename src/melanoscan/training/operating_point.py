"""Choose the melanoma alert threshold on validation: the highest one that still catches a target share of melanomas.

The 0.5 rule names the top class only, so a melanoma the model ranks second is reported as a mole. The alert
is the screening operating point instead: it trades false alarms ("see a dermatologist") for sensitivity,
and the trade is fixed on validation, before the test split is scored.
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_TARGET_SENSITIVITY = 0.85
# Basal-cell carcinoma and actinic keratosis grow slowly and are rarely deadly; fewer false alarms matter more.
DEFAULT_CARCINOMA_SENSITIVITY = 0.80


def alert_threshold_for_sensitivity(melanoma_probs: np.ndarray, is_melanoma: np.ndarray, target: float) -> float:
    """The highest threshold (rounded down to 0.001) at which >= target of the positives have probability >= it.
    (Named for the melanoma alert; the carcinoma alert is chosen the same way.)"""
    if not 0.0 < target <= 1.0:
        raise ValueError("target sensitivity must be in (0, 1]")
    positives = np.sort(np.asarray(melanoma_probs, dtype=np.float64)[np.asarray(is_melanoma, dtype=bool)])[::-1]
    if positives.size == 0:
        raise ValueError("no melanoma among the labels: cannot choose an alert threshold")
    needed = math.ceil(round(target * positives.size, 9))  # round() keeps 0.85 * 20 = 17, not 17.000000000000004
    return max(math.floor(positives[needed - 1] * 1000) / 1000, 0.001)
