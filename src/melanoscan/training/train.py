"""Fine-tune an ImageNet EfficientNet-Lite on ISIC 2017 (train split) and HAM10000, watching ISIC val.

Read it top to bottom: config, data, model, optimiser, loop, checkpoints. Everything that shapes
the result is a flag; the run folder gets the config, a log line per epoch, and checkpoints
(`last.pt` every epoch for --resume, `best.pt` the weights the run keeps: the last epoch's, or with
--select-on-val the epoch with the best validation mean of melanoma and SK AUC). `melanoscan cv` runs
the same `fit` once per cross-validation fold.

    melanoscan train --backbone efficientnet-lite0 --epochs 15 --out runs/lite0
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from melanoscan.imaging.preprocess import normalize
from melanoscan.inference.engine import softmax
from melanoscan.inference.spec import CLASSES, ModelSpec
from melanoscan.training.augment import AugmentConfig, augment
from melanoscan.training.backbones import create_model, freeze_stem_and_blocks
from melanoscan.training.config import TrainConfig, parse_args
from melanoscan.training.data import (
    Sample,
    cache_images,
    ham_dir,
    isic_dir,
    labels_of,
    output_classes,
    read_ham,
    read_split,
)
from melanoscan.training.metrics import one_vs_rest_auc

log = logging.getLogger("melanoscan.train")


def spec_for(config: TrainConfig, name: str = "melanoscan", version: str = "dev") -> ModelSpec:
    """The preprocessing contract (and the outputs) this training run uses for validation and export."""
    return ModelSpec(
        name=name,
        version=version,
        classes=output_classes(config.ham),
        input_size=config.image_size,
        resize_size=config.resize_size,
        backbone=config.backbone,
    )


@dataclass
class ImageSet:
    """Decoded images kept in memory, with their samples (labels, sources, lesions)."""

    samples: list[Sample]
    images: list[np.ndarray]

    @classmethod
    def load(cls, samples: list[Sample], shorter_side: int) -> ImageSet:
        return cls(samples, cache_images(samples, shorter_side))

    @property
    def labels(self) -> np.ndarray:
        return labels_of(self.samples)

    def subset(self, index: np.ndarray) -> ImageSet:
        return ImageSet([self.samples[i] for i in index], [self.images[i] for i in index])


def training_samples(config: TrainConfig) -> list[Sample]:
    """ISIC 2017's training split, plus HAM10000 unless --no-ham."""
    samples = read_split(isic_dir(config.data_dir), config.train_split)
    if config.ham:
        samples += read_ham(ham_dir(config.ham_dir), config.bkl)
    return samples


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def eval_batches(cached: list[np.ndarray], spec: ModelSpec, batch_size: int) -> Iterator[torch.Tensor]:
    """Centre crops exactly as serving takes them, in batches of NCHW float tensors."""
    from PIL import Image

    from melanoscan.imaging.preprocess import preprocess

    for i in range(0, len(cached), batch_size):
        arrays = [preprocess(Image.fromarray(px), spec) for px in cached[i : i + batch_size]]
        yield torch.from_numpy(np.stack(arrays)).contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def predict_logits(model: torch.nn.Module, cached: list[np.ndarray], spec: ModelSpec, batch_size: int) -> np.ndarray:
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model(batch.to(device)).cpu() for batch in eval_batches(cached, spec, batch_size)]).numpy()


def service_probabilities(logits: np.ndarray) -> np.ndarray:
    """The service's three answers, renormalised over themselves (as the screening core reports them)."""
    probs = softmax(logits)[:, : len(CLASSES)]
    return probs / probs.sum(axis=1, keepdims=True)


def holdout_figures(labels: np.ndarray, logits: np.ndarray) -> dict[str, float]:
    """Melanoma and SK AUC (the ISIC 2017 Part 3 scores) and log-loss of a held-out set."""
    probs = service_probabilities(logits)
    mel, sk = one_vs_rest_auc(labels, probs, 0), one_vs_rest_auc(labels, probs, 2)
    loss = float(F.cross_entropy(torch.from_numpy(logits).float(), torch.from_numpy(labels)))
    return {"melanoma_auc": mel, "sk_auc": sk, "mean_auc": (mel + sk) / 2, "loss": loss, "n": len(labels)}


