"""Evaluate a shipped ONNX model exactly as the service runs it: metrics.json plus PNG plots.

Images go through the serving path (melanoscan.screening's Screener: the same decoding with JPEG draft, the
model's own preprocessing, ONNX Runtime, the metadata's temperature; the service's rule and alerts in
training.metrics), so the figures describe the artifact users get.

    melanoscan evaluate --model models/melanoscan.onnx --split test --out reports/test
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from melanoscan.inference.engine import Classifier, file_sha256
from melanoscan.inference.spec import CLASSES
from melanoscan.screening.decision import service_probabilities
from melanoscan.screening.pipeline import Screener
from melanoscan.training.data import Sample, isic_dir, labels_of, pad_ufes_dir, read_labelled_folder, read_split
from melanoscan.training.metrics import reliability_curve, summarize

log = logging.getLogger("melanoscan.evaluate")


def predict(classifier: Classifier, samples: list[Sample], batch_size: int = 32) -> np.ndarray:
    """Probabilities for every sample, decoded and preprocessed as the server does it."""
    screener = Screener(classifier)
    out = []
    for i in tqdm(range(0, len(samples), batch_size), desc="predict", leave=False):
        images = [screener.decode(s.path.read_bytes()).image for s in samples[i : i + batch_size]]
        out.append(screener.probabilities(images))
    return np.concatenate(out) if out else np.zeros((0, len(classifier.classes)))


def near_duplicate_ids(root: Path) -> set[str]:
    """Every image id that appears in a near-duplicate pair (see the ISIC folder's README)."""
    path = root / "near_duplicates.csv"
    if not path.exists():
        return set()
    with open(path, newline="", encoding="utf-8") as handle:
        return {row[key] for row in csv.DictReader(handle) for key in ("image_id_a", "image_id_b")}


def plot_all(labels: np.ndarray, probs: np.ndarray, classes: tuple[str, ...], out: Path, title: str) -> list[str]:
    """ROC curves per class, confusion matrix and reliability diagram as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay

    files = []
    fig, ax = plt.subplots(figsize=(5, 5))
    for i, name in enumerate(classes):
        RocCurveDisplay.from_predictions(labels == i, probs[:, i], name=name, ax=ax)
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.set_title(f"ROC, one vs rest — {title}")
    files.append(_save(fig, out / "roc.png"))

    fig, ax = plt.subplots(figsize=(5, 5))
    ConfusionMatrixDisplay.from_predictions(
        labels,
        probs.argmax(1),
        labels=list(range(len(classes))),
        display_labels=[c[:10] for c in classes],
        ax=ax,
        colorbar=False,
    )
    ax.set_title(f"Confusion matrix (argmax) — {title}")
    files.append(_save(fig, out / "confusion_matrix.png"))

    fig, ax = plt.subplots(figsize=(5, 5))
    rows = reliability_curve(labels, probs)
    ax.bar(
        [r["low"] for r in rows],
        [r["accuracy"] for r in rows],
        width=0.1,
        align="edge",
        alpha=0.7,
        edgecolor="k",
        label="accuracy in bin",
    )
    ax.plot([0, 1], [0, 1], "k:", label="perfect calibration")
    ax.set_xlabel("confidence (top-class probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Reliability — {title}")
    ax.legend(loc="upper left")
    files.append(_save(fig, out / "reliability.png"))
    return files


def _save(fig: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path.name


def evaluate_set(
    classifier: Classifier,
    samples: list[Sample],
    threshold: float,
    out: Path | None,
    title: str,
) -> tuple[dict[str, Any], np.ndarray]:
    started = time.perf_counter()
    probs = predict(classifier, samples)
    seconds = time.perf_counter() - started
    labels = labels_of(samples)
    spec = classifier.spec
    result = summarize(
        labels, probs, spec.classes, threshold, spec.melanoma_alert_threshold, spec.carcinoma_alert_threshold
    )
    result["ms_per_image"] = round(1000 * seconds / max(len(samples), 1), 2)  # decode + inference, batches of 32
    service = np.array([service_probabilities(row, spec.classes) for row in probs]).reshape(-1, len(CLASSES))
    result["reliability"] = reliability_curve(labels, service)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        result["plots"] = [f"{out.name}/{name}" for name in plot_all(labels, service, CLASSES, out, title)]
    return result, probs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="melanoscan evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/melanoscan.onnx"))
    parser.add_argument("--data-dir", help="ISIC 2017 folder (default $MELANOSCAN_ISIC_DIR or ../shared/data/isic2017)")
    parser.add_argument(
        "--split", default="val", help="ISIC split to score: val while choosing, test once per shipped model"
    )
    parser.add_argument(
        "--pad-dir", help="PAD-UFES-20 folder (default $MELANOSCAN_PAD_DIR or ../shared/data/pad_ufes20)"
    )
    parser.add_argument("--no-pad", action="store_true", help="skip the smartphone-photo set")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--out", type=Path, required=True, help="folder for metrics.json and plots")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    classifier = Classifier(args.model)
    root = isic_dir(args.data_dir)
    samples = read_split(root, args.split)
    args.out.mkdir(parents=True, exist_ok=True)
    metrics: dict[str, Any] = {
        "model": {
            "name": classifier.spec.name,
            "version": classifier.spec.version,
            "backbone": classifier.spec.backbone,
            "input_size": classifier.spec.input_size,
            "temperature": classifier.spec.temperature,
            "classes": list(classifier.spec.classes),
            "melanoma_alert_threshold": classifier.spec.melanoma_alert_threshold,
            "carcinoma_alert_threshold": classifier.spec.carcinoma_alert_threshold,
            "tta": classifier.spec.extra.get("tta", "none"),
            "onnx_sha256": file_sha256(args.model),  # the bytes scored (the classifier checked the metadata's)
            "members": [
                {
                    "backbone": member["config"]["backbone"],
                    "image_size": member["config"]["image_size"],
                    "seed": member["config"]["seed"],
                    "epoch": member.get("epoch", member.get("best_epoch")),
                    "checkpoint": member["checkpoint"],
                }
                for member in classifier.spec.members
            ],
        },
        "command": "melanoscan evaluate " + shlex.join(sys.argv[2:] if argv is None else argv),
        "date": dt.date.today().isoformat(),
        "machine": platform.platform(),
        "split": args.split,
    }
    metrics["isic"], probs = evaluate_set(classifier, samples, args.threshold, args.out / "isic", f"ISIC {args.split}")
    dups = near_duplicate_ids(root)
    keep = [i for i, s in enumerate(samples) if s.image_id not in dups]
    spec = classifier.spec
    dedup = summarize(
        labels_of([samples[i] for i in keep]),
        probs[keep],
        spec.classes,
        args.threshold,
        spec.melanoma_alert_threshold,
        spec.carcinoma_alert_threshold,
    )
    dedup["removed"] = len(samples) - len(keep)
    metrics["isic_without_near_duplicates"] = dedup

    pad = pad_ufes_dir(args.pad_dir)
    if not args.no_pad and (pad / "labels.csv").exists():
        metrics["pad_ufes20"], _ = evaluate_set(
            classifier, read_labelled_folder(pad), args.threshold, args.out / "pad_ufes20", "PAD-UFES-20 phone photos"
        )
    elif not args.no_pad:
        log.warning("PAD-UFES-20 not found at %s: smartphone figures skipped", pad)

    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2, allow_nan=True) + "\n", encoding="utf-8")
    headline = {
        k: round(metrics["isic"][k], 4)
        for k in (
            "melanoma_auc",
            "seborrheic_keratosis_auc",
            "mean_auc_mel_sk",
            "balanced_accuracy",
            "ece",
            "retake_fraction",
        )
    }
    print(json.dumps({"split": args.split, **headline, "metrics": str(args.out / "metrics.json")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
