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
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from melanoscan.inference.engine import softmax
from melanoscan.inference.spec import CLASSES, spec_path_for
from melanoscan.training.backbones import create_model
from melanoscan.training.calibrate import fit_temperature
from melanoscan.training.config import TrainConfig
from melanoscan.training.cv import oof_arrays, read_oof
from melanoscan.training.data import (
    CARCINOMA_CLASSES,
    TRAIN_CLASSES,
    cache_images,
    data_hash,
    isic_dir,
    labels_of,
    read_split,
)
from melanoscan.training.metrics import MELANOMA, summarize
from melanoscan.training.operating_point import (
    DEFAULT_CARCINOMA_SENSITIVITY,
    DEFAULT_TARGET_SENSITIVITY,
    alert_threshold_for_sensitivity,
)
from melanoscan.training.train import predict_logits, spec_for, training_samples

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


def load_network(
    checkpoints: list[Path], tta: bool
) -> tuple[torch.nn.Module, TrainConfig, list[dict], tuple[str, ...]]:
    """One network from one or more checkpoints; the returned config (the largest input) sets preprocessing.
    Every member must have the same outputs (checkpoints from before HAM10000 have the three CLASSES)."""
    states = [torch.load(path, map_location="cpu", weights_only=False) for path in checkpoints]
    configs = [TrainConfig(**state["config"]) for state in states]
    outputs = {tuple(state.get("classes", CLASSES)) for state in states}
    if len(outputs) != 1:
        raise SystemExit(f"members disagree on their classes: {sorted(outputs)}")
    classes = outputs.pop()
    members = []
    for config, state in zip(configs, states, strict=True):
        model = create_model(config.backbone, len(classes), config.image_size, pretrained=False)
        model.load_state_dict(state["model"])
        members.append(model)
    sizes = [config.image_size for config in configs]
    network = members[0] if len(members) == 1 and not tta else AveragedLogits(members, sizes, tta)
    return network.eval(), max(configs, key=lambda config: config.image_size), states, classes


def choose_alerts_on_oof(
    oof_dirs: list[Path], temperature: float, melanoma_target: float, carcinoma_target: float
) -> dict[str, dict]:
    """Both alert thresholds from cross-validation's out-of-fold predictions (hundreds of melanomas and
    carcinomas instead of validation's 30 melanomas), with the temperature the shipped model uses."""
    labels, logits, sources, _ = oof_arrays([row for d in oof_dirs for row in read_oof(d)])
    service = softmax(logits[:, : len(CLASSES)], temperature)  # = the full softmax renormalised over CLASSES
    carcinoma_index = [TRAIN_CLASSES.index(c) for c in CARCINOMA_CLASSES]
    alerts = [("melanoma", service[:, MELANOMA], labels == MELANOMA, melanoma_target)]
    if logits.shape[1] > max(carcinoma_index):  # a model with carcinoma outputs
        carcinoma = softmax(logits, temperature)[:, carcinoma_index].sum(axis=1)
        alerts.append(("carcinoma", carcinoma, np.isin(labels, carcinoma_index), carcinoma_target))
    choices = {}
    for name, scores, positive, target in alerts:
        threshold = alert_threshold_for_sensitivity(scores, positive, target)
        fired = scores >= threshold
        choices[name] = {
            "threshold": threshold,
            "split": "out-of-fold (" + ", ".join(str(d) for d in oof_dirs) + ")",
            "target_sensitivity": target,
            "positives": int(positive.sum()),
            "images": len(labels),
            "sensitivity": float(fired[positive].mean()),
            "specificity": float((~fired[~positive]).mean()),
            "per_source": {
                source: {
                    "positives": int((positive & (sources == source)).sum()),
                    "sensitivity": float(fired[positive & (sources == source)].mean())
                    if (positive & (sources == source)).any()
                    else None,
                    "specificity": float((~fired[~positive & (sources == source)]).mean()),
                }
                for source in sorted(set(sources))
            },
        }
    return choices