def augmented_batch(
    images: list[np.ndarray], index: np.ndarray, spec: ModelSpec, config: AugmentConfig, seed: list[int]
) -> torch.Tensor:
    """One training batch (NCHW float), augmented with its own random stream."""
    rng = np.random.default_rng(seed)
    pixels = [augment(images[i], spec.input_size, rng, config) for i in index]
    return torch.from_numpy(np.stack([normalize(p, spec) for p in pixels]))


def ema_with_warmup(decay: float) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor | int], torch.Tensor]:
    """Exponential moving average whose decay grows to `decay` as (1 + n) / (10 + n) (as timm's ModelEmaV3):
    a short run is not dragged back towards its random head by a long memory of the first steps."""

    def average(averaged: torch.Tensor, current: torch.Tensor, num_averaged: torch.Tensor | int) -> torch.Tensor:
        n = int(num_averaged)
        d = min(decay, (1 + n) / (10 + n))
        return averaged * d + current * (1 - d)

    return average


def set_train_mode(model: torch.nn.Module, freeze_blocks: int) -> None:
    model.train()
    freeze_stem_and_blocks(model, freeze_blocks)  # re-applies eval() to the frozen BatchNorms


def class_weights_for(labels: np.ndarray, power: float) -> torch.Tensor:
    """Loss weight per class = (1 / frequency) ** power, scaled so the mean weight per sample is 1."""
    counts = np.bincount(labels, minlength=int(labels.max()) + 1).astype(np.float64)
    weights = (counts.sum() / np.maximum(counts, 1)) ** power
    weights = weights / (weights * counts).sum() * counts.sum()
    log.info("class counts %s, loss weights %s", counts.astype(int).tolist(), np.round(weights, 3).tolist())
    return torch.tensor(weights, dtype=torch.float32)


def setup_logging(out: Path) -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        handlers=[logging.StreamHandler(), logging.FileHandler(out / "train.log")],
        force=True,
    )


