"""`melanoscan fit-gate --model models/melanoscan.onnx`: fit the not_a_lesion statistics for a model and choose
its threshold. Run it for every new model (the statistics live in the model's own feature space).

1. Makes sure the graph has `cam` and `features` outputs (inference/graph.py; a no-op for a model exported
   after this existed). Adding them changes the file, not the weights: the logits are checked bit-identical
   on real images, and the metadata gets the new onnx_sha256.
2. Fits class-conditional Gaussians with a shared covariance (inference/ood.py) to the pooled features of
   TRAINING lesions: ISIC 2017 train and HAM10000's fitting lesions (lesion-id hash buckets 0-6), plus one
   `phone_photo` class of PAD-UFES-20 phone photos (a fitting half of the even-hash patients: the phone photos
   are the lesions that lie nearest to scenes, so they need their own mean); and one background Gaussian to the
   dev half of the non-lesion set (scripts/make_nonlesion_set.py), each image with `--views` phone-like variants
   (training/gate_views.py) so that `--background-components` directions do not overfit a few hundred images.
3. Chooses the threshold on the CHOOSING lesions (ISIC 2017 val, HAM10000 bucket 7, the other half of the
   even-hash PAD-UFES-20 patients, cut-out composites left out) so that in EACH source at most
   `--lesion-budget * --margin` are sent back by all gates together. The REPORTING part (ISIC 2017 test, HAM10000
   buckets 8-9, the odd-hash PAD patients, the non-lesions' report half) is left for bench/suitability.py.
   The choice of views, directions and the phone class was made on the dev side only: bench/gate_choice.py.
4. Writes `<model>.gate.npz` and the metadata's `suitability` entry (file, hash, threshold, how chosen).

Features are cached per image list (`--cache DIR`), so a rerun or the bench does not repeat inference.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from melanoscan.inference.engine import Classifier
from melanoscan.inference.ood import BACKGROUND_COMPONENTS, DEFAULT_COMPONENTS, FeatureGaussians, NotALesionScore
from melanoscan.inference.spec import ModelSpec, spec_path_for
from melanoscan.training.data import (
    PAD,
    TRAIN_CLASSES,
    Sample,
    ham_dir,
    isic_dir,
    load_rgb,
    pad_ufes_dir,
    read_ham,
    read_labelled_folder,
    read_split,
)

log = logging.getLogger("melanoscan.fit_gate")
FIT, CHOOSE, REPORT = "fit", "choose", "report"
DEFAULT_LESION_BUDGET = 0.02  # all gates together may send back at most this share of real lesion photos
DEFAULT_VIEWS = 8  # phone-like variants of each non-lesion fitting image (bench/gate_choice.py)
PHONE_CLASS = "phone_photo"


def bucket(key: str, buckets: int) -> int:
    return hashlib.sha256(key.encode()).digest()[0] % buckets


def ham_part(sample: Sample) -> str:
    b = bucket(sample.lesion, 10)
    return FIT if b < 7 else CHOOSE if b == 7 else REPORT


def pad_part(sample: Sample) -> str:
    """Odd-hash patients: REPORT (unchanged since the first gate). Even-hash patients: split again, FIT (the
    phone-photo class) or CHOOSE, by a second hash of the patient."""
    patient = "_".join(sample.path.stem.split("_")[:2])  # PAT_<patient>_<lesion>_<image>
    if bucket(patient, 2) == 1:
        return REPORT
    return FIT if bucket("gate-fit:" + patient, 2) == 0 else CHOOSE


def pad_photos(part: str) -> list[Sample]:
    samples = [s for s in read_labelled_folder(pad_ufes_dir(), PAD) if pad_part(s) == part]
    return [s for s in samples if not is_composite(s.path)] if part == FIT else samples


def fit_label(source: str, sample: Sample) -> str:
    """The Gaussian a fitting lesion belongs to: its class for dermoscopy, one `phone_photo` class for PAD."""
    return PHONE_CLASS if source == "pad_ufes20" else TRAIN_CLASSES[sample.label]


def lesion_sets(part: str, ham_limit: int = 0) -> dict[str, list[Sample]]:
    """The real lesion photos of one part (fit / choose / report), by source. `ham_limit`: at most this many
    HAM10000 images (a seeded sample; the machine is small)."""
    ham = [s for s in read_ham(ham_dir()) if ham_part(s) == part]
    if ham_limit and len(ham) > ham_limit:
        order = np.random.default_rng(0).permutation(len(ham))[:ham_limit]
        ham = [ham[i] for i in sorted(order)]
    sets = {"ham10000": ham}
    if part == FIT:
        sets["isic2017_train"] = read_split(isic_dir(), "train")
    elif part == CHOOSE:
        sets["isic2017_val"] = read_split(isic_dir(), "val")
    else:
        sets["isic2017_test"] = read_split(isic_dir(), "test")
    sets["pad_ufes20"] = pad_photos(part)
    return sets


def features_of(classifier: Classifier, paths: Sequence[Path], cache: Path | None, batch_size: int = 32) -> np.ndarray:
    """(N, D) pooled features, cached under `cache` by the model's hash and the list of files."""
    return _cached_features(classifier, paths, cache, "", batch_size, lambda path: [load_rgb(path)], batch_size)


