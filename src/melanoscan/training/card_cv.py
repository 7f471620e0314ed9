"""The model card's cross-validation table: each `melanoscan cv` summary given is a candidate recipe.

A recipe is the training flags of its configuration, leaving out where its run wrote to and the seed (an
ensemble's members differ only in seed), so the one the shipped members were trained with is found by
comparison, not by a name typed in. A run that is cheaper than the shipped recipe (fewer folds or folds not
all done, fewer epochs, capped steps) is a proxy: it ranks recipes, it does not confirm one.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from melanoscan.training.config import as_trained, train_flags

FULL_FOLDS = 5  # `melanoscan cv`'s default: fewer folds is a cheaper proxy
SOURCE_NAMES = {"isic2017": "ISIC 2017 train", "ham10000": "HAM10000", "pooled": "pooled"}
NOT_RECIPE = ("--out", "--seed")


def recipe_flags(config: dict[str, Any]) -> tuple[str, ...]:
    """The flags that make a run's recipe, without its output folder and seed."""
    flags = train_flags(as_trained(config))
    kept: list[str] = []
    i = 0
    while i < len(flags):
        if flags[i] in NOT_RECIPE:  # both always take a value
            i += 2
            continue
        kept.append(flags[i])
        i += 1
    return tuple(kept)


@dataclass(frozen=True)
class CvRun:
    path: Path  # its cv_summary.json
    summary: dict[str, Any]
    folds: int  # K of its fold assignment

    @classmethod
    def load(cls, path: Path) -> CvRun:
        summary = json.loads(path.read_text(encoding="utf-8"))
        folds_csv = path.parent / "folds.csv"
        if folds_csv.exists():
            with open(folds_csv, newline="", encoding="utf-8") as handle:
                folds = len({row["fold"] for row in csv.DictReader(handle)})
        else:
            folds = len(summary["folds_done"])
        return cls(path, summary, folds)

    @property
    def config(self) -> dict[str, Any]:
        return as_trained(self.summary.get("config", {}))

    @property
    def recipe(self) -> tuple[str, ...]:
        return recipe_flags(self.config)

    @property
    def command(self) -> str:
        # A summary kept apart from its run (docs/evaluation/cv/<run>/, no folds.csv) was trained under runs/.
        out = self.path.parent if (self.path.parent / "folds.csv").exists() else f"runs/{self.path.parent.name}"
        flags = " ".join(("--out", str(out), "--folds", str(self.folds), *self.recipe))
        return f"melanoscan cv {flags}"

    def proxy_reasons(self, shipped: list[dict[str, Any]]) -> list[str]:
        """Why this run is cheaper than the shipped recipe (empty: a full cross-validation)."""
        done, config = len(self.summary["folds_done"]), self.config
        reasons = []
        if self.folds < FULL_FOLDS:
            reasons.append(f"{self.folds} folds")
        if done < self.folds:
            reasons.append(f"{done} of {self.folds} folds done")
        shipped_epochs = max((as_trained(m)["epochs"] for m in shipped if "epochs" in m), default=None)
        if shipped_epochs is not None and config.get("epochs", shipped_epochs) < shipped_epochs:
            reasons.append(f"{config['epochs']} epochs (shipped members: {shipped_epochs})")
        if config.get("max_steps_per_epoch"):
            reasons.append(f"at most {config['max_steps_per_epoch']} steps per epoch")
        return reasons


def mean_sd(figure: dict[str, float]) -> str:
    mean, sd = figure.get("mean"), figure.get("sd")
    if mean is None or math.isnan(mean):
        return "n/a"
    return f"{mean:.3f}" if sd is None or math.isnan(sd) else f"{mean:.3f} ± {sd:.3f}"


def auc(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def cv_table(runs: list[CvRun], shipped: list[dict[str, Any]]) -> str:
    """One row per recipe and source: mean ± sd over folds of the held-out fold's AUCs."""
    shipped_recipes = {recipe_flags(m) for m in shipped}
    lines = [
        "| recipe (`melanoscan cv` folder) | folds | source | images | melanoma AUC | SK AUC | mean of the two | "
        "carcinoma AUC | |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        proxy = run.proxy_reasons(shipped)
        marks = (["**shipped recipe**"] if run.recipe in shipped_recipes else []) + (
            [f"proxy: {', '.join(proxy)}"] if proxy else ["full CV"]
        )
        name = f"`{' '.join(run.recipe) or '(defaults)'}` ({run.path.parent.name})"
        folds = f"{len(run.summary['folds_done'])}/{run.folds}"
        for source, label in SOURCE_NAMES.items():
            part: dict[str, Any] = run.summary.get(source) or {}
            images = part.get("out_of_fold", {}).get("n", 0)
            if not images:
                continue
            lines.append(
                f"| {name} | {folds} | {label} | {images} | {mean_sd(part['melanoma_auc'])} | "
                f"{mean_sd(part['sk_auc'])} | {mean_sd(part['mean_auc'])} | {auc(part.get('carcinoma_auc'))} | "
                f"{'; '.join(marks)} |"
            )
            name, folds, marks = "", "", []
    return "\n".join(lines)


def cv_section(runs: list[CvRun], shipped: list[dict[str, Any]]) -> str:
    if not runs:
        return ""
    shipped_recipes = {recipe_flags(m) for m in shipped}
    chose = any(run.recipe in shipped_recipes for run in runs)
    heading = "how the recipe was chosen" if chose else "candidate recipes; the shipped recipe is not among them"
    return (
        f"\n## Cross-validation ({heading})\n"
        "Each recipe below was cross-validated with `melanoscan cv` over ISIC 2017 train and HAM10000: folds grouped "
        "by lesion (every image of a lesion in one fold) and stratified by class, a fixed number of epochs per fold "
        "(no early stopping on the held-out fold). Figures are the held-out fold's AUCs on the service's three "
        "answers, mean ± sd over folds, **per source** (images from one archive look alike, so the two are reported "
        "apart) and pooled; carcinoma AUC is p(basal-cell carcinoma) + p(actinic keratosis) against the rest, over "
        "all out-of-fold predictions. Recipes were compared on these figures, never on the test split. A **proxy** "
        "is cheaper than the shipped recipe (fewer folds or folds not all done, fewer epochs, capped steps): it "
        "ranks recipes; only a full CV confirms one.\n\n"
        f"{cv_table(runs, shipped)}\n"
    )
