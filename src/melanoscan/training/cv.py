"""Cross-validation: K folds over ISIC 2017 train + HAM10000, grouped by lesion, stratified by class.

Recipes, ensembles and the alert thresholds are chosen on what this writes, never on the test split:
ISIC 2017 validation (150 images) is too small to tell recipes apart. Each fold trains with `train.fit`
for a fixed number of epochs (no early stopping on the held-out fold, so its predictions stay honest),
then writes its out-of-fold predictions. Folds are resumable: a finished fold is skipped, an interrupted
one continues from its last.pt. Per-fold figures are reported separately per source (ISIC vs HAM) and
pooled, as mean ± sd.

    melanoscan cv --out runs/cv-lite0 --folds 5 --epochs 4 --ema-decay 0.998
    melanoscan cv --out runs/cv-lite0 --folds 5 --only-folds 0 1     # some folds now, the rest later

Out: <out>/folds.csv (the assignment), <out>/fold<k>/ (a train run folder + oof.csv), <out>/cv_summary.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import StratifiedGroupKFold

from melanoscan.inference.engine import softmax
from melanoscan.training.backbones import create_model
from melanoscan.training.config import TrainConfig, parse_args
from melanoscan.training.data import CARCINOMA_CLASSES, HAM, ISIC, TRAIN_CLASSES, Sample
from melanoscan.training.metrics import roc_auc_or_nan
from melanoscan.training.train import (
    ImageSet,
    fit,
    holdout_figures,
    predict_logits,
    setup_logging,
    spec_for,
    training_samples,
)

log = logging.getLogger("melanoscan.cv")
SOURCES = (ISIC, HAM)
HEADLINES = ("melanoma_auc", "sk_auc", "mean_auc")


def assign_folds(samples: list[Sample], folds: int, seed: int) -> np.ndarray:
    """Fold of each sample: every image of a lesion in one fold, class proportions alike across folds."""
    labels = np.array([s.label for s in samples])
    groups = np.array([f"{s.source}:{s.lesion}" for s in samples])
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold_of = np.full(len(samples), -1)
    for fold, (_, held_out) in enumerate(splitter.split(np.zeros(len(samples)), labels, groups)):
        fold_of[held_out] = fold
    return fold_of


def load_or_assign_folds(out: Path, samples: list[Sample], folds: int, seed: int) -> np.ndarray:
    """The fold assignment is written once and reused, so resumed and later folds split the same way."""
    path = out / "folds.csv"
    if path.exists():
        with open(path, newline="", encoding="utf-8") as handle:
            saved = {row["image"]: int(row["fold"]) for row in csv.DictReader(handle)}
        if set(saved) != {str(s.path) for s in samples}:
            raise SystemExit(f"{path} was made for other data; use a new --out")
        return np.array([saved[str(s.path)] for s in samples])
    fold_of = assign_folds(samples, folds, seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "source", "lesion", "label", "fold"])
        for sample, fold in zip(samples, fold_of, strict=True):
            writer.writerow([sample.path, sample.source, sample.lesion, TRAIN_CLASSES[sample.label], int(fold)])
    return fold_of


def write_oof(path: Path, held_out: ImageSet, logits: np.ndarray, fold: int, classes: tuple[str, ...]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "source", "lesion", "label", "fold", *(f"logit_{c}" for c in classes)])
        for sample, row in zip(held_out.samples, logits, strict=True):
            label = TRAIN_CLASSES[sample.label]
            writer.writerow([sample.path, sample.source, sample.lesion, label, fold, *(f"{v:.6f}" for v in row)])


def read_oof(out: Path) -> list[dict[str, Any]]:
    """Every out-of-fold prediction written so far (one row per image, logits as floats)."""
    rows = []
    for path in sorted(out.glob("fold*/oof.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    return rows


def oof_arrays(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(labels as TRAIN_CLASSES indices, logits over the model's outputs, sources, folds) of out-of-fold rows."""
    classes = [c for c in TRAIN_CLASSES if rows and f"logit_{c}" in rows[0]]
    labels = np.array([TRAIN_CLASSES.index(r["label"]) for r in rows], dtype=np.int64)
    logits = np.array([[float(r[f"logit_{c}"]) for c in classes] for r in rows]).reshape(-1, len(classes))
    return labels, logits, np.array([r["source"] for r in rows]), np.array([int(r["fold"]) for r in rows])