def view_features_of(
    classifier: Classifier, paths: Sequence[Path], views: int, cache: Path | None, batch_size: int = 32
) -> np.ndarray:
    """(N * views, D) features of `views` seeded phone-like variants of each image (training/gate_views.py), in
    file order, cached like features_of."""
    from melanoscan.training.gate_views import VIEWS_VERSION
    from melanoscan.training.gate_views import views as make_views

    if views <= 0:
        return np.zeros((0, 0), dtype=np.float32)
    return _cached_features(
        classifier,
        paths,
        cache,
        f"views {views} v{VIEWS_VERSION}",
        max(1, batch_size // views),
        lambda path: make_views(load_rgb(path), views, path.name),
        batch_size,
    )


def _cached_features(
    classifier: Classifier,
    paths: Sequence[Path],
    cache: Path | None,
    tag: str,
    files_per_batch: int,
    images_of: Callable[[Path], list[Image.Image]],
    batch_size: int,
) -> np.ndarray:
    """The `features` output for the images each file gives (`images_of`), in file order; cached under `cache`
    by the model's hash, `tag` and the list of files, so a rerun or the bench does not repeat inference."""
    listing = "\n".join(str(p) for p in paths)
    key = hashlib.sha256(f"{spec_hash(classifier)}\n{tag}\n{listing}".encode()).hexdigest()[:20]
    target = cache / f"features-{key}.npy" if cache else None
    if target is not None and target.exists():
        return np.load(target)
    if not classifier.has_features:
        raise SystemExit(f"{classifier.model_path} has no `features` output: run fit-gate on it first")
    chunks = []
    for i in range(0, len(paths), files_per_batch):
        images = [image for path in paths[i : i + files_per_batch] for image in images_of(path)]
        prediction = classifier.predict(images, batch_size)
        assert prediction.features is not None
        chunks.append(prediction.features)
        log.info("features %d/%d files", min(i + files_per_batch, len(paths)), len(paths))
    result = np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=np.float32)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        np.save(target, result)
    return result


def spec_hash(classifier: Classifier) -> str:
    return (
        str(classifier.spec.extra.get("onnx_sha256", ""))
        or hashlib.sha256(classifier.model_path.read_bytes()).hexdigest()
    )


def ensure_outputs(model_path: Path, check_images: Sequence[Path]) -> bool:
    """Add cam/features outputs to a model that lacks them; prove the logits unchanged. True if it changed."""
    import onnx
    import onnxruntime as ort

    from melanoscan.imaging.preprocess import preprocess_batch
    from melanoscan.inference.graph import add_explanation_outputs

    model = onnx.load(str(model_path))
    if any(output.name == "cam" for output in model.graph.output):
        return False
    before = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    spec = ModelSpec.load(spec_path_for(model_path))
    batch = preprocess_batch([load_rgb(p) for p in check_images], spec)
    input_name = before.get_inputs()[0].name
    (old,) = before.run(None, {input_name: batch})
    changed = add_explanation_outputs(model)
    data = changed.SerializeToString()
    after = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    new = after.run(None, {input_name: batch})[0]
    if not np.array_equal(old, new):
        raise SystemExit(f"logits changed by {np.abs(old - new).max():.3g}: refusing to write")
    model_path.write_bytes(data)
    meta = json.loads(spec_path_for(model_path).read_text(encoding="utf-8"))
    meta["onnx_sha256"] = hashlib.sha256(data).hexdigest()
    meta["explanation_outputs"] = {
        "outputs": ["cam", "features"],
        "added_by": "melanoscan.inference.graph.add_explanation_outputs",
        "logits_bit_identical_on": len(check_images),
    }
    spec_path_for(model_path).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log.info("added cam/features outputs; logits bit-identical on %d real images", len(check_images))
    return True


def photo_gate_reasons(paths: Sequence[Path]) -> np.ndarray:
    """The photo gates' verdict (blank, exposure, blur) for each file: a reason or ''."""
    from melanoscan.screening.gates import Evidence, blank_photo_gate, blur_gate, exposure_gate, first_reason

    gates = (blank_photo_gate, exposure_gate, blur_gate)
    return np.asarray([first_reason(gates, Evidence(load_rgb(p))) or "" for p in paths])


def choose_threshold(scores: np.ndarray, photo_refused: np.ndarray, budget: float) -> float:
    """The lowest threshold at which photo gates + score together send back at most `budget` of one source."""
    allowed = int(np.floor(budget * len(scores))) - int(photo_refused.sum())
    remaining = np.sort(scores[~photo_refused])[::-1]
    if not len(remaining):
        return -np.inf
    return float(remaining[min(max(allowed, 0), len(remaining) - 1)])


