"""Export trained checkpoints (one, or an ensemble) to ONNX with its metadata JSON, calibrated on validation.

Steps: rebuild the networks, wrap them (averaging the logits of several checkpoints and optionally of a
horizontal flip, so the ensemble and test-time augmentation live inside the graph and serving stays one
call), fit the softmax temperature and choose the melanoma alert threshold on the validation split, export
ONNX, and check that ONNX Runtime and
PyTorch agree on real images.

    melanoscan export --checkpoint runs/lite0-224/best.pt runs/lite0-224-s1/best.pt --out models/melanoscan.onnx \
        --version 1.0.0
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
import torch.nn.functional as F

from melanoscan.inference.engine import softmax
from melanoscan.inference.spec import spec_path_for
from melanoscan.training.backbones import create_model
from melanoscan.training.calibrate import fit_temperature
from melanoscan.training.config import TrainConfig
from melanoscan.training.data import cache_images, data_hash, isic_dir, labels_of, read_split
from melanoscan.training.metrics import MELANOMA, summarize
from melanoscan.training.operating_point import DEFAULT_TARGET_SENSITIVITY, alert_threshold_for_sensitivity
from melanoscan.training.train import predict_logits, spec_for

log = logging.getLogger("melanoscan.export")
PARITY_TOLERANCE = 1e-4
HEADLINE_METRICS = (
    "melanoma_auc",
    "seborrheic_keratosis_auc",
    "mean_auc_mel_sk",
    "balanced_accuracy",
    "log_loss",
    "ece",
)


class AveragedLogits(torch.nn.Module):
    """Ensemble and test-time augmentation inside the graph: the mean of the logits of every member
    network, on the image and (with tta) its mirror. Serving stays one ONNX call.

    Members may differ in input size: the graph takes the largest member's crop, and a smaller member
    gets it resized to the size it was trained at (bilinear, inside the graph)."""

    def __init__(self, members: list[torch.nn.Module], sizes: list[int], tta: bool) -> None:
        super().__init__()
        self.members = torch.nn.ModuleList(members)
        self.sizes = sizes
        self.tta = tta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        views = [x, torch.flip(x, dims=[3])] if self.tta else [x]
        logits = []
        for member, size in zip(self.members, self.sizes, strict=True):
            for view in views:
                if size != view.shape[-1]:
                    view = F.interpolate(view, size=(size, size), mode="bilinear", align_corners=False)
                logits.append(member(view))
        return torch.stack(logits).mean(dim=0)


def load_network(checkpoints: list[Path], tta: bool) -> tuple[torch.nn.Module, TrainConfig, list[dict]]:
    """One network from one or more checkpoints; the returned config (the largest input) sets preprocessing."""
    states = [torch.load(path, map_location="cpu", weights_only=False) for path in checkpoints]
    configs = [TrainConfig(**state["config"]) for state in states]
    members = []
    for config, state in zip(configs, states, strict=True):
        model = create_model(config.backbone, 3, config.image_size, pretrained=False)
        model.load_state_dict(state["model"])
        members.append(model)
    sizes = [config.image_size for config in configs]
    network = members[0] if len(members) == 1 and not tta else AveragedLogits(members, sizes, tta)
    return network.eval(), max(configs, key=lambda config: config.image_size), states


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
    parser.add_argument(
        "--checkpoint", required=True, type=Path, nargs="+", help="one checkpoint, or several to average as an ensemble"
    )
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
    parser.add_argument(
        "--alert-sensitivity",
        type=float,
        default=DEFAULT_TARGET_SENSITIVITY,
        help="share of the calibration split's melanomas the melanoma alert must catch (sets its threshold)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(2)

    network, config, states = load_network(args.checkpoint, args.tta)
    spec = spec_for(config, args.name, args.version)
    root = isic_dir(args.data_dir)
    calib = read_split(root, args.calibration_split)
    images = cache_images(calib, spec.resize_size)
    labels = labels_of(calib)
    logits = predict_logits(network, images, spec, 32)
    temperature = round(fit_temperature(logits, labels), 5)  # as stored, so the alert is chosen on what serves
    calibrated_probs = softmax(logits, temperature)
    alert_threshold = alert_threshold_for_sensitivity(
        calibrated_probs[:, MELANOMA], labels == MELANOMA, args.alert_sensitivity
    )
    calibrated = summarize(labels, calibrated_probs, spec.classes, alert_threshold=alert_threshold)
    log.info(
        "temperature %.3f; %s ECE %.4f -> %.4f",
        temperature,
        args.calibration_split,
        summarize(labels, softmax(logits), spec.classes)["ece"],
        calibrated["ece"],
    )
    log.info(
        "melanoma alert at p >= %.3f: %s sensitivity %.3f, specificity %.3f",
        alert_threshold,
        args.calibration_split,
        calibrated["melanoma_alert_sensitivity"],
        calibrated["melanoma_alert_specificity"],
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
            "temperature": temperature,
            "melanoma_alert_threshold": alert_threshold,
            "tta": "hflip" if args.tta else "none",
            "created": dt.date.today().isoformat(),
            "onnx_sha256": hashlib.sha256(args.out.read_bytes()).hexdigest(),
            "training_data_sha256": data_hash(read_split(root, config.train_split)),
            "training": {
                "members": [
                    {
                        "checkpoint": str(path),
                        "best_epoch": state.get("epoch"),
                        "val_mean_auc": state.get("val_mean_auc"),
                        "config": state["config"],
                    }
                    for path, state in zip(args.checkpoint, states, strict=True)
                ],
            },
            "calibration": {"split": args.calibration_split, "n": len(labels), "ece": calibrated["ece"]},
            "melanoma_alert_choice": {
                "split": args.calibration_split,
                "target_sensitivity": args.alert_sensitivity,
                "melanomas": int((labels == MELANOMA).sum()),
                "sensitivity": calibrated["melanoma_alert_sensitivity"],
                "specificity": calibrated["melanoma_alert_specificity"],
            },
            # The figures the model was chosen on, after calibration (test figures live in its evaluation).
            "metrics": {
                "split": args.calibration_split,
                **{key: calibrated[key] for key in HEADLINE_METRICS},
            },
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
                "melanoma_alert_threshold": alert_threshold,
                "parity_max_abs_diff": parity,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