def carcinoma_auc(labels: np.ndarray, logits: np.ndarray) -> float:
    """How well p(basal-cell carcinoma) + p(actinic keratosis) separates those lesions from the rest."""
    index = [TRAIN_CLASSES.index(c) for c in CARCINOMA_CLASSES]
    if logits.shape[1] <= max(index):  # a model without those outputs (--no-ham)
        return float("nan")
    return roc_auc_or_nan(np.isin(labels, index), softmax(logits)[:, index].sum(axis=1))


def summarize_cv(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per fold and per source (ISIC, HAM, pooled): melanoma / SK / mean AUC; mean ± sd over folds."""
    labels, logits, sources, folds = oof_arrays(rows)
    summary: dict[str, Any] = {"folds_done": sorted({int(f) for f in folds}), "images": len(labels)}
    for source in (*SOURCES, "pooled"):
        in_source = np.ones(len(labels), bool) if source == "pooled" else sources == source
        per_fold = {
            int(f): holdout_figures(labels[in_source & (folds == f)], logits[in_source & (folds == f)])
            for f in summary["folds_done"]
        }
        summary[source] = {
            "per_fold": per_fold,
            **{
                key: {
                    "mean": float(np.nanmean([fig[key] for fig in per_fold.values()])),
                    "sd": float(np.nanstd([fig[key] for fig in per_fold.values()], ddof=1))
                    if len(per_fold) > 1
                    else float("nan"),
                }
                for key in HEADLINES
            },
            "out_of_fold": holdout_figures(labels[in_source], logits[in_source]),
            "carcinoma_auc": carcinoma_auc(labels[in_source], logits[in_source]),
        }
    return summary


def cv_args(argv: list[str] | None) -> tuple[argparse.Namespace, TrainConfig]:
    parser = argparse.ArgumentParser(prog="melanoscan cv", description=(__doc__ or "").split("\n")[0], add_help=False)
    parser.add_argument("--folds", type=int, default=5, help="number of folds (default 5)")
    parser.add_argument("--only-folds", type=int, nargs="+", help="train just these folds now (default: all)")
    parser.add_argument("--fold-seed", type=int, default=0, help="seed of the fold assignment (default 0)")
    parser.add_argument("-h", "--help", action="store_true")
    args, rest = parser.parse_known_args(argv)
    if args.help:
        parser.print_help()
        print("\nEvery `melanoscan train` flag also applies (each fold is one training run):")
        parse_args(["--help"])
    return args, parse_args(rest, "each fold's training run")


def main(argv: list[str] | None = None) -> int:
    args, config = cv_args(argv)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    setup_logging(out)
    samples = training_samples(config)
    fold_of = load_or_assign_folds(out, samples, args.folds, args.fold_seed)
    todo = [f for f in (args.only_folds or range(args.folds)) if not (out / f"fold{f}" / "oof.csv").exists()]
    if todo:
        t0 = time.time()
        everything = ImageSet.load(samples, config.resize_size)
        log.info("cached %d images in %.0fs; folds to train: %s", len(samples), time.time() - t0, todo)
    for fold in todo:
        t0 = time.time()
        fold_dir = out / f"fold{fold}"
        held_out = everything.subset(np.flatnonzero(fold_of == fold))
        watch = {
            source: held_out.subset(np.flatnonzero([s.source == source for s in held_out.samples]))
            for source in SOURCES
            if any(s.source == source for s in held_out.samples)
        }
        fold_config = TrainConfig(**{**asdict(config), "out": str(fold_dir), "resume": True})
        fit(fold_config, everything.subset(np.flatnonzero(fold_of != fold)), watch, fold_dir)
        state = torch.load(fold_dir / "best.pt", map_location="cpu", weights_only=False)
        spec = spec_for(config)
        model = create_model(config.backbone, len(spec.classes), config.image_size, pretrained=False)
        model.load_state_dict(state["model"])
        logits = predict_logits(model, held_out.images, spec, 64)
        write_oof(fold_dir / "oof.csv", held_out, logits, fold, spec.classes)
        log.info("fold %d done in %.0f min", fold, (time.time() - t0) / 60)
    summary = summarize_cv(read_oof(out))
    summary["config"] = asdict(config)
    (out / "cv_summary.json").write_text(json.dumps(summary, indent=2))
    print(format_summary(summary))
    return 0


def format_summary(summary: dict[str, Any]) -> str:
    lines = [f"folds done: {summary['folds_done']} ({summary['images']} out-of-fold images)"]
    for source in (*SOURCES, "pooled"):
        part = summary[source]
        figures = ", ".join(f"{key} {part[key]['mean']:.3f} ± {part[key]['sd']:.3f}" for key in HEADLINES)
        lines.append(f"{source:>9}: {figures}; carcinoma AUC {part['carcinoma_auc']:.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