def is_composite(path: Path) -> bool:
    """A lesion cut out onto a flat black or white background (some of PAD-UFES-20's copy): not a photograph."""
    pixels = np.asarray(load_rgb(path).resize((64, 64)), dtype=np.int16)
    flat = (pixels.max(axis=2) <= 3) | (pixels.min(axis=2) >= 252)
    return bool(flat.mean() >= 0.4)


def nonlesion_paths(folder: Path, manifest: Path, split: str) -> list[Path]:
    with manifest.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["split"] == split]
    paths = [folder / row["file"] for row in rows]
    if not all(p.exists() for p in paths):
        raise SystemExit(f"non-lesion images missing: python scripts/make_nonlesion_set.py --out {folder}")
    return paths


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    parser = argparse.ArgumentParser(prog="melanoscan fit-gate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/melanoscan.onnx"))
    parser.add_argument("--components", type=int, default=DEFAULT_COMPONENTS)
    parser.add_argument("--ham-fit-limit", type=int, default=2000, help="HAM10000 fitting images (0: all)")
    parser.add_argument("--ham-choose-limit", type=int, default=0, help="HAM10000 choosing images (0: all)")
    parser.add_argument("--lesion-budget", type=float, default=DEFAULT_LESION_BUDGET)
    parser.add_argument("--margin", type=float, default=0.5, help="aim the choosing set at budget * margin")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/melanoscan-gate-cache"))
    parser.add_argument("--nonlesion", type=Path, default=Path("/tmp/nonlesion"), help="make_nonlesion_set.py --out")
    parser.add_argument("--manifest", type=Path, default=Path("bench/nonlesion_manifest.csv"))
    parser.add_argument("--no-background", action="store_true", help="plain Mahalanobis distance, no non-lesions")
    parser.add_argument("--views", type=int, default=DEFAULT_VIEWS, help="variants per non-lesion fitting image")
    parser.add_argument("--background-components", type=int, default=BACKGROUND_COMPONENTS)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)

    fit_sets = lesion_sets(FIT, args.ham_fit_limit)
    choose_sets = lesion_sets(CHOOSE, args.ham_choose_limit)
    ensure_outputs(args.model, [s.path for s in choose_sets["isic2017_val"][:16]])
    classifier = Classifier(args.model, threads=args.threads or None)

    features = np.concatenate(
        [features_of(classifier, [s.path for s in samples], args.cache) for samples in fit_sets.values()]
    )
    labels = np.asarray([fit_label(name, s) for name, samples in fit_sets.items() for s in samples])
    background = None
    if not args.no_background:
        dev = nonlesion_paths(args.nonlesion, args.manifest, "dev")
        dev_features = features_of(classifier, dev, args.cache)
        if args.views:
            dev_features = np.concatenate([dev_features, view_features_of(classifier, dev, args.views, args.cache)])
        background = FeatureGaussians.fit(
            dev_features, np.full(len(dev_features), "non_lesion"), args.background_components
        )
    gaussians = NotALesionScore(FeatureGaussians.fit(features, labels, args.components), background)

    per_source, scores, refused = {}, [], []
    for name, samples in choose_sets.items():
        paths = [s.path for s in samples if not is_composite(s.path)]
        source_scores = gaussians(features_of(classifier, paths, args.cache))
        source_refused = photo_gate_reasons(paths) != ""
        scores.append(source_scores)
        refused.append(source_refused)
        per_source[name] = (source_scores, source_refused)
    all_scores, all_refused = np.concatenate(scores), np.concatenate(refused)
    target = args.lesion_budget * args.margin
    threshold = max(choose_threshold(s, r, target) for s, r in per_source.values())

    gate_path = args.model.with_suffix(".gate.npz")
    digest = gaussians.save(gate_path)
    spec_path = spec_path_for(args.model)
    meta = json.loads(spec_path.read_text(encoding="utf-8"))
    meta["suitability"] = {
        "gate_file": gate_path.name,
        "gate_sha256": digest,
        "not_a_lesion_threshold": round(threshold, 4),
        "score": (
            "squared Mahalanobis distance / D to the nearest training lesion class (dermoscopy classes and one"
            " phone_photo class; shared low-rank + isotropic covariance) minus that to a Gaussian of non-lesion"
            " images (each with phone-like views)"
            if background is not None
            else "squared Mahalanobis distance / D to the nearest training lesion class"
        ),
        "components": gaussians.lesions.basis.shape[1],
        "fitted_on": {
            **{name: len(samples) for name, samples in fit_sets.items()},
            **(
                {
                    "nonlesion_dev": len(dev),
                    "views_per_nonlesion": args.views,
                    "background_components": args.background_components,
                }
                if background is not None
                else {}
            ),
        },
        "threshold_choice": {
            "target_lesion_refusal_per_source": target,
            "budget": args.lesion_budget,
            "per_source": {
                name: {
                    "images": len(s),
                    "refused_by_photo_gates": float(r.mean()),
                    "refused_all_gates": float((r | (s > threshold)).mean()),
                }
                for name, (s, r) in per_source.items()
            },
            "refused_all_gates": float((all_refused | (all_scores > threshold)).mean()),
        },
    }
    spec_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(meta["suitability"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
