"""The model card states counts computed from the data files and figures read from the JSON it is given.

Fast and torch-free: a small ISIC/HAM10000/PAD-shaped data tree made from the committed CC0 images, a 7-class
model's metadata, metrics computed by training.metrics on random probabilities, and two cross-validation
summaries. Every count the test checks is computed from what it wrote, so a number typed into the card fails.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from melanoscan.inference.spec import CLASSES, ModelSpec
from melanoscan.training import model_card
from melanoscan.training.config import TrainConfig
from melanoscan.training.data import TRAIN_CLASSES
from melanoscan.training.metrics import summarize

TINY = sorted((Path(__file__).resolve().parents[1] / "data" / "isic" / "tiny").glob("*.jpg"))
HAM_LABELS = ("melanoma", "nevus", "benign_keratosis", *TRAIN_CLASSES[3:])
rng = np.random.default_rng(11)


def write_images(folder: Path, names: list[str], size: tuple[int, int] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        if size is None:
            shutil.copy(TINY[i % len(TINY)], folder / name)
        else:
            with Image.open(TINY[i % len(TINY)]) as image:
                image.convert("RGB").resize(size).save(folder / name, quality=85)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("data")
    isic = {}
    for split, n in (("train", 13), ("val", 5), ("test", 7)):
        labels = [CLASSES[i] for i in rng.choice(3, n, p=[0.2, 0.6, 0.2])]
        labels[:3] = list(CLASSES)  # every class at least once
        ids = [f"ISIC_{split}_{i:03d}" for i in range(n)]
        write_images(root / "isic" / split, [f"{i}.jpg" for i in ids])
        rows = ["image_id,label", *(f"{i},{label}" for i, label in zip(ids, labels, strict=True))]
        (root / "isic" / f"{split}.csv").write_text("\n".join(rows) + "\n")
        isic[split] = labels
    ham = [HAM_LABELS[i] for i in rng.choice(7, 23)] + list(HAM_LABELS)
    lesions = [f"HAM_L{i // 2:03d}" for i in range(len(ham))]  # two images per lesion, mostly
    write_images(root / "ham" / "images", [f"H{i:03d}.jpg" for i in range(len(ham))], size=(200, 150))
    rows = [
        "image,label,dx,lesion_id",
        *(f"images/H{i:03d}.jpg,{lab},x,{les}" for i, (lab, les) in enumerate(zip(ham, lesions, strict=True))),
    ]
    (root / "ham" / "labels.csv").write_text("\n".join(rows) + "\n")
    (root / "ham" / "left_out.csv").write_text("image_id,dx,matches\nA,bkl,x\nB,nv,y\nC,mel,z\n")
    pad = [("PAT_1_10_1", "melanoma"), ("PAT_1_10_2", "melanoma"), ("PAT_2_20_3", "nevus"), ("PAT_3_30_4", "nevus")]
    write_images(root / "pad" / "images", [f"{name}.jpg" for name, _ in pad])
    (root / "pad" / "labels.csv").write_text(
        "image,label\n" + "".join(f"images/{name}.jpg,{label}\n" for name, label in pad)
    )
    return {"root": root, "isic": isic, "ham": ham, "ham_lesions": lesions, "pad": pad}


def metrics_for(labels: list[str], spec: ModelSpec, split: str) -> dict:
    """Figures as `melanoscan evaluate` computes them, on random 7-class probabilities."""
    y = np.array([CLASSES.index(label) for label in labels])
    probs = rng.dirichlet(np.ones(len(spec.classes)), len(y))
    figures = summarize(y, probs, spec.classes, 0.5, spec.melanoma_alert_threshold, spec.carcinoma_alert_threshold)
    return {**figures, "plots": []}


def choice(threshold: float, positives: int, cv_dir: Path, target: float) -> dict:
    return {
        "threshold": threshold,
        "split": f"out-of-fold ({cv_dir})",
        "oof_dirs": [str(cv_dir)],
        "target_sensitivity": target,
        "positives": positives,
        "images": positives * 7,
        "sensitivity": float(rng.uniform(0.8, 0.95)),
        "specificity": float(rng.uniform(0.3, 0.7)),
        "per_source": {
            source: {"positives": positives // 2 + k, "sensitivity": float(rng.uniform()), "specificity": 0.5}
            for k, source in enumerate(("ham10000", "isic2017"))
        },
    }


def cv_summary(folder: Path, config: TrainConfig, folds: int, done: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "folds.csv").write_text(
        "image,source,lesion,label,fold\n" + "".join(f"x{k},ham10000,L{k},nevus,{k}\n" for k in range(folds))
    )
    summary: dict = {"folds_done": list(range(done)), "images": 100 * done, "config": asdict(config)}
    for source in ("isic2017", "ham10000", "pooled"):
        summary[source] = {
            "per_fold": {},
            **{
                key: {"mean": float(rng.uniform(0.7, 0.95)), "sd": float(rng.uniform(0.01, 0.05))}
                for key in ("melanoma_auc", "sk_auc", "mean_auc")
            },
            "out_of_fold": {"n": int(rng.integers(40, 90))},
            "carcinoma_auc": float(rng.uniform(0.8, 0.99)),
        }
    path = folder / "cv_summary.json"
    path.write_text(json.dumps(summary))
    return path


def test_card_counts_come_from_the_data_and_figures_from_the_json(tmp_path, data):
    root = data["root"]
    recipe = dict(data_dir=str(root / "isic"), ham_dir=str(root / "ham"), epochs=4, ema_decay=0.998)
    shipped_cv = cv_summary(tmp_path / "cv-shipped", TrainConfig(out=str(tmp_path / "cv-shipped"), **recipe), 5, 5)
    proxy_config = TrainConfig(out=str(tmp_path / "cv-proxy"), **{**recipe, "epochs": 2, "bkl": "drop"})
    proxy_cv = cv_summary(tmp_path / "cv-proxy", proxy_config, 5, 2)
    members = [
        {"checkpoint": f"runs/full-s{seed}/best.pt", "epoch": 4, "held_out": {"val": {"mean_auc": 0.9}},
         "config": asdict(TrainConfig(out=f"runs/full-s{seed}", seed=seed, **recipe))}
        for seed in (0, 1)
    ]  # fmt: skip
    spec = ModelSpec(
        name="melanoscan",
        version="9.9.9",
        classes=TRAIN_CLASSES,
        temperature=1.234,
        melanoma_alert_threshold=0.211,
        carcinoma_alert_threshold=0.321,
        backbone="efficientnet-lite0",
        extra={
            "training": {"members": members},
            "calibration": {"split": "val", "n": 5, "ece": 0.05},
            "melanoma_alert_choice": choice(0.211, 457, shipped_cv.parent, 0.85),
            "carcinoma_alert_choice": choice(0.321, 283, shipped_cv.parent, 0.8),
            "licence": "CC BY-NC 4.0 (non-commercial), inherited from HAM10000",
        },
    )
    model = tmp_path / "m.onnx"
    spec.save(model.with_suffix(".json"))
    test = {
        "command": "melanoscan evaluate --split test",
        "date": "2027-01-01",
        "split": "test",
        "isic": metrics_for(data["isic"]["test"], spec, "test"),
        "isic_without_near_duplicates": {**metrics_for(data["isic"]["test"][1:], spec, "test"), "removed": 1},
        "pad_ufes20": metrics_for([label for _, label in data["pad"]], spec, "pad"),
    }
    (tmp_path / "metrics.json").write_text(json.dumps(test))
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- model-figures:start -->\nold\n<!-- model-figures:end -->\n")
    card_path = tmp_path / "card.md"
    argv = ["--metrics", str(tmp_path / "metrics.json"), "--model", str(model), "--out", str(card_path)]
    argv += ["--readme", str(readme), "--pad-dir", str(root / "pad"), "--cv", str(shipped_cv), str(proxy_cv)]
    assert model_card.main(argv) == 0
    card = card_path.read_text()
    flat = " ".join(card.split())  # the card wraps its lines; compare words

    # ISIC 2017: counted from the split files
    train = Counter(data["isic"]["train"])
    assert (
        f"{sum(train.values())} train ({train['melanoma']} melanoma, {train['nevus']} nevus, "
        f"{train['seborrheic_keratosis']} SK), {len(data['isic']['val'])} validation, {len(data['isic']['test'])} test"
    ) in flat
    # HAM10000: images, lesions, size, per label, left out
    ham = Counter(data["ham"])
    assert f"{len(data['ham'])} dermoscopy images of {len(set(data['ham_lesions']))} lesions at 200×150 px" in flat
    assert (
        f"{ham['benign_keratosis']} benign keratosis ('bkl')" in flat
        and f"{ham['dermatofibroma']} dermatofibroma" in flat
    )
    assert "3 more were left out" in flat
    # What the model learned from: ISIC train + HAM10000 with bkl counted as SK (the members' policy)
    learned_sk = train["seborrheic_keratosis"] + ham["benign_keratosis"]
    total = sum(train.values()) + len(data["ham"])
    assert f"learned from: {total} images (ISIC 2017 train and HAM10000)" in flat and f"{learned_sk} SK" in flat
    assert f"nevus is {(train['nevus'] + ham['nevus']) / total * 100:.0f}% of training images" in flat
    assert "**counted as seborrheic keratosis**" in flat and "`--bkl drop`" in flat
    # PAD-UFES-20: photos, lesions and patients from its file names
    assert f"The {len(data['pad'])} photos are a partial copy" in flat and "show 3 lesions of 3 patients" in flat

    # The licence comes before the model's description, and says how to get a CC0-only model
    assert card.index("**Licence: this model is CC BY-NC 4.0") < card.index("## Model") and "--no-ham" in card
    assert "The network has 7 outputs" in flat and "renormalised" in flat

    # Cross-validation: both recipes, per source, mean ± sd from the summaries; shipped and proxy marked
    for path in (shipped_cv, proxy_cv):
        summary = json.loads(path.read_text())
        for source in ("isic2017", "ham10000", "pooled"):
            mel = summary[source]["melanoma_auc"]
            assert f"{mel['mean']:.3f} ± {mel['sd']:.3f}" in card
            assert f"{summary[source]['carcinoma_auc']:.3f}" in card
    shipped_row = next(line for line in card.splitlines() if "(cv-shipped)" in line)
    proxy_row = next(line for line in card.splitlines() if "(cv-proxy)" in line)
    assert "**shipped recipe**" in shipped_row and "full CV" in shipped_row and "| 5/5 |" in shipped_row
    assert "shipped recipe" not in proxy_row and "proxy: 2 of 5 folds done, 2 epochs (shipped members: 4)" in proxy_row

    # Both alerts: chosen out of fold (figures from the metadata), measured on test (figures from metrics.json)
    mel_choice, carc_choice = spec.extra["melanoma_alert_choice"], spec.extra["carcinoma_alert_choice"]
    assert f"of the {mel_choice['positives']} melanomas among {mel_choice['images']} out-of-fold" in flat
    assert f"sensitivity {mel_choice['sensitivity'] * 100:.1f}%" in flat
    ham_source = mel_choice["per_source"]["ham10000"]
    assert f"HAM10000: {ham_source['positives']} melanomas, sensitivity {ham_source['sensitivity'] * 100:.1f}%" in flat
    assert f"**{spec.carcinoma_alert_threshold:.3f}**" in card and f"{carc_choice['positives']} basal-cell" in flat
    fraction = f"{test['isic']['carcinoma_alert_fraction'] * 100:.1f}%"
    assert f"| photos given a carcinoma alert (these sets hold no carcinoma) | {fraction} |" in card
    assert f"{test['isic']['melanoma_alert_sensitivity'] * 100:.1f}% of melanomas alerted" in flat

    # Reproduce: the CV commands, the members' flags, export choosing the alerts out of fold
    assert f"melanoscan cv --out {shipped_cv.parent} --folds 5 --epochs 4 --ema-decay 0.998" in card
    assert f"--oof {shipped_cv.parent} --carcinoma-sensitivity 0.8" in card
    assert "0.911" in card and "not measured here" in card  # the one external figure, said to be one

    summary = readme.read_text()
    assert "CC BY-NC 4.0 (non-commercial use only)" in summary and "--no-ham" in summary
    assert f"fires for {fraction} of these photos" in summary and "chosen out of fold" in summary


def test_a_cc0_model_card_says_so_and_counts_only_isic(tmp_path, data):
    """A model from before HAM10000 (its configs have no `ham`): three outputs, ISIC counts, no CV, no BY-NC."""
    root = data["root"]
    legacy = ("ham", "ham_dir", "bkl", "select_on_val", "ema_decay")  # keys configs of that time did not have
    config = {
        k: v for k, v in asdict(TrainConfig(out="runs/a", data_dir=str(root / "isic"))).items() if k not in legacy
    }
    spec = ModelSpec(
        name="melanoscan",
        version="1.0.0",
        melanoma_alert_threshold=0.3,
        extra={
            "training": {"members": [{"checkpoint": "runs/a/best.pt", "best_epoch": 3, "config": config}]},
            "melanoma_alert_choice": {"split": "val", "target_sensitivity": 0.85, "melanomas": 2, "sensitivity": 1.0,
                                      "specificity": 0.5},
            "licence": "model weights: Apache-2.0; trained on ISIC 2017 (CC0)",
        },
    )  # fmt: skip
    model = tmp_path / "m.onnx"
    spec.save(model.with_suffix(".json"))
    test = {
        "command": "c",
        "date": "d",
        "split": "test",
        "isic": metrics_for(data["isic"]["test"], spec, "test"),
        "isic_without_near_duplicates": {**metrics_for(data["isic"]["test"], spec, "test"), "removed": 0},
    }
    (tmp_path / "metrics.json").write_text(json.dumps(test))
    out = tmp_path / "card.md"
    argv = ["--metrics", str(tmp_path / "metrics.json"), "--model", str(model), "--out", str(out)]
    assert model_card.main([*argv, "--ham-dir", str(root / "ham"), "--pad-dir", str(tmp_path / "none")]) == 0
    flat = " ".join(out.read_text().split())
    train = Counter(data["isic"]["train"])
    assert f"learned from: {sum(train.values())} images (ISIC 2017 train)" in flat
    assert f"nevus is {train['nevus'] / sum(train.values()) * 100:.0f}% of training images" in flat
    assert "**Not used by this model**" in flat and "BY-NC 4.0 (non-commercial use only)" not in flat
    assert "The network has 3 outputs" in flat and "## Cross-validation" not in flat
    assert "melanoscan train --no-ham --select-on-val --out runs/a" in flat  # as that run really trained
    assert "of the 2 melanomas of the val split" in flat


def test_a_candidate_scored_on_test_is_reported_beside_the_shipped_model():
    from melanoscan.training.model_card import tested_candidates_text

    def metrics(version: str, mel: float, pad_mel: float, classes: int) -> dict:
        member = {"backbone": "efficientnet-lite0", "image_size": 224, "seed": 0, "checkpoint": "runs/cv/fold1/best.pt"}
        isic = {"melanoma_auc": mel, "seborrheic_keratosis_auc": 0.9, "mean_auc_mel_sk": (mel + 0.9) / 2, "ece": 0.05}
        model = {"version": version, "members": [member], "tta": "none", "classes": ["c"] * classes}
        pad = {"melanoma_auc": pad_mel, "melanoma_alert_sensitivity": 0.5}
        return {"model": model, "isic": isic, "pad_ufes20": pad}

    assert tested_candidates_text([], metrics("1", 0.8, 0.9, 3)) == ""
    text = tested_candidates_text([metrics("2.0.0", 0.7, 0.6, 7)], metrics("1.2.0", 0.8, 0.9, 3))
    shipped, candidate = [line for line in text.splitlines() if line.startswith("| ") and "AUC" not in line]
    assert shipped.startswith("| shipped: ") and "| 0.800 |" in shipped and "| 0.900 |" in shipped
    assert "(fold1)" in candidate and "HAM10000" in candidate and "version 2.0.0, not shipped" in candidate
    assert "| 0.700 |" in candidate and "| 0.600 | 50.0% |" in candidate
