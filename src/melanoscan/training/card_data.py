"""The model card's data facts, counted from the data files through training.data (never typed by hand).

Which data trained a model comes from its members' stored training configuration; a configuration saved
before HAM10000 existed has no `ham` key and trained on ISIC 2017 alone.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from melanoscan.training.data import (
    TRAIN_CLASSES,
    Sample,
    ham_dir,
    isic_dir,
    pad_ufes_dir,
    read_ham,
    read_labelled_folder,
    read_split,
)

# Keys a member's stored configuration lacks when it predates them, with the value that run really used:
# before HAM10000 every run trained on ISIC 2017 alone and kept the epoch with the best validation mean AUC.
LEGACY_CONFIG = {"ham": False, "select_on_val": True}
# HAM10000's label for what `--bkl` decides about (seborrheic keratosis, solar lentigo, lichen-planus-like keratosis).
BKL = "benign_keratosis"


def as_trained(config: dict[str, Any]) -> dict[str, Any]:
    """A member's configuration with the keys it predates filled in as that run really behaved."""
    return {**LEGACY_CONFIG, **config}


@dataclass(frozen=True)
class Counts:
    """How many images a set holds, per label, and from how many lesions (and patients) they come."""

    images: int
    per_class: dict[str, int]
    lesions: int | None = None
    patients: int | None = None
    size: tuple[int, int] | None = None  # the commonest (width, height) of its images

    def of(self, label: str) -> int:
        return self.per_class.get(label, 0)

    def share(self, label: str) -> float:
        return self.of(label) / self.images if self.images else float("nan")


def commonest_size(paths: list[Path]) -> tuple[int, int] | None:
    """The most frequent image size (only headers are read)."""
    sizes: Counter[tuple[int, int]] = Counter()
    for path in paths:
        with Image.open(path) as image:
            sizes[image.size] += 1
    return sizes.most_common(1)[0][0] if sizes else None


def count(samples: list[Sample], size: bool = False) -> Counts:
    return Counts(
        images=len(samples),
        per_class=dict(Counter(TRAIN_CLASSES[s.label] for s in samples)),
        lesions=len({s.lesion for s in samples}),
        size=commonest_size([s.path for s in samples]) if size else None,
    )


def isic_counts(root: Path, split: str, size: bool = False) -> Counts | None:
    """One ISIC 2017 split; None when its csv is not there."""
    return count(read_split(root, split), size) if (root / f"{split}.csv").exists() else None


def ham_counts(root: Path) -> Counts | None:
    """HAM10000 under its own seven labels ('benign_keratosis' kept apart), with its lesion count."""
    if not (root / "labels.csv").exists():
        return None
    with_bkl, without = read_ham(root, "sk"), read_ham(root, "drop")
    per_class = dict(Counter(TRAIN_CLASSES[s.label] for s in without))
    per_class[BKL] = len(with_bkl) - len(without)
    full = count(with_bkl, size=True)
    return Counts(full.images, per_class, full.lesions, size=full.size)


def ham_left_out(root: Path) -> int | None:
    """Images the data's curators left out as look-alikes of evaluation images (its left_out.csv)."""
    path = root / "left_out.csv"
    if not path.exists():
        return None
    with open(path, newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def pad_counts(root: Path) -> Counts | None:
    """PAD-UFES-20's phone photos; lesions and patients from the PAD file names, PAT_<patient>_<lesion>_<n>."""
    if not (root / "labels.csv").exists():
        return None
    samples = read_labelled_folder(root)
    parts = [s.image_id.split("_") for s in samples if len(s.image_id.split("_")) >= 4]
    return Counts(
        images=len(samples),
        per_class=dict(Counter(TRAIN_CLASSES[s.label] for s in samples)),
        lesions=len({(p[1], p[2]) for p in parts}),
        patients=len({p[1] for p in parts}),
    )


@dataclass(frozen=True)
class DataFacts:
    """Everything the card says about the data, and what trained this model."""

    ham: bool  # HAM10000 trained this model
    bkl: str  # how its 'benign_keratosis' was used ("sk" or "drop")
    isic_train: Counts
    isic_val: Counts | None
    isic_test: Counts | None
    ham_all: Counts | None
    ham_left_out: int | None
    pad: Counts | None
    training: Counts  # what this model learned from (ISIC train, plus HAM10000 as its bkl policy says)


def data_facts(
    config: dict[str, Any],
    test_split: str,
    data_dir: str | Path | None = None,
    ham_root: str | Path | None = None,
    pad_root: str | Path | None = None,
) -> DataFacts:
    """Counts from the data files: paths given here first, else the member's stored ones, else the defaults."""
    config = as_trained(config)
    isic = isic_dir(data_dir or config.get("data_dir"))
    train_split = config.get("train_split", "train")
    isic_train = isic_counts(isic, train_split, size=True)
    if isic_train is None:
        raise SystemExit(f"ISIC 2017 split {train_split!r} not found in {isic}: give --data-dir")
    ham_folder = ham_dir(ham_root or config.get("ham_dir"))
    ham_all = ham_counts(ham_folder)
    training = read_split(isic, train_split)
    if config["ham"]:
        if ham_all is None:
            raise SystemExit(f"this model trained on HAM10000, not found in {ham_folder}: give --ham-dir")
        training += read_ham(ham_folder, config.get("bkl", "sk"))
    return DataFacts(
        ham=bool(config["ham"]),
        bkl=config.get("bkl", "sk"),
        isic_train=isic_train,
        isic_val=isic_counts(isic, config.get("val_split", "val")),
        isic_test=isic_counts(isic, test_split),
        ham_all=ham_all,
        ham_left_out=ham_left_out(ham_folder),
        pad=pad_counts(pad_ufes_dir(pad_root)),
        training=count(training),
    )
