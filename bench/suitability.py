"""How often the photo-suitability gates send back real lesion photos, and how often they refuse non-lesions.

    python scripts/make_nonlesion_set.py --out /tmp/nonlesion     # once (installed packages only)
    python bench/suitability.py --model models/melanoscan.onnx --nonlesion /tmp/nonlesion

Lesion photos: the REPORTING part (ISIC 2017 test, PAD-UFES-20 patients of odd hash, HAM10000 lesion buckets
8-9), never used to fit or choose (`melanoscan fit-gate` uses the others; the CHOOSING part is printed too,
marked). Non-lesions: every image of bench/nonlesion_manifest.csv, per kind and per split (dev: looked at while
designing; report: not). Each image goes through the screening core's own gates (Screener.gate) with the
model's pooled features; features are cached (--cache), so a rerun costs only the photo statistics.

PAD-UFES-20's copy here holds some background-removed composites (a lesion cut out onto pure black or white),
not photos: they are counted with PAD and also shown on their own line.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

import numpy as np

from melanoscan.inference.engine import Classifier
from melanoscan.screening.gates import Evidence
from melanoscan.screening.pipeline import Screener
from melanoscan.training.data import load_rgb
from melanoscan.training.fit_gate import CHOOSE, REPORT, features_of, lesion_sets

LESION_BUDGET, NONLESION_TARGET = 0.02, 0.95


def is_composite(path: Path) -> bool:
    """A lesion cut out onto a flat black or white background (not a photograph)."""
    pixels = np.asarray(load_rgb(path).resize((64, 64)), dtype=np.int16)
    flat = (pixels.max(axis=2) <= 3) | (pixels.min(axis=2) >= 252)
    return bool(flat.mean() >= 0.4)


def reasons_for(screener: Screener, paths: list[Path], cache: Path) -> list[str]:
    features = features_of(screener.classifier, paths, cache)
    return [screener.gate(Evidence(load_rgb(p), f)) or "" for p, f in zip(paths, features, strict=True)]


def line(name: str, reasons: list[str]) -> str:
    refused = sum(1 for r in reasons if r)
    why = ", ".join(f"{k} {v}" for k, v in Counter(r for r in reasons if r).most_common())
    rate = refused / len(reasons) if reasons else float("nan")
    return f"| {name} | {len(reasons)} | {refused} | {100 * rate:.1f}% | {why or '-'} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/melanoscan.onnx"))
    parser.add_argument("--nonlesion", type=Path, default=Path("/tmp/nonlesion"))
    parser.add_argument("--manifest", type=Path, default=Path("bench/nonlesion_manifest.csv"))
    parser.add_argument("--ham-limit", type=int, default=600, help="HAM10000 images per part (0: all)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/melanoscan-gate-cache"))
    parser.add_argument("--choose", action="store_true", help="also print the choosing part")
    args = parser.parse_args(argv)

    screener = Screener(Classifier(args.model))
    names = [getattr(gate, "__name__", type(gate).__name__) for gate in screener.gates]
    print(f"model {screener.spec.name} {screener.spec.version}; gates: {names}")
    header = "| set | images | sent back | rate | reasons |\n|---|---:|---:|---:|---|"
    parts = [REPORT, CHOOSE] if args.choose else [REPORT]
    for part in parts:
        print(f"\nReal lesion photos, {part} part (target: at most {LESION_BUDGET:.0%} sent back)\n\n{header}")
        every: list[str] = []
        for name, samples in lesion_sets(part, args.ham_limit).items():
            paths = [s.path for s in samples]
            reasons = reasons_for(screener, paths, args.cache)
            every += reasons
            print(line(name, reasons))
            if name == "pad_ufes20":
                composite = [is_composite(p) for p in paths]
                print(line("  of which cut-out composites", [r for r, c in zip(reasons, composite, strict=True) if c]))
                print(line("  of which photographs", [r for r, c in zip(reasons, composite, strict=True) if not c]))
        print(line("**all lesions**", every))

    rows = list(csv.DictReader(args.manifest.open(encoding="utf-8")))
    paths = [args.nonlesion / row["file"] for row in rows]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise SystemExit(
            f"{len(missing)} non-lesion images missing: run scripts/make_nonlesion_set.py --out {args.nonlesion}"
        )
    reasons = reasons_for(screener, paths, args.cache)
    print(f"\nNon-lesion images (target: at least {NONLESION_TARGET:.0%} refused)\n\n{header}")
    for kind in sorted({row["kind"] for row in rows}):
        print(line(kind, [r for r, row in zip(reasons, rows, strict=True) if row["kind"] == kind]))
    for split in ("dev", "report"):
        print(line(f"**{split} split**", [r for r, row in zip(reasons, rows, strict=True) if row["split"] == split]))
    print(line("**all non-lesions**", reasons))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
