"""Export a trained checkpoint to ONNX with its metadata JSON, calibrated on validation.

Steps: rebuild the network, wrap it (optionally averaging logits over a horizontal flip, so test-time
augmentation lives inside the graph and serving stays one call), fit the softmax temperature on the
validation split, export ONNX, and check that ONNX Runtime and PyTorch agree on real images.

    melanoscan export --checkpoint runs/lite0-224/best.pt --out models/melanoscan.onnx --version 1.0.0
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import torch

from melanoscan.inference.engine import softmax
from melanoscan.inference.spec import spec_path_for
from melanoscan.training.backbones import create_model
from melanoscan.training.calibrate import fit_temperature
from melanoscan.training.data import cache_images, data_hash, isic_dir, labels_of, read_split
from melanoscan.training.metrics import summarize
from melanoscan.training.train import TrainConfig, predict_logits, spec_for

log = logging.getLogger("melanoscan.export")
PARITY_TOLERANCE = 1e-4


class FlipAveraged(torch.nn.Module):
    """Test-time augmentation in the graph: mean of the logits of the image and its mirror."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.model(x) + self.model(torch.flip(x, dims=[3]))) / 2


def load_network(checkpoint: Path, tta: bool) -> tuple[torch.nn.Module, TrainConfig, dict]:
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    config = TrainConfig(**state["config"])
    model = create_model(config.backbone, 3, config.image_size, pretrained=False)
    model.load_state_dict(state["model"])
    network = FlipAveraged(model) if tta else model
    return network.eval(), config, state


def export_onnx(network: torch.nn.Module, image_size: int, path: Path) -> None:
    dummy = torch.zeros(1, 3, image_size, image_size)
    torch.onnx.export(
        network,
        (dummy,),
        str(path),
        dynamo=False,
        opset_version=17,
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
    )


def onnx_parity(path: Path, network: torch.nn.Module, batch: torch.Tensor) -> float:
    """Max |ORT - torch| over the logits of a batch of real, preprocessed images."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (ort_logits,) = session.run(None, {"image": batch.numpy()})
    with torch.no_grad():
        torch_logits = network(batch).numpy()
    return float(np.abs(ort_logits - torch_logits).max())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="melanoscan export", description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path, help="ONNX path; the metadata goes to the same name .json")
    parser.add_argument("--name", default="melanoscan")
    parser.add_argument("--version", default="dev")
    parser.add_argument(
        "--tta",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="average logits over a horizontal flip inside the graph",
    )
    parser.add_argument("--data-dir", help="ISIC 2017 folder (default $MELANOSCAN_ISIC_DIR or ../shared/data/isic2017)")
    parser.add_argument("--calibration-split", default="val")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(2)

    network, config, state = load_network(args.checkpoint, args.tta)
    spec = spec_for(config, args.name, args.version)
    root = isic_dir(args.data_dir)
    calib = read_split(root, args.calibration_split)
    images = cache_images(calib, spec.resize_size)
    labels = labels_of(calib)
    logits = predict_logits(network, images, spec, 32)
    temperature = fit_temperature(logits, labels)
    calibrated = summarize(labels, softmax(logits, temperature), spec.classes)
    log.info(
        "temperature %.3f; %s ECE %.4f -> %.4f",
        temperature,
        args.calibration_split,
        summarize(labels, softmax(logits), spec.classes)["ece"],
        calibrated["ece"],
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    export_onnx(network, spec.input_size, args.out)
    from melanoscan.training.train import eval_batches

    batch = next(eval_batches(images[:16], spec, 16)).contiguous()
    parity = onnx_parity(args.out, network, batch)
    log.info("ONNX Runtime vs PyTorch max abs logit diff on %d real images: %.2e", len(batch), parity)
    if parity > PARITY_TOLERANCE:
        raise SystemExit(f"ONNX output differs from PyTorch by {parity:.2e} > {PARITY_TOLERANCE}")

    final = spec.__class__.from_dict(
        {
            **spec.to_dict(),
            "temperature": round(temperature, 5),
            "tta": "hflip" if args.tta else "none",
            "created": dt.date.today().isoformat(),
            "onnx_sha256": hashlib.sha256(args.out.read_bytes()).hexdigest(),
            "training_data_sha256": data_hash(read_split(root, config.train_split)),
            "training": {
                "config": state["config"],
                "best_epoch": state.get("epoch"),
                "val_mean_auc_at_selection": state.get("val_mean_auc"),
            },
            "calibration": {"split": args.calibration_split, "n": len(labels), "ece": calibrated["ece"]},
            "parity_max_abs_diff": parity,
            "licence": "model weights: Apache-2.0 (EfficientNet-Lite ImageNet init); trained on ISIC 2017 (CC0)",
        }
    )
    final.save(spec_path_for(args.out))
    print(
        json.dumps(
            {
                "onnx": str(args.out),
                "metadata": str(spec_path_for(args.out)),
                "temperature": temperature,
                "parity_max_abs_diff": parity,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
