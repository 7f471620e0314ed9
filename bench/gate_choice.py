"""Choose how to fit the not_a_lesion statistics on the DEV side only: cross-validation over the dev split's
pictures, each way round over the two halves of the choosing PAD-UFES-20 patients.

    python bench/gate_choice.py --model models/melanoscan.onnx --nonlesion /tmp/nonlesion   # ~15 min cold

Per variant (a `phone_photo` lesion class from PAD phone photos or not; how many phone-like views per non-lesion
fitting image; how many background principal directions), the dev split's groups (one picture and its crops;
bench/nonlesion_manifest.csv) are dealt into `--folds` folds. Per fold the background is fitted on the other folds
(and their views), the threshold is chosen exactly as `melanoscan fit-gate` chooses it (at most budget * margin of
each choosing source sent back by all gates), and the held-out fold's untouched images are scored with the photo
gates. fit-gate fits the phone class on one half of the even-hash PAD patients and chooses on the other; here
both ways round are shown, because which PAD photos are left to choose on moves the figure more than anything.
The report split and the odd-hash PAD patients are never read here: they are for bench/suitability.py, once.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from melanoscan.inference.engine import Classifier
from melanoscan.inference.ood import FeatureGaussians, NotALesionScore
from melanoscan.training.data import TRAIN_CLASSES
from melanoscan.training.fit_gate import (
    CHOOSE,
    DEFAULT_LESION_BUDGET,
    FIT,
    choose_threshold,
    features_of,
    is_composite,
    lesion_sets,
    pad_photos,
    photo_gate_reasons,
    view_features_of,
)

NATURAL = ("wallpaper", "sample_photo", "texture", "face_from_afar")


@dataclass(frozen=True)
class Variant:
    name: str
    phone_class: bool  # a phone_photo lesion class fitted on half the choosing PAD patients
    views: int  # phone-like views per non-lesion fitting image, besides the image itself
    components: int  # background principal directions

    def background(self, features: np.ndarray, view_features: np.ndarray) -> FeatureGaussians:
        rows = np.concatenate([features, view_features]) if self.views else features
        return FeatureGaussians.fit(rows, np.full(len(rows), "non_lesion"), self.components)


VARIANTS = (
    Variant("first gate: 64 dirs, no views", False, 0, 64),
    Variant("128 dirs, 8 views", False, 8, 128),
    Variant("phone class; 64 dirs, no views", True, 0, 64),
    Variant("phone class; 128 dirs, no views", True, 0, 128),
    Variant("phone class; 64 dirs, 8 views", True, 8, 64),
    Variant("phone class; 128 dirs, 8 views (fit-gate)", True, 8, 128),
    Variant("phone class; 256 dirs, 8 views", True, 8, 256),
)


def fold_of(group: str, folds: int) -> int:
    return hashlib.sha256(("fold:" + group).encode()).digest()[0] % folds


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/melanoscan.onnx"))
    parser.add_argument("--nonlesion", type=Path, default=Path("/tmp/nonlesion"))
    parser.add_argument("--manifest", type=Path, default=Path("bench/nonlesion_manifest.csv"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/melanoscan-gate-cache"))
    parser.add_argument("--ham-fit-limit", type=int, default=1200)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--margin", type=float, default=0.5)
    args = parser.parse_args(argv)

    classifier = Classifier(args.model)
    dermoscopy = [
        s for name, samples in lesion_sets(FIT, args.ham_fit_limit).items() if name != "pad_ufes20" for s in samples
    ]
    dermoscopy_features = features_of(classifier, [s.path for s in dermoscopy], args.cache)
    dermoscopy_labels = np.asarray([TRAIN_CLASSES[s.label] for s in dermoscopy])
    choosing = {}
    for name, samples in lesion_sets(CHOOSE, 0).items():
        if name != "pad_ufes20":
            paths = [s.path for s in samples if not is_composite(s.path)]
            choosing[name] = (features_of(classifier, paths, args.cache), photo_gate_reasons(paths) != "")
    pad_halves = []
    for part in (FIT, CHOOSE):
        paths = [s.path for s in pad_photos(part) if not is_composite(s.path)]
        pad_halves.append((features_of(classifier, paths, args.cache), photo_gate_reasons(paths) != ""))

    with args.manifest.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["split"] == "dev"]
    paths = [args.nonlesion / row["file"] for row in rows]
    kinds = np.asarray([row["kind"] for row in rows])
    folds = np.asarray([fold_of(row["group"], args.folds) for row in rows])
    features = features_of(classifier, paths, args.cache)
    photo_refused = photo_gate_reasons(paths) != ""
    most_views = max(v.views for v in VARIANTS)
    all_views = view_features_of(classifier, paths, most_views, args.cache).reshape(len(paths), most_views, -1)

    target = DEFAULT_LESION_BUDGET * args.margin
    print(f"dev split: {len(rows)} images, {len({r['group'] for r in rows})} pictures, {args.folds} folds by picture")
    print(f"threshold: <= {target:.0%} of each choosing source; PAD halves: {[len(f) for f, _ in pad_halves]}\n")
    a, b = (len(f) for f, _ in pad_halves)
    print(
        f"| variant | dev refused: phone class on {a} PAD, choose on {b} (fit-gate) | natural | on {b}, choose on {a}"
        " | natural | mean |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    natural = np.isin(kinds, NATURAL)
    for variant in VARIANTS:
        cells, means = [], []
        for fit_half in (0, 1):
            phone_features, _ = pad_halves[fit_half]
            lesion_rows = [dermoscopy_features] + ([phone_features] if variant.phone_class else [])
            lesion_labels = [dermoscopy_labels] + ([np.full(len(phone_features), "phone_photo")] * variant.phone_class)
            lesions = FeatureGaussians.fit(np.concatenate(lesion_rows), np.concatenate(lesion_labels))
            sources = {**choosing, "pad_ufes20": pad_halves[1 - fit_half]}
            refused = np.zeros(len(rows), dtype=bool)
            for fold in range(args.folds):
                train, held = folds != fold, folds == fold
                view_rows = all_views[train, : variant.views].reshape(-1, features.shape[1])
                score: Callable[[np.ndarray], np.ndarray] = NotALesionScore(
                    lesions, variant.background(features[train], view_rows)
                )
                threshold = max(choose_threshold(score(f), r, target) for f, r in sources.values())
                refused[held] = photo_refused[held] | (score(features[held]) > threshold)
            cells += [f"{refused.mean():.1%} ({refused.sum()}/{len(rows)})", f"{refused[natural].mean():.1%}"]
            means.append(refused.mean())
        print(f"| {variant.name} | {' | '.join(cells)} | {np.mean(means):.1%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
