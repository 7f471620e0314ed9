"""Reading the dataset splits: `<split>.csv` (image_id,label) beside a `<split>/` folder of JPEGs."""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from melanoscan.imaging.decode import to_rgb
from melanoscan.inference.spec import CLASSES

DEFAULT_SHARED = Path(__file__).resolve().parents[3].parent / "shared"


def shared_dir(override: str | Path | None = None) -> Path:
    """The shared data folder: an explicit path, else $MELANOSCAN_SHARED, else ../shared beside the project."""
    return Path(override or os.environ.get("MELANOSCAN_SHARED") or DEFAULT_SHARED)


def isic_dir(override: str | Path | None = None) -> Path:
    """The ISIC 2017 folder: an explicit path, else $MELANOSCAN_ISIC_DIR, else <shared>/data/isic2017."""
    env = os.environ.get("MELANOSCAN_ISIC_DIR")
    return Path(override or env or shared_dir() / "data" / "isic2017")


def pad_ufes_dir(override: str | Path | None = None) -> Path:
    """The PAD-UFES-20 folder: explicit, else $MELANOSCAN_PAD_DIR, else <shared>/data/pad_ufes20."""
    env = os.environ.get("MELANOSCAN_PAD_DIR")
    return Path(override or env or shared_dir() / "data" / "pad_ufes20")


@dataclass(frozen=True)
class Sample:
    path: Path
    label: int

    @property
    def image_id(self) -> str:
        return self.path.stem


def read_split(root: Path, split: str) -> list[Sample]:
    """ISIC-style split: root/<split>.csv with image_id,label and images in root/<split>/<id>.jpg."""
    with open(root / f"{split}.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [Sample(root / split / f"{row['image_id']}.jpg", CLASSES.index(row["label"])) for row in rows]


def read_labelled_folder(root: Path) -> list[Sample]:
    """PAD-UFES-style folder: root/labels.csv with image (a path relative to root) and label."""
    with open(root / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [Sample(root / row["image"], CLASSES.index(row["label"])) for row in rows]


def load_rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return to_rgb(image)


def cache_images(samples: list[Sample], shorter_side: int) -> list[np.ndarray]:
    """Decode every image once, shorter side resized to `shorter_side`, kept in memory as uint8 HWC."""
    cached = []
    for sample in samples:
        image = load_rgb(sample.path)
        scale = shorter_side / min(image.size)
        if abs(scale - 1.0) > 1e-6:
            size = (max(shorter_side, round(image.width * scale)), max(shorter_side, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.BICUBIC)
        cached.append(np.asarray(image))
    return cached


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
