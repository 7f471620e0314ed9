"""Fine-tune an ImageNet EfficientNet-Lite on ISIC 2017 (train split), choosing epochs on val.

Read it top to bottom: config, data, model, optimiser, loop, checkpoints. Everything that shapes
the result is a flag; the run folder gets the config, a log line per epoch, and checkpoints
(`last.pt` every epoch for --resume, `best.pt` by validation mean of melanoma and SK AUC).

    melanoscan train --backbone efficientnet-lite0 --epochs 15 --out runs/lite0
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from melanoscan.imaging.preprocess import normalize
from melanoscan.inference.spec import CLASSES, ModelSpec
from melanoscan.training.augment import AugmentConfig, augment
from melanoscan.training.backbones import create_model, freeze_stem_and_blocks
from melanoscan.training.config import TrainConfig, parse_args
from melanoscan.training.data import cache_images, isic_dir, labels_of, read_split
from melanoscan.training.metrics import one_vs_rest_auc

log = logging.getLogger("melanoscan.train")


def spec_for(config: TrainConfig, name: str = "melanoscan", version: str = "dev") -> ModelSpec:
    """The preprocessing contract this training run uses for validation (and export)."""
    return ModelSpec(
        name=name,
        version=version,
        classes=CLASSES,
        input_size=config.image_size,
        resize_size=config.resize_size,
        backbone=config.backbone,
    )


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def eval_batches(cached: list[np.ndarray], spec: ModelSpec, batch_size: int):
    """Centre crops exactly as serving takes them, in batches of NCHW float tensors."""
    from PIL import Image

    from melanoscan.imaging.preprocess import preprocess

    for i in range(0, len(cached), batch_size):
        arrays = [preprocess(Image.fromarray(px), spec) for px in cached[i : i + batch_size]]
        yield torch.from_numpy(np.stack(arrays)).contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def predict_logits(model: torch.nn.Module, cached: list[np.ndarray], spec: ModelSpec, batch_size: int) -> np.ndarray:
    model.eval()
    return torch.cat([model(batch) for batch in eval_batches(cached, spec, batch_size)]).numpy()


def set_train_mode(model: torch.nn.Module, freeze_blocks: int) -> None:
    model.train()
    freeze_stem_and_blocks(model, freeze_blocks)  # re-applies eval() to the frozen BatchNorms


def run(config: TrainConfig) -> Path:
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        handlers=[logging.StreamHandler(), logging.FileHandler(out / "train.log")],
        force=True,
    )
    (out / "config.json").write_text(json.dumps(asdict(config), indent=2))
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    spec = spec_for(config)

    # ---- data: decode once, keep in memory ----
    root = isic_dir(config.data_dir)
    train_samples, val_samples = read_split(root, config.train_split), read_split(root, config.val_split)
    t0 = time.time()
    train_images = cache_images(train_samples, config.resize_size)
    val_images = cache_images(val_samples, config.resize_size)
    train_labels, val_labels = labels_of(train_samples), labels_of(val_samples)
    log.info("cached %d train / %d val images in %.1fs", len(train_images), len(val_images), time.time() - t0)

    # ---- loss weights against class imbalance ----
    counts = np.bincount(train_labels, minlength=len(CLASSES)).astype(np.float64)
    weights = (counts.sum() / np.maximum(counts, 1)) ** config.class_weight_power
    weights = weights / (weights * counts).sum() * counts.sum()  # mean weight per sample = 1
    class_weights = torch.tensor(weights, dtype=torch.float32)
    log.info("class counts %s, loss weights %s", counts.tolist(), np.round(weights, 3).tolist())

    # ---- model and optimiser ----
    model = create_model(config.backbone, len(CLASSES), config.image_size, pretrained=config.pretrained)
    model = model.to(memory_format=torch.channels_last)
    freeze_stem_and_blocks(model, config.freeze_blocks)
    head = [p for n, p in model.named_parameters() if n.startswith("_fc")]
    body = [p for n, p in model.named_parameters() if not n.startswith("_fc") and p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": config.lr}, {"params": head, "lr": config.lr * config.head_lr_mult}],
        weight_decay=config.weight_decay,
    )
    steps_per_epoch = math.ceil(len(train_images) / config.batch_size)
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
    start_epoch, best_score = 0, -1.0
    if config.resume and (out / "last.pt").exists():
        state = torch.load(out / "last.pt", weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best_score = state["epoch"] + 1, state["best_score"]
        random.setstate(state["py_rng"])
        np.random.set_state(state["np_rng"])
        torch.set_rng_state(state["torch_rng"])
        log.info("resumed from epoch %d (best val score %.4f)", state["epoch"], best_score)

    augment_config = AugmentConfig(strength=config.augment_strength)
    for epoch in range(start_epoch, config.epochs):
        # ---- one epoch of training ----
        rng = np.random.default_rng([config.seed, epoch])
        order = rng.permutation(len(train_images))
        set_train_mode(model, config.freeze_blocks)
        losses, t0 = [], time.time()
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{config.epochs}", leave=False)
        for step in bar:
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            pixels = [augment(train_images[i], config.image_size, rng, augment_config) for i in idx]
            x = torch.from_numpy(np.stack([normalize(p, spec) for p in pixels]))
            x = x.contiguous(memory_format=torch.channels_last)
            y = torch.from_numpy(train_labels[idx])
            loss = F.cross_entropy(model(x), y, weight=class_weights, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses):.4f}")

        # ---- validation: the numbers we choose on ----
        val_logits = predict_logits(model, val_images, spec, config.batch_size * 2)
        val_probs = torch.softmax(torch.from_numpy(val_logits), dim=1).numpy()
        val_loss = float(F.cross_entropy(torch.from_numpy(val_logits), torch.from_numpy(val_labels)))
        mel_auc = one_vs_rest_auc(val_labels, val_probs, 0)
        sk_auc = one_vs_rest_auc(val_labels, val_probs, 2)
        score = (mel_auc + sk_auc) / 2
        record = {
            "epoch": epoch + 1,
            "train_loss": float(np.mean(losses)),
            "val_loss": val_loss,
            "val_melanoma_auc": mel_auc,
            "val_sk_auc": sk_auc,
            "val_mean_auc": score,
            "val_accuracy": float((val_probs.argmax(1) == val_labels).mean()),
            "lr": scheduler.get_last_lr()[0],
            "seconds": time.time() - t0,
        }
        with open(out / "log.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        log.info(
            "epoch %d train_loss %.4f val_loss %.4f val_mel_auc %.4f val_sk_auc %.4f val_mean %.4f (%.0fs)",
            epoch + 1,
            record["train_loss"],
            val_loss,
            mel_auc,
            sk_auc,
            score,
            record["seconds"],
        )

        # ---- checkpoints ----
        if score > best_score:
            best_score = score
            torch.save(
                {"model": model.state_dict(), "config": asdict(config), "epoch": epoch + 1, "val_mean_auc": score},
                out / "best.pt",
            )
        torch.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
                "best_score": best_score,
                "config": asdict(config),
                "py_rng": random.getstate(),
                "np_rng": np.random.get_state(),
                "torch_rng": torch.get_rng_state(),
            },
            out / "last.pt.tmp",
        )
        (out / "last.pt.tmp").replace(out / "last.pt")  # atomic: a kill mid-save never corrupts last.pt
    log.info("done: best val mean AUC %.4f", best_score)
    return out


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv, __doc__.split("\n")[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
