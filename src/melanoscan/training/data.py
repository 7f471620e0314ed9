"""Reading the training and evaluation data: ISIC 2017 splits, HAM10000, PAD-UFES-20.

Every sample keeps its source (which archive it came from) and its group (the lesion it shows), so that
cross-validation folds never split one lesion and figures can be reported per source.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from melanoscan.imaging.decode import to_rgb
from melanoscan.imaging.preprocess import resize_shorter_side
from melanoscan.inference.spec import CARCINOMA_CLASSES, CLASSES
from melanoscan.training.config import BKL_POLICIES

# What the networks learn to tell apart: the service's three answers first (same indices as CLASSES),
# then the other lesions HAM10000 names, so that a basal-cell carcinoma is not forced into "a mole".
TRAIN_CLASSES: tuple[str, ...] = (*CLASSES, *CARCINOMA_CLASSES, "vascular_lesion", "dermatofibroma")
ISIC, HAM, PAD = "isic2017", "ham10000", "pad_ufes20"


def output_classes(ham: bool) -> tuple[str, ...]:
    """A network's outputs: all seven with HAM10000; without it only ISIC's three exist to learn from."""
    return TRAIN_CLASSES if ham else CLASSES


DEFAULT_SHARED = Path(__file__).resolve().parents[3].parent / "shared"


def shared_dir(override: str | Path | None = None) -> Path:
    """The shared data folder: an explicit path, else $MELANOSCAN_SHARED, else ../shared beside the project."""
    return Path(override or os.environ.get("MELANOSCAN_SHARED") or DEFAULT_SHARED)


def isic_dir(override: str | Path | None = None) -> Path:
    """The ISIC 2017 folder: an explicit path, else $MELANOSCAN_ISIC_DIR, else <shared>/data/isic2017."""
    env = os.environ.get("MELANOSCAN_ISIC_DIR")
    return Path(override or env or shared_dir() / "data" / "isic2017")


def ham_dir(override: str | Path | None = None) -> Path:
    """The HAM10000 folder: explicit, else $MELANOSCAN_HAM_DIR, else <shared>/data/ham10000."""
    env = os.environ.get("MELANOSCAN_HAM_DIR")
    return Path(override or env or shared_dir() / "data" / "ham10000")


def pad_ufes_dir(override: str | Path | None = None) -> Path:
    """The PAD-UFES-20 folder: explicit, else $MELANOSCAN_PAD_DIR, else <shared>/data/pad_ufes20."""
    env = os.environ.get("MELANOSCAN_PAD_DIR")
    return Path(override or env or shared_dir() / "data" / "pad_ufes20")


@dataclass(frozen=True)
class Sample:
    path: Path
    label: int  # index into TRAIN_CLASSES (the first three are CLASSES)
    source: str = ISIC
    group: str = ""  # the lesion: samples of one group always fall in the same fold

    @property
    def image_id(self) -> str:
        return self.path.stem

    @property
    def lesion(self) -> str:
        return self.group or self.image_id


def _rows(csv_path: Path) -> list[dict[str, str]]:
    with open(csv_path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_split(root: Path, split: str) -> list[Sample]:
    """ISIC-style split: root/<split>.csv with image_id,label and images in root/<split>/<id>.jpg."""
    return [
        Sample(root / split / f"{row['image_id']}.jpg", CLASSES.index(row["label"]), ISIC)
        for row in _rows(root / f"{split}.csv")
    ]


def read_labelled_folder(root: Path, source: str = PAD) -> list[Sample]:
    """PAD-UFES-style folder: root/labels.csv with image (a path relative to root) and label."""
    return [Sample(root / row["image"], CLASSES.index(row["label"]), source) for row in _rows(root / "labels.csv")]


def read_ham(root: Path, bkl: str = "sk") -> list[Sample]:
    """HAM10000: root/labels.csv with image, label (seven classes) and lesion_id.

    bkl="sk" counts 'benign_keratosis' as seborrheic keratosis (its largest part, and benign like the rest
    of it); "drop" leaves those images out.
    """
    if bkl not in BKL_POLICIES:
        raise ValueError(f"bkl must be one of {BKL_POLICIES}, not {bkl!r}")
    samples = []
    for row in _rows(root / "labels.csv"):
        label = row["label"]
        if label == "benign_keratosis":
            if bkl == "drop":
                continue
            label = "seborrheic_keratosis"
        samples.append(Sample(root / row["image"], TRAIN_CLASSES.index(label), HAM, row["lesion_id"]))
    return samples


def load_rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return to_rgb(image)


def cache_images(samples: list[Sample], shorter_side: int) -> list[np.ndarray]:
    """Decode every image once, shorter side resized to `shorter_side` exactly as serving resizes it
    (imaging.preprocess), kept in memory as uint8 HWC."""
    return [np.asarray(resize_shorter_side(load_rgb(sample.path), shorter_side)) for sample in samples]


def labels_of(samples: list[Sample]) -> np.ndarray:
    return np.array([s.label for s in samples], dtype=np.int64)


def data_hash(samples: list[Sample]) -> str:
    """sha256 over (file name, label, bytes) of the training images: which data made this model."""
    digest = hashlib.sha256()
    for sample in sorted(samples, key=lambda s: s.path.name):
        digest.update(sample.path.name.encode())
        digest.update(bytes([sample.label]))
        digest.update(sample.path.read_bytes())
    return digest.hexdigest()