def licence_of(configs: list[TrainConfig]) -> str:
    """A model trained on HAM10000 inherits its CC BY-NC 4.0 licence."""
    if any(config.ham for config in configs):
        return (
            "CC BY-NC 4.0 (non-commercial), inherited from HAM10000 (Tschandl et al. 2018, ViDIR Group, Medical "
            "University of Vienna); also trained on ISIC 2017 (CC0), from EfficientNet-Lite ImageNet weights "
            "(Apache-2.0)"
        )
    return "model weights: Apache-2.0 (EfficientNet-Lite ImageNet init); trained on ISIC 2017 (CC0)"


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
        help="share of melanomas the melanoma alert must catch (out-of-fold with --oof, else the calibration split)",
    )
    parser.add_argument(
        "--carcinoma-sensitivity",
        type=float,
        default=DEFAULT_CARCINOMA_SENSITIVITY,
        help="share of out-of-fold basal-cell carcinomas and actinic keratoses the carcinoma alert must catch",
    )
    parser.add_argument(
        "--oof",
        type=Path,
        nargs="+",
        help="`melanoscan cv` folders whose out-of-fold predictions choose the alert thresholds",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(2)

    network, config, states, classes = load_network(args.checkpoint, args.tta)
    spec = replace(spec_for(config, args.name, args.version), classes=classes)
    root = isic_dir(args.data_dir)
    calib = read_split(root, args.calibration_split)
    images = cache_images(calib, spec.resize_size)
    labels = labels_of(calib)
    logits = predict_logits(network, images, spec, 32)
    # The service reports the three CLASSES renormalised, which is the softmax of their logits alone:
    # the temperature is fitted on those, and stored rounded so the alerts are chosen on what serves.
    service_logits = logits[:, : len(CLASSES)]
    temperature = round(fit_temperature(service_logits, labels), 5)
    calibrated_probs = softmax(service_logits, temperature)
    if args.oof:
        alerts = choose_alerts_on_oof(args.oof, temperature, args.alert_sensitivity, args.carcinoma_sensitivity)
    else:
        mel_threshold = alert_threshold_for_sensitivity(
            calibrated_probs[:, MELANOMA], labels == MELANOMA, args.alert_sensitivity
        )
        alerts = {"melanoma": {"threshold": mel_threshold, "split": args.calibration_split}}
    alert_threshold = alerts["melanoma"]["threshold"]
    calibrated = summarize(labels, calibrated_probs, CLASSES, alert_threshold=alert_threshold)
    if not args.oof:
        alerts["melanoma"].update(
            target_sensitivity=args.alert_sensitivity,
            melanomas=int((labels == MELANOMA).sum()),
            sensitivity=calibrated["melanoma_alert_sensitivity"],
            specificity=calibrated["melanoma_alert_specificity"],
        )
    log.info(
        "temperature %.3f; %s ECE %.4f -> %.4f; alerts %s",
        temperature,
        args.calibration_split,
        summarize(labels, softmax(service_logits), CLASSES)["ece"],
        calibrated["ece"],
        json.dumps(alerts),
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
            "carcinoma_alert_threshold": alerts["carcinoma"]["threshold"] if "carcinoma" in alerts else None,
            "tta": "hflip" if args.tta else "none",
            "created": dt.date.today().isoformat(),
            "onnx_sha256": hashlib.sha256(args.out.read_bytes()).hexdigest(),
            "training_data_sha256": data_hash(training_samples(config)),
            "training": {
                "members": [
                    {
                        "checkpoint": str(path),
                        "epoch": state.get("epoch"),
                        "held_out": state.get("watch"),  # the figures its run logged for the kept epoch
                        "config": state["config"],
                    }
                    for path, state in zip(args.checkpoint, states, strict=True)
                ],
            },
            "calibration": {"split": args.calibration_split, "n": len(labels), "ece": calibrated["ece"]},
            "melanoma_alert_choice": alerts["melanoma"],
            **({"carcinoma_alert_choice": alerts["carcinoma"]} if "carcinoma" in alerts else {}),
            # The figures the model was chosen on, after calibration (test figures live in its evaluation).
            "metrics": {
                "split": args.calibration_split,
                **{key: calibrated[key] for key in HEADLINE_METRICS},
            },
            "parity_max_abs_diff": parity,
            "licence": licence_of([TrainConfig(**state["config"]) for state in states]),
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