def fit(config: TrainConfig, train: ImageSet, watch: dict[str, ImageSet], out: Path) -> dict[str, Any]:
    """Train one network on `train`; after each epoch score it on every set in `watch` (logged, and the
    first one picks best.pt with --select-on-val). Resumable from out/last.pt. Returns the final record."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(config), indent=2))
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    spec = spec_for(config)
    device = torch.device(
        ("cuda" if torch.cuda.is_available() else "cpu") if config.device == "auto" else config.device
    )
    class_weights = class_weights_for(train.labels, config.class_weight_power).to(device)

    # ---- model, weight average and optimiser ----
    classes = output_classes(config.ham)
    model = create_model(config.backbone, len(classes), config.image_size, pretrained=config.pretrained)
    model = model.to(device, memory_format=torch.channels_last)  # type: ignore[call-overload]  # torch's stubs lack it
    freeze_stem_and_blocks(model, config.freeze_blocks)
    ema = None
    if config.ema_decay > 0:
        ema = torch.optim.swa_utils.AveragedModel(model, avg_fn=ema_with_warmup(config.ema_decay), use_buffers=True)
    head = [p for n, p in model.named_parameters() if n.startswith("_fc")]
    body = [p for n, p in model.named_parameters() if not n.startswith("_fc") and p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": config.lr}, {"params": head, "lr": config.lr * config.head_lr_mult}],
        weight_decay=config.weight_decay,
    )
    steps_per_epoch = math.ceil(len(train.images) / config.batch_size)
    if config.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, config.max_steps_per_epoch)
    total_steps = steps_per_epoch * config.epochs
    warmup_steps = int(config.warmup_epochs * steps_per_epoch)

    def lr_factor(step: int) -> float:  # linear warm-up, then cosine to zero
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    record: dict[str, Any]  # one epoch's figures
    start_epoch, best_score, record = 0, -1.0, {}
    if config.resume and (out / "last.pt").exists():
        state = torch.load(out / "last.pt", map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best_score = state["epoch"] + 1, state["best_score"]
        random.setstate(state["py_rng"])
        np.random.set_state(state["np_rng"])
        torch.set_rng_state(state["torch_rng"])
        log.info("resumed from epoch %d", state["epoch"] + 1)

    augment_config = AugmentConfig(strength=config.augment_strength)
    labels = train.labels
    # Augmentation (Pillow, which releases the GIL) of the next batches overlaps the current step. Each batch
    # has its own random stream, so the result does not depend on how many workers there are.
    prefetch = ThreadPoolExecutor(max_workers=config.workers)
    for epoch in range(start_epoch, config.epochs):
        # ---- one epoch of training ----
        order = np.random.default_rng([config.seed, epoch]).permutation(len(train.images))
        batches = [order[s * config.batch_size : (s + 1) * config.batch_size] for s in range(steps_per_epoch)]

        def make_batch(step: int, epoch: int = epoch, batches: list[np.ndarray] = batches) -> torch.Tensor:
            return augmented_batch(train.images, batches[step], spec, augment_config, [config.seed, epoch, step])

        set_train_mode(model, config.freeze_blocks)
        losses, t0 = [], time.time()
        pending = deque(prefetch.submit(make_batch, s) for s in range(min(config.workers, steps_per_epoch)))
        for step in tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{config.epochs}", leave=False):
            x = pending.popleft().result().to(device).contiguous(memory_format=torch.channels_last)
            if step + len(pending) + 1 < steps_per_epoch:
                pending.append(prefetch.submit(make_batch, step + len(pending) + 1))
            y = torch.from_numpy(labels[batches[step]]).to(device)
            loss = F.cross_entropy(model(x), y, weight=class_weights, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            if ema is not None:
                ema.update_parameters(model)
            losses.append(loss.item())

        # ---- the held-out sets: what we watch (and, with --select-on-val, choose on) ----
        kept = ema.module if ema is not None else model
        record = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "seconds": round(time.time() - t0, 1)}
        last = epoch + 1 == config.epochs
        watched = config.select_on_val or last or (config.watch_every > 0 and (epoch + 1) % config.watch_every == 0)
        for name, held_out in watch.items() if watched else ():
            logits = predict_logits(kept, held_out.images, spec, config.batch_size * 2)
            record[name] = holdout_figures(held_out.labels, logits)
            if ema is not None and last:  # what the average bought, measured once
                raw = predict_logits(model, held_out.images, spec, config.batch_size * 2)
                record[f"{name}_without_ema"] = holdout_figures(held_out.labels, raw)
        record["lr"] = scheduler.get_last_lr()[0]
        with open(out / "log.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        log.info("epoch %d %s", epoch + 1, json.dumps(record))

        # ---- checkpoints ----
        score = record[next(iter(watch))]["mean_auc"] if config.select_on_val and watch else float(epoch)
        if score > best_score:
            best_score = score
            torch.save(
                {
                    "model": kept.state_dict(),
                    "config": asdict(config),
                    "classes": list(classes),
                    "epoch": epoch + 1,
                    "watch": {k: v for k, v in record.items() if isinstance(v, dict)},
                },
                out / "best.pt",
            )
        torch.save(
            {
                "model": model.state_dict(),
                "ema": ema.state_dict() if ema is not None else None,
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
                "best_score": best_score,
                "config": asdict(config),
                "classes": list(classes),
                "py_rng": random.getstate(),
                "np_rng": np.random.get_state(),
                "torch_rng": torch.get_rng_state(),
            },
            out / "last.pt.tmp",
        )
        (out / "last.pt.tmp").replace(out / "last.pt")  # atomic: a kill mid-save never corrupts last.pt
    prefetch.shutdown()
    return record


def run(config: TrainConfig) -> Path:
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    setup_logging(out)
    t0 = time.time()
    train = ImageSet.load(training_samples(config), config.resize_size)
    val = ImageSet.load(read_split(isic_dir(config.data_dir), config.val_split), config.resize_size)
    log.info("cached %d train / %d val images in %.1fs", len(train.images), len(val.images), time.time() - t0)
    fit(config, train, {"val": val}, out)
    log.info("done")
    return out


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv, (__doc__ or "").split("\n")[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
